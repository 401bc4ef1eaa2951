package dev.bollard.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bollard.testing.TestRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Locale;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every answer leaves the connection usable for the client's next request, whether the route read the body it was
 * sent or not: an error sent before the body was read, and a body a client sent after waiting for 100 Continue.
 * Clients (skopeo, containerd) reuse connections; one closed without notice leaves their next request unanswered.
 */
class ConnectionReuseTest {

    @TempDir
    static Path dir;

    static TestRegistry registry;

    @BeforeAll
    static void start() throws Exception {
        registry = TestRegistry.start(dir);
    }

    @AfterAll
    static void stop() {
        registry.close();
    }

    @Test
    void anErrorSentBeforeTheBodyArrivedKeepsTheConnection() throws Exception {
        try (Socket socket = connect()) {
            OutputStream out = socket.getOutputStream();
            send(out, "POST /v2/Not-A-Name/blobs/uploads/ HTTP/1.1\r\nHost: " + registry.hostPort()
                    + "\r\nContent-Type: application/octet-stream\r\nContent-Length: 5\r\n\r\n");
            Thread.sleep(200); // the body follows the headers late, as a busy client's may
            send(out, "hello");
            Response refused = Response.read(socket.getInputStream());
            assertThat(refused.status()).isEqualTo(400);
            assertThat(refused.body()).contains("NAME_INVALID");
            assertThat(refused.headers()).doesNotContain("connection: close");

            send(out, "GET /v2/ HTTP/1.1\r\nHost: " + registry.hostPort() + "\r\n\r\n");
            assertThat(Response.read(socket.getInputStream()).status()).as("the next request on the connection")
                    .isEqualTo(200);
        }
    }

    @Test
    void aBodySentAfter100ContinueDoesNotCloseTheConnection() throws Exception {
        byte[] blob = "a blob sent after 100 Continue".getBytes(StandardCharsets.UTF_8);
        String digest = "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(blob));
        try (Socket socket = connect()) {
            OutputStream out = socket.getOutputStream();
            InputStream in = socket.getInputStream();
            send(out, "POST /v2/reuse/app/blobs/uploads/?digest=" + digest + " HTTP/1.1\r\nHost: " + registry.hostPort()
                    + "\r\nContent-Type: application/octet-stream\r\nContent-Length: " + blob.length
                    + "\r\nExpect: 100-continue\r\n\r\n");
            assertThat(Response.read(in).status()).as("the interim answer").isEqualTo(100);
            out.write(blob);
            out.flush();
            Response created = Response.read(in);
            assertThat(created.status()).isEqualTo(201);
            assertThat(created.headers()).doesNotContain("connection: close");

            send(out, "HEAD /v2/reuse/app/blobs/" + digest + " HTTP/1.1\r\nHost: " + registry.hostPort() + "\r\n\r\n");
            Response head = Response.readHeadersOnly(in);
            assertThat(head.status()).as("the next request on the connection").isEqualTo(200);
        }
    }

    private static Socket connect() throws IOException {
        Socket socket = new Socket(registry.baseUri().getHost(), registry.baseUri().getPort());
        socket.setSoTimeout(10_000);
        return socket;
    }

    private static void send(OutputStream out, String text) throws IOException {
        out.write(text.getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    /** One HTTP/1.1 response read off the socket: its status, its header lines in lower case, and its body. */
    private record Response(int status, String headers, String body) {

        static Response read(InputStream in) throws IOException {
            return read(in, true);
        }

        /** A response to HEAD: its Content-Length describes a body that is not sent. */
        static Response readHeadersOnly(InputStream in) throws IOException {
            return read(in, false);
        }

        private static Response read(InputStream in, boolean withBody) throws IOException {
            String status = line(in);
            assertThat(status).as("a response, not the end of the connection").isNotNull().startsWith("HTTP/1.1 ");
            StringBuilder headers = new StringBuilder();
            long length = 0;
            for (String line = line(in); line != null && !line.isEmpty(); line = line(in)) {
                String lower = line.toLowerCase(Locale.ROOT);
                headers.append(lower).append('\n');
                if (lower.startsWith("content-length:")) {
                    length = Long.parseLong(lower.substring(15).trim());
                }
            }
            byte[] body = withBody ? in.readNBytes((int) length) : new byte[0];
            return new Response(Integer.parseInt(status.substring(9, 12)), headers.toString(),
                    new String(body, StandardCharsets.UTF_8));
        }

        private static String line(InputStream in) throws IOException {
            StringBuilder s = new StringBuilder();
            for (int c = in.read(); c >= 0; c = in.read()) {
                if (c == '\n') {
                    return s.toString();
                }
                if (c != '\r') {
                    s.append((char) c);
                }
            }
            return s.isEmpty() ? null : s.toString();
        }
    }
}
