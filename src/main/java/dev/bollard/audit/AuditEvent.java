package dev.bollard.audit;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.bollard.json.Json;
import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * One thing that happened: who ({@link Actor}), what ({@code action}, one of {@link AuditActions} or a name of the
 * same form), when, on which namespace and repository (either may be null), and details as a small JSON object
 * (values: strings, numbers, booleans, lists and maps of those). Never put a secret in the details.
 */
public record AuditEvent(Instant time, Actor actor, String action, @Nullable String namespace,
                         @Nullable String repository, Map<String, Object> details) {
    private static final ObjectMapper JSON = Json.MAPPER;

    /** Null details stand for none. */
    public AuditEvent(Instant time, Actor actor, String action, @Nullable String namespace,
                      @Nullable String repository, @Nullable Map<String, Object> details) {
        this.time = time;
        this.actor = actor;
        this.action = action;
        this.namespace = namespace;
        this.repository = repository;
        this.details = details == null ? Map.of()
                : Collections.unmodifiableMap(new LinkedHashMap<>(details));
    }

    /** An event on a repository (its namespace is the repository's first path component). */
    public static AuditEvent onRepository(Actor actor, String action, String repository,
                                          @Nullable Map<String, ?> details) {
        return new AuditEvent(Instant.now(), actor, action, namespaceOf(repository), repository, copy(details));
    }

    /** An event on a namespace (a user or an organization), or on the whole registry when {@code namespace} is null. */
    public static AuditEvent onNamespace(Actor actor, String action, @Nullable String namespace,
                                         @Nullable Map<String, ?> details) {
        return new AuditEvent(Instant.now(), actor, action, namespace, null, copy(details));
    }

    private static Map<String, Object> copy(@Nullable Map<String, ?> details) {
        return details == null ? Map.of() : new LinkedHashMap<>(details);
    }

    /** The details as the JSON text that the audit log and the outbox store. */
    public String detailsJson() {
        try {
            return JSON.writeValueAsString(details);
        } catch (JsonProcessingException e) {
            return "{\"unprintable\":true}";
        }
    }

    static @Nullable String namespaceOf(@Nullable String repository) {
        if (repository == null) {
            return null;
        }
        int slash = repository.indexOf('/');
        return slash < 0 ? null : repository.substring(0, slash);
    }
}
