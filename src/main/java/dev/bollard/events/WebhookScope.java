package dev.bollard.events;

import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * Whose events a webhook hears: the whole registry's (superusers), one namespace's (a user or an organization: its
 * administrators) or one repository's (its administrators). {@code name} is empty for the registry.
 */
public record WebhookScope(Kind kind, String name) {
    public enum Kind { REGISTRY, NAMESPACE, REPOSITORY }

    public static final WebhookScope REGISTRY = new WebhookScope(Kind.REGISTRY, "");

    public static WebhookScope namespace(String namespace) {
        return new WebhookScope(Kind.NAMESPACE, namespace);
    }

    public static WebhookScope repository(String repository) {
        return new WebhookScope(Kind.REPOSITORY, repository);
    }

    /** The kind as stored ({@code registry}, {@code namespace}, {@code repository}). */
    public String kindName() {
        return kind.name().toLowerCase(Locale.ROOT);
    }

    static WebhookScope of(String kindName, String name) {
        return new WebhookScope(Kind.valueOf(kindName.toUpperCase(Locale.ROOT)), name);
    }

    /** True when an event on {@code repository} (in {@code namespace}) is within this scope. */
    boolean covers(@Nullable String namespace, @Nullable String repository) {
        return switch (kind) {
            case REGISTRY -> true;
            case NAMESPACE -> name.equals(namespace) || (repository != null && repository.startsWith(name + "/"));
            case REPOSITORY -> name.equals(repository);
        };
    }
}
