package dev.bollard.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bollard.testing.TestRegistry;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Stopping the server lets a request in flight finish instead of cutting it off. */
class GracefulShutdownTest {
    @TempDir
    Path dir;

    @Test
    void anUploadInFlightCompletesWhileTheServerStops() throws Exception {
        TestRegistry registry = TestRegistry.start(dir);
        URI base = registry.baseUri();
        HttpResponse<Void> started = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(base.resolve("/v2/graceful/app/blobs/uploads/"))
                        .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.discarding());
        String location = started.headers().firstValue("Location").orElseThrow();

        byte[] half = new byte[512 * 1024];
        try (Socket socket = new Socket(base.getHost(), base.getPort())) {
            socket.setSoTimeout(30_000);
            OutputStream out = socket.getOutputStream();
            out.write(("PATCH " + location + " HTTP/1.1\r\nHost: " + base.getHost() + "\r\nContent-Length: "
                    + 2 * half.length + "\r\nContent-Type: application/octet-stream\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.write(half);
            out.flush();
            Thread.sleep(300); // the request is in the handler, reading its body

            CompletableFuture<Void> stopping = CompletableFuture.runAsync(registry::close);
            Thread.sleep(500);
            assertThat(stopping).as("stop waits for the request in flight").isNotDone();

            out.write(half);
            out.flush();
            String head = readHead(socket.getInputStream());
            assertThat(head).startsWith("HTTP/1.1 202").contains("Range: 0-" + (2 * half.length - 1));
            stopping.get(30, TimeUnit.SECONDS);
        }
    }

    private static String readHead(InputStream in) throws Exception {
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int c = in.read();
            if (c < 0) {
                break;
            }
            head.append((char) c);
        }
        return head.toString();
    }
}
