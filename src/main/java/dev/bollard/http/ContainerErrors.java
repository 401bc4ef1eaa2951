package dev.bollard.http;

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
 * parse (a {@code %00} in the path), a URI or headers too large (414, 431). Instead of Jetty's HTML page, the error
 * body of the surface the path belongs to: the management API's JSON under {@code /api/}, the distribution spec's
 * JSON elsewhere, and wherever the path itself could not be read (registry clients are most of the traffic, and parse
 * it). The message is Jetty's reason, never a stack or a class name.
 */
final class ContainerErrors extends ErrorHandler {

    @Override
    protected void generateResponse(Request request, Response response, int code, @Nullable String message,
                                    @Nullable Throwable cause, Callback callback) throws IOException {
        String path = request.getHttpURI() == null ? null : request.getHttpURI().getPath();
        String reason = "the request could not be read" + (message == null || message.isBlank() ? "" : ": " + message);
        Object body;
        if (path != null && path.startsWith("/api/")) {
            String apiCode = code >= 500 ? "INTERNAL" : code == 413 || code == 414 || code == 431 ? "TOO_LARGE"
                    : "INVALID_REQUEST";
            body = Map.of("code", apiCode, "message", reason);
        } else {
            response.getHeaders().put("Docker-Distribution-API-Version", "registry/2.0");
            body = Map.of("errors", List.of(Map.of("code", code >= 500 ? "UNKNOWN" : "UNSUPPORTED",
                    "message", reason)));
        }
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
        response.write(true, ByteBuffer.wrap(Json.MAPPER.writeValueAsBytes(body)), callback);
    }
}
