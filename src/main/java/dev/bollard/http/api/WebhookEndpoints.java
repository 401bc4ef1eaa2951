package dev.bollard.http.api;

import static dev.bollard.auth.Permission.NAMESPACE_ADMIN;
import static dev.bollard.auth.Permission.REPO_ADMIN;
import static dev.bollard.auth.Permission.SUPERUSER;
import static dev.bollard.http.api.ManagementApi.PREFIX;

import com.fasterxml.jackson.databind.JsonNode;
import dev.bollard.auth.Permission;
import dev.bollard.error.BollardException;
import dev.bollard.events.DeliveryMethod;
import dev.bollard.events.HttpDelivery;
import dev.bollard.events.Webhook;
import dev.bollard.events.WebhookScope;
import dev.bollard.events.Webhooks;
import dev.bollard.json.Json;
import dev.bollard.metadata.WebhookDao;
import dev.bollard.oci.RepositoryName;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * Webhooks (docs/events.md): the same routes for each scope — the registry's ({@code /webhooks}, superusers), a
 * namespace's ({@code /namespaces/{namespace}/webhooks}, its administrators) and a repository's
 * ({@code /repositories/{repository}/webhooks}, its administrators). The route's permission is the whole access
 * decision; the use case answers "not found" for a webhook of another scope. The secret is in the answer to the
 * creation (and to a rotation) only.
 */
final class WebhookEndpoints implements ApiEndpoints {
    private final ApiServices services;

    WebhookEndpoints(ApiServices services) {
        this.services = services;
    }

    @Override
    public List<ApiRoute> routes() {
        List<ApiRoute> routes = new ArrayList<>();
        routes.addAll(scopeRoutes(PREFIX + "/webhooks", SUPERUSER, "the registry (every event)",
                call -> WebhookScope.REGISTRY));
        routes.addAll(scopeRoutes(PREFIX + "/namespaces/{namespace}/webhooks", NAMESPACE_ADMIN, "a namespace",
                call -> WebhookScope.namespace(call.param("namespace"))));
        routes.addAll(scopeRoutes(PREFIX + "/repositories/{repository*}/-/webhooks", REPO_ADMIN, "a repository",
                call -> WebhookScope.repository(BollardException.parsed(
                        () -> new RepositoryName(call.param("repository"))).value())));
        return routes;
    }

    private List<ApiRoute> scopeRoutes(String base, Permission permission, String of,
                                       Function<ApiCall, WebhookScope> scope) {
        String one = base + "/{id}";
        return List.of(
                ApiRoute.get(base, permission, "List the webhooks of " + of, call -> list(call, scope.apply(call))),
                ApiRoute.post(base, permission, "Create a webhook of " + of + ": {method? (http, slack, email), url, "
                        + "format?, event_types?, repository_glob?, tag_glob?, headers?, timeout_seconds?}; 201 with its secret (shown once)",
                        call -> create(call, scope.apply(call))),
                ApiRoute.get(one, permission, "Describe a webhook of " + of, call -> get(call, scope.apply(call))),
                ApiRoute.patch(one, permission, "Change a webhook of " + of + " (the fields of the creation — "
                        + "method between http and slack; to or from email refused —, enabled, rotate_secret)", call -> update(call, scope.apply(call))),
                ApiRoute.delete(one, permission, "Delete a webhook of " + of, call -> delete(call, scope.apply(call))),
                ApiRoute.get(one + "/deliveries", permission, "List a webhook's delivery attempts, newest first",
                        call -> deliveries(call, scope.apply(call))),
                ApiRoute.get(one + "/deliveries/{delivery}", permission,
                        "Describe a delivery attempt: the request sent and the response", call -> delivery(call,
                                scope.apply(call))),
                ApiRoute.post(one + "/deliveries/{delivery}/redeliver", permission,
                        "Deliver the event of a delivery attempt again; 202", call -> redeliver(call, scope.apply(call))),
                ApiRoute.post(one + "/ping", permission, "Send a test event (webhook.ping) now and answer how it went",
                        call -> ping(call, scope.apply(call))));
    }

    private Webhooks webhooks() {
        return services.webhooks();
    }

    private void list(ApiCall call, WebhookScope scope) throws IOException {
        call.sendAll(webhooks().list(scope), w -> String.format("%020d", w.id()), Webhook::describe);
    }

    private void create(ApiCall call, WebhookScope scope) throws IOException {
        JsonNode body = call.body();
        Webhooks.Spec spec = new Webhooks.Spec(
                textOr(body, "method", HttpDelivery.NAME), call.text("url"), textOr(body, "format", "bollard"),
                call.optionalStrings("event_types"),
                optionalText(body, "repository_glob"), optionalText(body, "tag_glob"),
                body.has("headers") ? headers(body) : Map.of(),
                body.has("timeout_seconds") ? timeout(body) : Duration.ofSeconds(10));
        Webhooks.Created created = webhooks().create(call.actor(), scope, spec);
        Map<String, Object> answer = new LinkedHashMap<>(created.webhook().describe());
        answer.put("secret", created.secret());
        call.send(201, answer);
    }

    private void get(ApiCall call, WebhookScope scope) throws IOException {
        call.send(200, webhooks().get(scope, id(call, "id")).describe());
    }

    /** A field absent keeps its value; a glob given as null is removed. */
    private void update(ApiCall call, WebhookScope scope) throws IOException {
        long id = id(call, "id");
        JsonNode body = call.body();
        Webhook current = webhooks().get(scope, id);
        Webhooks.Spec was = Webhooks.specOf(current);
        Webhooks.Spec spec = new Webhooks.Spec(textOr(body, "method", was.method()), textOr(body, "url", was.url()),
                textOr(body, "format", was.format()),
                body.has("event_types") ? call.optionalStrings("event_types") : was.eventTypes(),
                body.has("repository_glob") ? optionalText(body, "repository_glob") : was.repositoryGlob(),
                body.has("tag_glob") ? optionalText(body, "tag_glob") : was.tagGlob(),
                body.has("headers") ? headers(body) : was.headers(),
                body.has("timeout_seconds") ? timeout(body) : was.timeout());
        Boolean enabled = call.optionalBoolean("enabled");
        Webhook updated = webhooks().update(call.actor(), scope, id, spec, enabled == null ? current.enabled() : enabled);
        Map<String, Object> answer = new LinkedHashMap<>(updated.describe());
        if (Boolean.TRUE.equals(call.optionalBoolean("rotate_secret"))) {
            answer.put("secret", webhooks().rotateSecret(call.actor(), scope, id));
        }
        call.send(200, answer);
    }

    private void delete(ApiCall call, WebhookScope scope) {
        webhooks().delete(call.actor(), scope, id(call, "id"));
        call.noContent();
    }

    private void deliveries(ApiCall call, WebhookScope scope) throws IOException {
        String cursor = call.cursor();
        long before;
        try {
            before = cursor == null ? Long.MAX_VALUE : Long.parseLong(cursor);
        } catch (NumberFormatException e) {
            throw new BollardException(dev.bollard.error.ErrorCode.INVALID_PAGINATION,
                    "cursor is not one this API handed out");
        }
        call.sendPage(webhooks().deliveries(scope, id(call, "id"), before, call.limit() + 1),
                d -> Long.toString(d.id()), d -> delivery(d, false));
    }

    private void delivery(ApiCall call, WebhookScope scope) throws IOException {
        call.send(200, delivery(webhooks().delivery(scope, id(call, "id"), id(call, "delivery")), true));
    }

    private void redeliver(ApiCall call, WebhookScope scope) throws IOException {
        boolean queued = webhooks().redeliver(call.actor(), scope, id(call, "id"), id(call, "delivery"));
        call.send(202, Map.of("queued", queued));
    }

    private void ping(ApiCall call, WebhookScope scope) throws IOException {
        DeliveryMethod.Attempt a = webhooks().ping(call.actor(), scope, id(call, "id"));
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("success", a.success());
        answer.put("status", a.status());
        answer.put("error", a.error());
        answer.put("latency_ms", a.latencyMillis());
        call.send(200, answer);
    }

    private static Map<String, Object> delivery(WebhookDao.Delivery d, boolean full) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", d.id());
        m.put("event", d.eventSeq() == 0 ? null : Long.toString(d.eventSeq()));
        m.put("event_type", d.eventType());
        m.put("attempt", d.attempt());
        m.put("attempted_at", java.time.Instant.ofEpochMilli(d.attemptedAt()).toString());
        m.put("success", d.success());
        m.put("status", d.status());
        m.put("error", d.error());
        m.put("latency_ms", d.latencyMillis());
        if (full) {
            m.put("request", Map.of("headers", parse(d.requestHeaders()), "body", d.requestBody()));
            m.put("response_body", d.responseBody());
        }
        return m;
    }

    private static JsonNode parse(String json) {
        try {
            return Json.MAPPER.readTree(json);
        } catch (IOException e) {
            return Json.MAPPER.createObjectNode();
        }
    }

    // ---- the body's fields ----

    private static long id(ApiCall call, String parameter) {
        try {
            return Long.parseLong(call.param(parameter));
        } catch (NumberFormatException e) {
            throw BollardException.notFound("no " + (parameter.equals("id") ? "webhook" : parameter) + " '"
                    + call.param(parameter) + "'");
        }
    }

    private static @Nullable String optionalText(JsonNode body, String field) {
        JsonNode n = body.get(field);
        if (n == null || n.isNull()) {
            return null;
        }
        if (!n.isTextual()) {
            throw BollardException.invalid("the field \"" + field + "\" must be a string");
        }
        return n.asText();
    }

    private static String textOr(JsonNode body, String field, String otherwise) {
        String v = optionalText(body, field);
        return v == null ? otherwise : v;
    }

    private static Map<String, String> headers(JsonNode body) {
        JsonNode n = body.get("headers");
        Map<String, String> headers = new LinkedHashMap<>();
        if (n == null || n.isNull()) {
            return headers;
        }
        if (!n.isObject()) {
            throw BollardException.invalid("the field \"headers\" must be an object of header names to values");
        }
        for (Map.Entry<String, JsonNode> e : n.properties()) {
            if (!e.getValue().isTextual()) {
                throw BollardException.invalid("the value of header " + e.getKey() + " must be a string");
            }
            headers.put(e.getKey(), e.getValue().asText());
        }
        return headers;
    }

    private static Duration timeout(JsonNode body) {
        JsonNode n = body.get("timeout_seconds");
        if (n == null || !n.isNumber() || n.asDouble() <= 0 || n.asDouble() > 30) {
            throw BollardException.invalid("the field \"timeout_seconds\" must be a number more than 0 and at most 30");
        }
        return Duration.ofMillis(Math.round(n.asDouble() * 1000));
    }
}
