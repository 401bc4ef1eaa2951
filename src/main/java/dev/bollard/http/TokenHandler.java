package dev.bollard.http;

import static dev.bollard.http.Exchange.first;

import dev.bollard.auth.Auth;
import dev.bollard.auth.RobotCertificates;
import dev.bollard.error.BollardException;
import dev.bollard.error.ErrorCode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Map;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.util.Fields;
import org.jspecify.annotations.Nullable;

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
        try {
            issue(ex);
        } catch (BollardException e) {
            DistributionErrors.send(ex, e);
        }
    }

    private void issue(Exchange ex) throws IOException {
        String path = ex.request.getHttpURI().getPath();
        if (path.equals(JWKS_PATH)) {
            if (!ex.method().equals("GET") && !ex.method().equals("HEAD")) {
                throw new BollardException(ErrorCode.UNSUPPORTED, "GET the key set");
            }
            ex.sendBytes(200, "application/jwk-set+json", auth.jwks().getBytes(StandardCharsets.UTF_8));
            return;
        }
        Auth.TokenRequest request;
        String remote = Request.getRemoteAddr(ex.request);
        switch (ex.method()) {
            case "GET" -> {
                Fields query = Request.extractQueryParameters(ex.request);
                request = new Auth.TokenRequest(new Auth.Grant.Header(ex.header("Authorization"),
                        "true".equalsIgnoreCase(query.getValue("offline_token"))),
                        query.getValues("scope") == null ? List.of() : query.getValues("scope"), query.getValue("service"),
                        remote, ex.header("User-Agent"), clientCertificate(ex.request));
            }
            case "POST" -> {
                if (ex.announcesMoreThan(MAX_FORM_BYTES)) {
                    throw new BollardException(ErrorCode.TOO_LARGE, "the form is larger than " + MAX_FORM_BYTES
                            + " bytes");
                }
                Map<String, List<String>> form = ex.form(MAX_FORM_BYTES);
                if (form == null) {
                    // UNSUPPORTED as for the token endpoint's other bad requests (see Auth.token), but 400.
                    throw new BollardException(ErrorCode.UNSUPPORTED, ErrorCode.Kind.INVALID,
                            "expected an application/x-www-form-urlencoded body of at most " + MAX_FORM_BYTES + " bytes", null);
                }
                request = new Auth.TokenRequest(grant(form), form.getOrDefault("scope", List.of()),
                        first(form, "service"), remote, ex.header("User-Agent"));
            }
            default -> throw new BollardException(ErrorCode.UNSUPPORTED, "use GET or POST");
        }
        ex.sendJson(200, auth.token(request).body());
    }

    /**
     * The SHA-256 fingerprint of the client certificate the TLS handshake verified (server.tls.client-auth want or
     * need, against server.tls.client-ca); null on plain HTTP and when the client sent none.
     */
    static @Nullable String clientCertificate(Request request) {
        if (request.getAttribute(EndPoint.SslSessionData.ATTRIBUTE) instanceof EndPoint.SslSessionData tls) {
            X509Certificate[] chain = tls.peerCertificates();
            if (chain != null && chain.length > 0) {
                return RobotCertificates.fingerprint(chain[0]);
            }
        }
        return null;
    }

    /** The OAuth2 form's {@code grant_type} with what it sends; none is refused by {@link Auth#token}. */
    private static Auth.Grant grant(Map<String, List<String>> form) {
        String grantType = first(form, "grant_type");
        if (grantType == null) {
            return new Auth.Grant.Missing();
        }
        return switch (grantType) {
            case "password" -> new Auth.Grant.Password(first(form, "username"), first(form, "password"));
            case "refresh_token" -> new Auth.Grant.RefreshToken(first(form, "refresh_token"));
            default -> new Auth.Grant.Unsupported(grantType);
        };
    }
}
