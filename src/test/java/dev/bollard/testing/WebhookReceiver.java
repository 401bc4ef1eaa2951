package dev.bollard.testing;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntUnaryOperator;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * A webhook receiver on loopback, as a user would write one: an HTTP server (the JDK's) that records every delivery
 * and checks its signature by the recipe of docs/events.md — HMAC-SHA256 with the secret over
 * {@code <Bollard-Timestamp>.<body>}, compared in constant time, the timestamp within five minutes — written here
 * independently of Bollard's own code. What it answers is up to the test: {@code status} maps the number of the
 * request (1, 2, …) to the status code.
 */
public final class WebhookReceiver implements AutoCloseable {

    /** One request received: its headers (names lower-cased), body, and whether the signature checked out. */
    public record Delivery(Map<String, String> headers, String body, boolean signatureValid, int answered) {
        public String header(String name) {
            return headers.get(name.toLowerCase(java.util.Locale.ROOT));
        }
    }

    private final HttpServer server;
    private final List<Delivery> deliveries = new CopyOnWriteArrayList<>();
    private final AtomicInteger count = new AtomicInteger();
    private volatile String secret = "";
    private volatile IntUnaryOperator status = n -> 204;
    private volatile byte[] responseBody = new byte[0];
    private volatile Duration hang = Duration.ZERO;

    private WebhookReceiver(HttpServer server) {
        this.server = server;
    }

    public static WebhookReceiver start() throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        WebhookReceiver r = new WebhookReceiver(server);
        server.createContext("/", exchange -> {
            byte[] body;
            try (InputStream in = exchange.getRequestBody()) {
                body = in.readAllBytes();
            }
            Map<String, String> headers = new TreeMap<>();
            exchange.getRequestHeaders().forEach((k, v) -> headers.put(k.toLowerCase(java.util.Locale.ROOT),
                    String.join(",", v)));
            int code = r.status.applyAsInt(r.count.incrementAndGet());
            try {
                Thread.sleep(r.hang); // a receiver that hangs: the sender's timeout ends the request first
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            r.deliveries.add(new Delivery(headers, new String(body, StandardCharsets.UTF_8),
                    verify(r.secret, headers.get("bollard-timestamp"), headers.get("bollard-signature"), body), code));
            byte[] answer = r.responseBody;
            exchange.sendResponseHeaders(code, answer.length == 0 ? -1 : answer.length);
            if (answer.length > 0) {
                exchange.getResponseBody().write(answer);
            }
            exchange.close();
        });
        server.start();
        return r;
    }

    /** The recipe of docs/events.md. */
    static boolean verify(String secret, String timestamp, String signature, byte[] body) {
        if (timestamp == null || signature == null || secret.isEmpty()) {
            return false;
        }
        long sent = Long.parseLong(timestamp);
        if (Math.abs(Instant.now().getEpochSecond() - sent) > 300) {
            return false;
        }
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            mac.update((timestamp + ".").getBytes(StandardCharsets.UTF_8));
            byte[] expected = ("sha256=" + HexFormat.of().formatHex(mac.doFinal(body))).getBytes(StandardCharsets.UTF_8);
            return MessageDigest.isEqual(expected, signature.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The secret to check signatures with (the one the registry showed when the webhook was created). */
    public void secret(String value) {
        this.secret = value;
    }

    /** What to answer to the n-th request (from 1). */
    public void answer(IntUnaryOperator statusOfRequest) {
        this.status = statusOfRequest;
    }

    /** How long every request from now on waits before its answer (none at first): a receiver that hangs. */
    public void hang(Duration wait) {
        this.hang = wait;
    }

    /** The body of every answer from now on (none at first). */
    public void respond(String body) {
        this.responseBody = body.getBytes(StandardCharsets.UTF_8);
    }

    /** {@code http://127.0.0.1:PORT/hook} */
    public String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/hook";
    }

    public List<Delivery> deliveries() {
        return new ArrayList<>(deliveries);
    }

    /** Waits until at least {@code n} requests came (at most {@code timeout}); returns them all. */
    public List<Delivery> await(int n, Duration timeout) throws InterruptedException {
        Instant end = Instant.now().plus(timeout);
        while (deliveries.size() < n && Instant.now().isBefore(end)) {
            Thread.sleep(20);
        }
        if (deliveries.size() < n) {
            throw new AssertionError("expected " + n + " deliveries within " + timeout + ", got " + deliveries.size()
                    + ": " + deliveries);
        }
        return deliveries();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
