package dev.bollard.events;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import org.jspecify.annotations.Nullable;

/**
 * A webhook: where deliveries go ({@code method} {@code http}, to {@code url}; other methods plug in beside it, see
 * {@link DeliveryMethod}), which events ({@code scope} and the filters: event types, empty for all; globs over the
 * repository and the tag, null for any), in which {@link WebhookFormat}, signed with {@code secret}, with extra
 * {@code headers} and a {@code timeout}; and its health: {@code enabled}, why it was disabled, and how many attempts
 * in a row failed. The secret never leaves the registry after creation except as signatures.
 */
public record Webhook(long id, WebhookScope scope, String method, String url, WebhookFormat format, String secret,
                      Set<String> eventTypes, @Nullable Glob repositoryGlob, @Nullable Glob tagGlob,
                      SortedMap<String, String> headers, Duration timeout, boolean enabled,
                      @Nullable String disabledReason, int consecutiveFailures, String createdBy, Instant createdAt) {

    /** True when this webhook wants {@code event}: in its scope, of a subscribed type, matching its globs. */
    public boolean wants(RegistryEvent event) {
        if (!scope.covers(event.namespace(), event.repository())) {
            return false;
        }
        return new EventFilter(eventTypes, repositoryGlob, tagGlob).matches(event);
    }

    /** What is shown of custom headers (the API, the delivery log): their names, never their values. */
    public static final String HIDDEN = "(hidden)";

    /** {@code headers} with the values of this webhook's custom headers replaced by {@link #HIDDEN}. */
    public SortedMap<String, String> hidden(SortedMap<String, String> sent) {
        SortedMap<String, String> shown = new java.util.TreeMap<>(sent);
        headers.keySet().forEach(name -> shown.replace(name, HIDDEN));
        return shown;
    }

    /** What the API shows of the webhook: everything but the secret and its custom headers' values. */
    public Map<String, Object> describe() {
        Map<String, Object> m = new java.util.LinkedHashMap<>();
        m.put("id", id);
        m.put("scope", scope.kindName());
        m.put("target", scope.name().isEmpty() ? null : scope.name());
        m.put("method", method);
        m.put("url", url);
        m.put("format", format.id());
        m.put("event_types", eventTypes.stream().sorted().toList());
        m.put("repository_glob", repositoryGlob == null ? null : repositoryGlob.glob());
        m.put("tag_glob", tagGlob == null ? null : tagGlob.glob());
        m.put("headers", hidden(headers)); // they often carry credentials: names only
        m.put("timeout_seconds", timeout.toMillis() / 1000.0);
        m.put("enabled", enabled);
        m.put("disabled_reason", disabledReason);
        m.put("consecutive_failures", consecutiveFailures);
        m.put("created_by", createdBy);
        m.put("created_at", createdAt.toString());
        return m;
    }
}
