package dev.bollard.http;

import dev.bollard.audit.Actor;
import dev.bollard.json.Json;
import dev.bollard.metadata.RepositoryFilter;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URLDecoder;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;
import org.eclipse.jetty.http.HttpCookie;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.io.EofException;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Blocker;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Fields;
import org.jspecify.annotations.Nullable;

/**
 * One HTTP request and its response, with the blocking helpers the endpoints use. Handlers run on virtual
 * threads, so blocking reads and writes are the plain way to stream. Public for the handlers of {@code /api/v1}
 * and the UI in sub-packages.
 */
public final class Exchange {
    /** A host name, IPv4 or bracketed IPv6 address, with an optional port: nothing that could break out of a URL. */
    private static final Pattern PLAIN_HOST = Pattern.compile("[A-Za-z0-9.:\\[\\]_-]+");

    final Request request;
    final Response response;
    final Callback callback;
    private @Nullable Fields query;
    /** The repositories the caller may see, as the access decision found (the catalog's filter). */
    RepositoryFilter visible = RepositoryFilter.ALL;
    /** Who the access decision let through, as the audit log names them. */
    dev.bollard.audit.@Nullable Actor actor;

    Exchange(Request request, Response response, Callback callback) {
        this.request = request;
        this.response = response;
        this.callback = callback;
    }

    /** The actor the access decision let through; set before a request is dispatched. */
    Actor actor() {
        return Objects.requireNonNull(actor, "the access decision sets the actor before dispatch");
    }

    /** The request path, still percent-encoded. */
    public String path() {
        return request.getHttpURI().getPath();
    }

    /** The raw query string, or null. */
    public @Nullable String rawQuery() {
        return request.getHttpURI().getQuery();
    }

    /** The client's address. */
    public String remoteAddress() {
        return Request.getRemoteAddr(request);
    }

    /** True once the status and headers were sent. */
    public boolean isCommitted() {
        return response.isCommitted();
    }

    /**
     * Whether a failure is the client going away mid-request (the connection ended or was reset while its body was
     * read or the answer written): the client's doing, logged at debug and counted as 499, not the registry's error.
     */
    public static boolean isClientGone(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof EofException || t instanceof ClosedChannelException) {
                return true;
            }
        }
        return false;
    }

    /** Ends the exchange with a failure (the connection is closed; for errors after the response began). */
    public void fail(Throwable failure) {
        callback.failed(failure);
    }

    public String method() {
        return request.getMethod();
    }

    public boolean isHead() {
        return "HEAD".equals(request.getMethod());
    }

    public @Nullable String header(String name) {
        return request.getHeaders().get(name);
    }

    /**
     * The Host header when it is a plain {@code host[:port]}, safe to put into a URL or a page; null when it is absent
     * or holds anything else (the client chose it, so it is not trusted as written).
     */
    public @Nullable String plainHost() {
        String host = authority();
        return host != null && PLAIN_HOST.matcher(host).matches() ? host : null;
    }

    /**
     * {@code host[:port]} as the client addressed the request, as sent: the Host header of HTTP/1.1, or HTTP/2's
     * {@code :authority} (HTTP/2 requests carry no Host header); null when there is neither.
     */
    public @Nullable String authority() {
        String host = header("Host");
        if (host == null && request.getHttpURI().hasAuthority()) {
            host = request.getHttpURI().getAuthority();
        }
        return host;
    }

    /** All values of a header that may repeat or hold a comma-separated list. */
    public List<String> headerValues(String name) {
        List<String> values = new ArrayList<>();
        for (String v : request.getHeaders().getValuesList(name)) {
            for (String part : v.split(",", -1)) {
                if (!part.isBlank()) {
                    values.add(part.trim());
                }
            }
        }
        return values;
    }

    public @Nullable String query(String name) {
        if (query == null) {
            query = Request.extractQueryParameters(request);
        }
        return query.getValue(name);
    }

    /** The declared Content-Length, or null when the body is chunked or absent. */
    public @Nullable Long contentLength() {
        long length = request.getLength();
        return length >= 0 ? length : null;
    }

    /**
     * Whether the request announces a body longer than {@code maxBytes}: such a request is refused with 413 before a
     * byte of it is read, rather than after reading up to the limit.
     */
    public boolean announcesMoreThan(long maxBytes) {
        Long length = contentLength();
        return length != null && length > maxBytes;
    }

    public InputStream body() {
        bodyOpened = true;
        return Content.Source.asInputStream(request);
    }

    /** How much of a refused request body is read and dropped to keep the connection usable. */
    static final long DRAIN_LIMIT = 16L * 1024 * 1024;

    /** Whether a route began reading the body (a client that waited for 100 Continue has been told to send it). */
    private boolean bodyOpened;

    /**
     * Reads and drops what is left of the request body before an answer sent without reading all of it (an early
     * error, or a route whose path says it all): answered with body bytes still on their way, Jetty closes the
     * connection after the answer without saying so, and a client reusing it gets no answer to its next request. A
     * body too large to be worth reading closes the connection after the answer instead, saying so. Every answer of
     * {@link #sendEmpty} and {@link #sendBytes} passes here, so no route has to remember it.
     */
    private void discardUnreadBody() {
        long announced = request.getLength();
        if (announced == 0 || (announced < 0 && !request.getHeaders().contains(HttpHeader.TRANSFER_ENCODING)
                && request.getConnectionMetaData().getHttpVersion().getVersion() < 20)) {
            return; // HTTP/1.x without a length or chunking has no body (RFC 9112, 6.3)
        }
        String expect = request.getHeaders().get(HttpHeader.EXPECT);
        boolean waitingForContinue = expect != null && expect.toLowerCase(Locale.ROOT).contains("100-continue");
        if (!bodyOpened && (announced > DRAIN_LIMIT || waitingForContinue)) {
            // Reading would invite the client to send a body nobody wants.
            response.getHeaders().put(HttpHeader.CONNECTION, "close");
            return;
        }
        try (InputStream in = Content.Source.asInputStream(request)) {
            long skipped = in.skip(DRAIN_LIMIT);
            if (skipped >= DRAIN_LIMIT && in.read() >= 0) {
                response.getHeaders().put(HttpHeader.CONNECTION, "close");
            }
        } catch (IOException | RuntimeException e) {
            response.getHeaders().put(HttpHeader.CONNECTION, "close");
        }
    }

    public void setHeader(String name, String value) {
        response.getHeaders().put(name, value);
    }

    /** Sends a response without a body. */
    public void sendEmpty(int status) {
        discardUnreadBody();
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, 0L);
        response.write(true, null, callback);
    }

    public void sendJson(int status, Object body) throws IOException {
        sendBytes(status, "application/json", Json.MAPPER.writeValueAsBytes(body));
    }

    /** Sends {@code body}, or only its headers for HEAD. */
    public void sendBytes(int status, String contentType, byte[] body) {
        discardUnreadBody();
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, contentType);
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, (long) body.length);
        response.write(true, isHead() ? null : ByteBuffer.wrap(body), callback);
    }

    public void sendText(int status, String text) {
        sendBytes(status, "text/plain; charset=utf-8", text.getBytes(StandardCharsets.UTF_8));
    }

    /** Adds a header that may repeat (Set-Cookie). */
    public void addHeader(String name, String value) {
        response.getHeaders().add(name, value);
    }

    /** The value of a cookie the request sent, or null. */
    public @Nullable String cookie(String name) {
        for (HttpCookie c : Request.getCookies(request)) {
            if (c.getName().equals(name)) {
                return c.getValue();
            }
        }
        return null;
    }

    /** Whether the request came over TLS (cookies are then marked Secure). */
    public boolean isSecure() {
        return request.isSecure();
    }

    /**
     * The url-encoded form of a POST, each name with its values in order; null when the body is larger than
     * {@code maxBytes}, not a form, or malformed.
     */
    public @Nullable Map<String, List<String>> form(int maxBytes) throws IOException {
        String type = header("Content-Type");
        if (type != null && !type.toLowerCase(Locale.ROOT).startsWith("application/x-www-form-urlencoded")) {
            return null;
        }
        byte[] body;
        try (InputStream in = body()) {
            body = in.readNBytes(maxBytes + 1);
        }
        if (body.length > maxBytes) {
            return null;
        }
        Map<String, List<String>> form = new LinkedHashMap<>();
        for (String pair : new String(body, StandardCharsets.UTF_8).split("&", -1)) {
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

    /** The first value of a field of a {@link #form}; null when the form or the field is absent or has no value. */
    public static @Nullable String first(@Nullable Map<String, List<String>> form, String name) {
        List<String> values = form == null ? null : form.get(name);
        return values == null || values.isEmpty() ? null : values.getFirst();
    }

    /** Writes a part of the body and waits until it is written; the buffer may be reused afterwards. */
    public void writeBlocking(ByteBuffer buffer) throws IOException {
        try (Blocker.Callback written = Blocker.callback()) {
            response.write(false, buffer, written);
            written.block();
        }
    }

    /** Ends a body written with {@link #writeBlocking}. */
    public void finish() {
        response.write(true, null, callback);
    }

    /** Decodes %XX escapes (UTF-8) of a path; a malformed escape is kept as written, which then fails validation. */
    public static String percentDecode(String s) {
        if (s.indexOf('%') < 0) {
            return s;
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '%' && i + 2 < s.length() && Character.digit(s.charAt(i + 1), 16) >= 0
                    && Character.digit(s.charAt(i + 2), 16) >= 0) {
                out.write(Character.digit(s.charAt(i + 1), 16) * 16 + Character.digit(s.charAt(i + 2), 16));
                i += 2;
            } else {
                byte[] bytes = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
                out.write(bytes, 0, bytes.length);
            }
        }
        return out.toString(StandardCharsets.UTF_8);
    }
}
