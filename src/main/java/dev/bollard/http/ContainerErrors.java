package dev.bollard.http;

import dev.bollard.error.ErrorCode;
import dev.bollard.json.Json;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;
import org.jspecify.annotations.Nullable;

/**
 * The answer to a request that Jetty refuses before any of our handlers sees it: a request line or URI it cannot
 * parse (a {@code %00} in the path, no or an unknown HTTP version), a bad {@code Content-Length} or chunk, a URI or
 * headers too large (414, 431). Instead of Jetty's HTML page (or its empty body, which it sends for every method but
 * GET, POST and HEAD), the error body of the surface the path belongs to: the management API's JSON under
 * {@code /api/}, the distribution spec's JSON elsewhere, and wherever the path itself could not be read (registry
 * clients are most of the traffic, and parse it). The message is Jetty's reason, never a stack or a class name. The
 * codes are the error model's ({@link ErrorCode}); the statuses stay Jetty's (414 and 431 say more than the model's
 * 413), except 505 below.
 */
final class ContainerErrors extends ErrorHandler {

    /** Every method gets the error body; Jetty's default writes one only for GET, POST and HEAD. */
    @Override
    public boolean errorPageForMethod(String method) {
        return true;
    }

    @Override
    protected void generateResponse(Request request, Response response, int code, @Nullable String message,
                                    @Nullable Throwable cause, Callback callback) throws IOException {
        int status = code;
        String reason = message;
        if (code == 505) {
            // Jetty answers 505 to a request line without a version (HTTP/0.9) or with one it does not know
            // ("HTTP/9"): both are malformed HTTP/1.1 request lines (RFC 9112, 3), the client's error, not a failure
            // of the server; a 5xx would count against the registry in every client's retry logic and every SLO.
            status = 400;
            reason = "unsupported HTTP version (" + message + "); Bollard speaks HTTP/1.0, HTTP/1.1 and HTTP/2";
            response.setStatus(status);
        } else if ("Bad HostPort".equals(message)) {
            // Jetty's words for a Host header (or absolute URI authority) it cannot parse: say which header and why.
            reason = "the Host header is not a host name or address with an optional port (" + message + ")";
        }
        String path = request.getHttpURI() == null ? null : request.getHttpURI().getPath();
        String text = "the request could not be read" + (reason == null || reason.isBlank() ? "" : ": " + reason);
        Object body;
        if (path != null && path.startsWith("/api/")) {
            ErrorCode apiCode = status >= 500 ? ErrorCode.INTERNAL
                    : status == 413 || status == 414 || status == 431 ? ErrorCode.TOO_LARGE : ErrorCode.INVALID_REQUEST;
            body = Map.of("code", apiCode.name(), "message", text);
        } else {
            response.getHeaders().put("Docker-Distribution-API-Version", "registry/2.0");
            ErrorCode v2Code = status >= 500 ? ErrorCode.UNKNOWN : ErrorCode.UNSUPPORTED;
            body = Map.of("errors", List.of(Map.of("code", v2Code.name(), "message", text)));
        }
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
        response.write(true, ByteBuffer.wrap(Json.MAPPER.writeValueAsBytes(body)), callback);
    }
}
