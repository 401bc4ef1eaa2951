package dev.bollard.http.api;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.bollard.audit.Actor;
import dev.bollard.auth.Principal;
import dev.bollard.error.BollardException;
import dev.bollard.error.ErrorCode;
import dev.bollard.http.Exchange;
import dev.bollard.json.Json;
import dev.bollard.metadata.RepositoryFilter;
import java.io.IOException;
import java.io.InputStream;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * One management API request as its handler sees it: the path parameters, the query, the JSON body, who is calling
 * (already allowed by the access policy), and the ways to answer. Lists are paginated by an opaque {@code cursor}
 * and a {@code limit}; {@link #sendPage} answers with the items, the next cursor and a {@code Link: rel="next"}
 * header.
 */
public final class ApiCall {
    public static final int DEFAULT_LIMIT = 50;
    public static final int MAX_LIMIT = 500;
    static final int MAX_BODY_BYTES = 1024 * 1024;

    private final Exchange exchange;
    private final ApiRoute route;
    private final Map<String, String> parameters;
    private final Principal caller;
    private final RepositoryFilter visible;
    private @Nullable JsonNode body;

    ApiCall(Exchange exchange, ApiRoute route, Map<String, String> parameters, Principal caller,
            RepositoryFilter visible) {
        this.exchange = exchange;
        this.route = route;
        this.parameters = parameters;
        this.caller = caller;
        this.visible = visible;
    }

    /** The repositories the caller may see, as the access decision found (for listings). */
    public RepositoryFilter visible() {
        return visible;
    }

    /** The underlying exchange, for streaming answers (exports). */
    public Exchange exchange() {
        return exchange;
    }

    public ApiRoute route() {
        return route;
    }

    /** A path parameter of the route's template (decoded). */
    public String param(String name) {
        String v = parameters.get(name);
        if (v == null) {
            throw new IllegalArgumentException("route " + route.path() + " has no parameter " + name);
        }
        return v;
    }

    /** A query parameter, or null. */
    public @Nullable String query(String name) {
        return exchange.query(name);
    }

    /** Who is calling: a user, a robot, or anonymous. */
    public Principal caller() {
        return caller;
    }

    /** The caller as the actor of audit events, with the request's address and user agent. */
    public Actor actor() {
        return caller.actor(exchange.remoteAddress(), exchange.header("User-Agent"));
    }

    /** The caller when it is a user; otherwise 403 (robots and anonymous callers have no account to act on). */
    public Principal.User user() {
        if (caller instanceof Principal.User u) {
            return u;
        }
        throw new BollardException(ErrorCode.DENIED, "only a user may do this");
    }

    // ---- the request body ----

    /** The request body, which must be a JSON object (an empty body counts as {@code {}}). */
    public JsonNode body() throws IOException {
        if (body != null) {
            return body;
        }
        String type = exchange.header("Content-Type");
        if (exchange.announcesMoreThan(MAX_BODY_BYTES)) {
            throw new BollardException(ErrorCode.TOO_LARGE, "the request body is larger than " + MAX_BODY_BYTES + " bytes");
        }
        byte[] bytes;
        try (InputStream in = exchange.body()) {
            bytes = in.readNBytes(MAX_BODY_BYTES + 1);
        }
        if (bytes.length > MAX_BODY_BYTES) {
            throw new BollardException(ErrorCode.TOO_LARGE, "the request body is larger than " + MAX_BODY_BYTES + " bytes");
        }
        if (bytes.length == 0) {
            body = Json.MAPPER.createObjectNode();
            return body;
        }
        if (type != null && !type.toLowerCase(Locale.ROOT).startsWith("application/json")) {
            throw new BollardException(ErrorCode.UNSUPPORTED_MEDIA_TYPE, "send the body as application/json, not " + type);
        }
        JsonNode parsed;
        try {
            parsed = Json.MAPPER.readTree(bytes);
        } catch (JsonProcessingException e) {
            // Jackson's limits (nesting depth, number and string length) fail without a location.
            JsonLocation at = e.getLocation();
            throw new BollardException(ErrorCode.INVALID_JSON, "the body is not valid JSON: " + e.getOriginalMessage()
                    + (at == null ? "" : " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")"));
        }
        if (parsed == null || !parsed.isObject()) {
            throw new BollardException(ErrorCode.INVALID_JSON, "the body must be a JSON object");
        }
        body = parsed;
        return body;
    }

    /** A required string field of the body. */
    public String text(String field) throws IOException {
        String v = optionalText(field);
        if (v == null) {
            throw BollardException.invalid("the body needs the string field \"" + field + "\"");
        }
        return v;
    }

    /** An optional string field of the body; null when absent or null. */
    public @Nullable String optionalText(String field) throws IOException {
        JsonNode n = body().get(field);
        if (n == null || n.isNull()) {
            return null;
        }
        if (!n.isTextual()) {
            throw BollardException.invalid("the field \"" + field + "\" must be a string");
        }
        return n.asText();
    }

    /** An optional boolean field of the body; null when absent. */
    public @Nullable Boolean optionalBoolean(String field) throws IOException {
        JsonNode n = body().get(field);
        if (n == null || n.isNull()) {
            return null;
        }
        if (!n.isBoolean()) {
            throw BollardException.invalid("the field \"" + field + "\" must be true or false");
        }
        return n.asBoolean();
    }

    /** An optional field of the body that is a list of strings; empty when absent or null. */
    public List<String> optionalStrings(String field) throws IOException {
        JsonNode n = body().get(field);
        if (n == null || n.isNull()) {
            return List.of();
        }
        List<String> values = new ArrayList<>();
        if (n.isArray()) {
            for (JsonNode e : n) {
                if (!e.isTextual()) {
                    throw BollardException.invalid("the field \"" + field + "\" must be a list of strings");
                }
                values.add(e.asText());
            }
            return values;
        }
        throw BollardException.invalid("the field \"" + field + "\" must be a list of strings");
    }

    /** A required field that must be one of {@code allowed}. */
    public String oneOf(String field, List<String> allowed) throws IOException {
        String v = text(field);
        if (!allowed.contains(v)) {
            throw BollardException.invalid("the field \"" + field + "\" must be one of " + allowed + ", not \"" + v + "\"");
        }
        return v;
    }

    // ---- pagination ----

    /** The page size asked for: {@code limit}, 1 to {@value #MAX_LIMIT}, default {@value #DEFAULT_LIMIT}. */
    public int limit() {
        String v = query("limit");
        if (v == null) {
            return DEFAULT_LIMIT;
        }
        try {
            int n = Integer.parseInt(v);
            if (n >= 1 && n <= MAX_LIMIT) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new BollardException(ErrorCode.INVALID_PAGINATION, "limit must be a whole number from 1 to " + MAX_LIMIT
                + ", not '" + v + "'");
    }

    /** The key after which the page starts, decoded from the opaque {@code cursor}; null for the first page. */
    public @Nullable String cursor() {
        String v = query("cursor");
        if (v == null || v.isEmpty()) {
            return null;
        }
        try {
            return new String(Base64.getUrlDecoder().decode(v), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw new BollardException(ErrorCode.INVALID_PAGINATION, "cursor is not one this API handed out");
        }
    }

    /**
     * Answers 200 with {@code {"items": [...], "next_cursor": …}} from {@code rows}, which the handler fetched as at
     * most {@code limit() + 1} rows after {@link #cursor()} in key order (the extra row tells that a next page exists).
     */
    public <T> void sendPage(List<T> rows, Function<T, String> keyOf, Function<T, Object> toJson) throws IOException {
        int limit = limit();
        boolean more = rows.size() > limit;
        List<T> items = more ? rows.subList(0, limit) : rows;
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("items", items.stream().map(toJson).toList());
        String next = null;
        if (more && !items.isEmpty()) {
            next = Base64.getUrlEncoder().withoutPadding()
                    .encodeToString(keyOf.apply(items.getLast()).getBytes(StandardCharsets.UTF_8));
            exchange.setHeader("Link", "<" + nextUrl(next, limit) + ">; rel=\"next\"");
        }
        answer.put("next_cursor", next);
        send(200, answer);
    }

    /** As {@link #sendPage}, paginating a list the handler holds whole, sorted by {@code keyOf}. */
    public <T> void sendAll(List<T> all, Function<T, String> keyOf, Function<T, Object> toJson) throws IOException {
        String after = cursor();
        List<T> rows = all.stream().filter(t -> after == null || keyOf.apply(t).compareTo(after) > 0)
                .limit(limit() + 1L).toList();
        sendPage(rows, keyOf, toJson);
    }

    private String nextUrl(String cursor, int limit) {
        StringBuilder url = new StringBuilder(exchange.path()).append("?limit=").append(limit)
                .append("&cursor=").append(cursor);
        String raw = exchange.rawQuery();
        if (raw != null) {
            for (String pair : raw.split("&", -1)) {
                if (!pair.isEmpty() && !pair.startsWith("limit=") && !pair.startsWith("cursor=")) {
                    url.append('&').append(pair);
                }
            }
        }
        return url.toString();
    }

    // ---- answering ----

    public void send(int status, Object json) throws IOException {
        exchange.setHeader("Cache-Control", "no-store");
        exchange.sendJson(status, json);
    }

    public void noContent() {
        exchange.sendEmpty(204);
    }

    static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
