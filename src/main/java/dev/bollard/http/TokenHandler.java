package dev.bollard.http;

import dev.bollard.auth.Auth;
import dev.bollard.oci.ErrorCode;
import java.io.IOException;
import java.io.InputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.util.Fields;

/**
 * The token endpoint of the Docker token flow: {@code GET /v2/auth} (Basic credentials or none, {@code scope},
 * {@code service}, {@code offline_token}), {@code POST /v2/auth} (OAuth2 form, grant_type password or refresh_token)
 * and the public keys at {@code GET /v2/auth/jwks.json}. Mapping only; {@link Auth} decides.
 */
final class TokenHandler {
    static final String PATH = "/v2/auth";
    static final String JWKS_PATH = "/v2/auth/jwks.json";
    private static final int MAX_FORM_BYTES = 64 * 1024;

    private final Auth auth;

    TokenHandler(Auth auth) {
        this.auth = auth;
    }

    static boolean handles(String path) {
        return path.equals(PATH) || path.equals(PATH + "/") || path.equals(JWKS_PATH);
    }

    void handle(Exchange ex) throws IOException {
        ex.setHeader("Cache-Control", "no-store");
        String path = ex.request.getHttpURI().getPath();
        if (path.equals(JWKS_PATH)) {
            if (!ex.method().equals("GET") && !ex.method().equals("HEAD")) {
                DistributionHandler.sendError(ex, 405, ErrorCode.UNSUPPORTED, "GET the key set", null);
                return;
            }
            ex.sendBytes(200, "application/jwk-set+json", auth.jwks().getBytes(StandardCharsets.UTF_8));
            return;
        }
        Auth.TokenRequest request;
        String remote = Request.getRemoteAddr(ex.request);
        switch (ex.method()) {
            case "GET" -> {
                Fields query = Request.extractQueryParameters(ex.request);
                request = new Auth.TokenRequest(null, ex.header("Authorization"), null, null, null,
                        query.getValues("scope") == null ? List.of() : query.getValues("scope"), query.getValue("service"),
                        "true".equalsIgnoreCase(query.getValue("offline_token")), remote, ex.header("User-Agent"));
            }
            case "POST" -> {
                Map<String, List<String>> form = form(ex);
                if (form == null) {
                    DistributionHandler.sendError(ex, 400, ErrorCode.UNSUPPORTED,
                            "expected an application/x-www-form-urlencoded body of at most " + MAX_FORM_BYTES + " bytes", null);
                    return;
                }
                request = new Auth.TokenRequest(first(form, "grant_type"), null, first(form, "username"),
                        first(form, "password"), first(form, "refresh_token"), form.getOrDefault("scope", List.of()),
                        first(form, "service"), "offline".equals(first(form, "access_type")), remote, ex.header("User-Agent"));
            }
            default -> {
                DistributionHandler.sendError(ex, 405, ErrorCode.UNSUPPORTED, "use GET or POST", null);
                return;
            }
        }
        switch (auth.token(request)) {
            case Auth.TokenResponse.Issued issued -> ex.sendJson(200, issued.body());
            case Auth.TokenResponse.Error e -> {
                if (e.retryAfterSeconds() > 0) {
                    ex.setHeader("Retry-After", Long.toString(e.retryAfterSeconds()));
                }
                DistributionHandler.sendError(ex, e.status(), ErrorCode.valueOf(e.code()), e.message(), null);
            }
        }
    }

    private static String first(Map<String, List<String>> form, String key) {
        List<String> v = form.get(key);
        return v == null || v.isEmpty() ? null : v.getFirst();
    }

    /** The url-encoded form of a POST; null when too large or not a form. */
    private static Map<String, List<String>> form(Exchange ex) throws IOException {
        String type = ex.header("Content-Type");
        if (type != null && !type.toLowerCase(java.util.Locale.ROOT).startsWith("application/x-www-form-urlencoded")) {
            return null;
        }
        byte[] body;
        try (InputStream in = ex.body()) {
            body = in.readNBytes(MAX_FORM_BYTES + 1);
        }
        if (body.length > MAX_FORM_BYTES) {
            return null;
        }
        Map<String, List<String>> form = new LinkedHashMap<>();
        for (String pair : new String(body, StandardCharsets.UTF_8).split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            try {
                String k = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
                String v = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
                form.computeIfAbsent(k, x -> new ArrayList<>()).add(v);
            } catch (IllegalArgumentException e) {
                return null;
            }
        }
        return form;
    }
}
