package dev.bollard.conformance;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * HTTP/1.1 over a plain socket, for requests {@link java.net.http.HttpClient} will not send as written: request
 * targets with {@code ..}, {@code %2e%2e} or {@code //}, and for seeing exactly what follows the headers of a
 * HEAD response. One request per connection ({@code Connection: close}); the whole response is read to EOF.
 */
final class RawHttp {

    record Response(int status, Map<String, List<String>> headers, byte[] body, byte[] afterHeaders) {
        Optional<String> header(String name) {
            List<String> v = headers.get(name.toLowerCase(Locale.ROOT));
            return v == null || v.isEmpty() ? Optional.empty() : Optional.of(v.get(0));
        }

        String bodyText() {
            return new String(body, StandardCharsets.UTF_8);
        }

        @Override
        public String toString() {
            return "HTTP " + status + " " + headers + " " + bodyText();
        }
    }

    private RawHttp() {
    }

    static Response send(URI base, String method, String target, Map<String, String> headers, byte[] body)
            throws IOException {
        return send(base, method, target, headers, body, false);
    }

    /**
     * With {@code halfClose}, the client shuts its output down after the body: with a {@code Content-Length}
     * header larger than the body, the server sees the body end early.
     */
    static Response send(URI base, String method, String target, Map<String, String> headers, byte[] body,
                         boolean halfClose) throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(base.getHost(), base.getPort()), 5_000);
            socket.setSoTimeout(15_000);
            StringBuilder head = new StringBuilder();
            head.append(method).append(' ').append(target).append(" HTTP/1.1\r\n");
            head.append("Host: ").append(base.getHost()).append(':').append(base.getPort()).append("\r\n");
            head.append("Connection: close\r\n");
            for (Map.Entry<String, String> h : headers.entrySet()) {
                head.append(h.getKey()).append(": ").append(h.getValue()).append("\r\n");
            }
            if (body != null && !headers.containsKey("Content-Length")) {
                head.append("Content-Length: ").append(body.length).append("\r\n");
            }
            head.append("\r\n");
            OutputStream out = socket.getOutputStream();
            IOException writeFailure = null;
            try {
                out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
                if (body != null) {
                    out.write(body);
                }
                out.flush();
                if (halfClose) {
                    socket.shutdownOutput();
                }
            } catch (IOException e) {
                // the server may answer (e.g. 413) and close before reading the whole body: read what it said
                writeFailure = e;
            }
            try {
                return parse(method, readAll(socket.getInputStream()));
            } catch (IOException e) {
                if (writeFailure != null) {
                    e.addSuppressed(writeFailure);
                }
                throw e;
            }
        }
    }

    /**
     * Sends {@code request} exactly as given (a request line or headers no client library writes) and reads the
     * answer to EOF; the client shuts its output down after the request.
     */
    static Response sendRaw(URI base, String request) throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(base.getHost(), base.getPort()), 5_000);
            socket.setSoTimeout(15_000);
            try {
                socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
                socket.shutdownOutput();
            } catch (IOException e) {
                // the server may answer and close before reading everything: read what it said
            }
            String method = request.substring(0, Math.max(0, request.indexOf(' ')));
            return parse(method, readAll(socket.getInputStream()));
        }
    }

    static Response send(URI base, String method, String target) throws IOException {
        return send(base, method, target, Map.of(), null);
    }

    private static byte[] readAll(InputStream in) throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        byte[] b = new byte[8192];
        int n;
        try {
            while ((n = in.read(b)) >= 0) {
                buf.write(b, 0, n);
            }
        } catch (java.net.SocketException e) {
            // connection reset after the response: keep what was read
            if (buf.size() == 0) {
                throw e;
            }
        }
        return buf.toByteArray();
    }

    private static Response parse(String method, byte[] raw) throws IOException {
        int end = indexOf(raw, "\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
        if (end < 0) {
            throw new IOException("no complete response head: " + new String(raw, StandardCharsets.ISO_8859_1));
        }
        String[] lines = new String(raw, 0, end, StandardCharsets.ISO_8859_1).split("\r\n", -1);
        int status = Integer.parseInt(lines[0].split(" ", -1)[1]);
        Map<String, List<String>> headers = new LinkedHashMap<>();
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            headers.computeIfAbsent(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT),
                    k -> new ArrayList<>()).add(lines[i].substring(colon + 1).trim());
        }
        byte[] rest = Arrays.copyOfRange(raw, end + 4, raw.length);
        byte[] body = rest;
        if (!method.equals("HEAD") && status != 204 && status != 304) {
            List<String> te = headers.get("transfer-encoding");
            if (te != null && te.get(0).toLowerCase(Locale.ROOT).contains("chunked")) {
                body = dechunk(rest);
            } else if (headers.containsKey("content-length")) {
                int len = Integer.parseInt(headers.get("content-length").get(0));
                body = Arrays.copyOf(rest, Math.min(len, rest.length));
            }
        }
        return new Response(status, headers, body, rest);
    }

    private static byte[] dechunk(byte[] in) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int p = 0;
        while (p < in.length) {
            int lineEnd = indexOf(Arrays.copyOfRange(in, p, in.length), new byte[] {'\r', '\n'});
            if (lineEnd < 0) {
                break;
            }
            String sizeLine = new String(in, p, lineEnd, StandardCharsets.ISO_8859_1);
            int semi = sizeLine.indexOf(';');
            int size = Integer.parseInt((semi >= 0 ? sizeLine.substring(0, semi) : sizeLine).trim(), 16);
            p += lineEnd + 2;
            if (size == 0) {
                break;
            }
            out.write(in, p, Math.min(size, in.length - p));
            p += size + 2;
        }
        return out.toByteArray();
    }

    private static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
