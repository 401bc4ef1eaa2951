package dev.bollard.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntUnaryOperator;

/**
 * A Slack incoming webhook on loopback, as strict as Slack's about the message's shape: a POST of
 * {@code application/json} whose object has a non-empty string {@code text} and, if it has {@code blocks}, an array
 * of known block types (a {@code section} with a {@code text} object of type {@code mrkdwn} or {@code plain_text}; a
 * {@code context} with {@code elements}) is answered {@code 200 ok}; anything else {@code 400 invalid_payload} or
 * {@code invalid_blocks}, with Slack's words. {@code failures} maps the number of the request (1, 2, …) to a status to
 * answer instead (a 500 for an outage), after the shape was checked.
 */
public final class SlackReceiver implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> TEXT_TYPES = Set.of("mrkdwn", "plain_text");

    /** One message that Slack would have posted, parsed; and its raw body. */
    public record Message(JsonNode json, String body) {
    }

    private final HttpServer server;
    private final List<Message> messages = new CopyOnWriteArrayList<>();
    private final List<String> refused = new CopyOnWriteArrayList<>();
    private final AtomicInteger count = new AtomicInteger();
    private volatile IntUnaryOperator failures = n -> 200;

    private SlackReceiver(HttpServer server) {
        this.server = server;
    }

    public static SlackReceiver start() throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        SlackReceiver r = new SlackReceiver(server);
        server.createContext("/services/", exchange -> {
            String body;
            try (InputStream in = exchange.getRequestBody()) {
                body = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
            int n = r.count.incrementAndGet();
            String type = exchange.getRequestHeaders().getFirst("Content-Type");
            String problem = !"POST".equals(exchange.getRequestMethod()) ? "invalid_method"
                    : type == null || !type.startsWith("application/json") ? "invalid_payload" : check(body);
            int status = problem != null ? 400 : r.failures.applyAsInt(n);
            if (problem != null) {
                r.refused.add(problem + ": " + body);
            } else if (status == 200) {
                r.messages.add(new Message(JSON.readTree(body), body));
            }
            byte[] answer = (problem != null ? problem : status == 200 ? "ok" : "server_error")
                    .getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "text/plain");
            exchange.sendResponseHeaders(status, answer.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(answer);
            }
        });
        server.start();
        return r;
    }

    /** What Slack would say is wrong with the message, or null when it would post it. */
    private static String check(String body) {
        JsonNode m;
        try {
            m = JSON.readTree(body);
        } catch (IOException e) {
            return "invalid_payload";
        }
        if (m == null || !m.isObject() || !m.path("text").isTextual() || m.path("text").asText().isBlank()) {
            return "invalid_payload";
        }
        if (m.has("blocks")) {
            if (!m.get("blocks").isArray() || m.get("blocks").isEmpty()) {
                return "invalid_blocks";
            }
            for (JsonNode block : m.get("blocks")) {
                boolean ok = switch (block.path("type").asText()) {
                    case "section" -> isText(block.path("text"));
                    case "context" -> block.path("elements").isArray() && !block.path("elements").isEmpty()
                            && allText(block.path("elements"));
                    default -> false;
                };
                if (!ok) {
                    return "invalid_blocks";
                }
            }
        }
        return null;
    }

    private static boolean allText(JsonNode elements) {
        for (JsonNode e : elements) {
            if (!isText(e)) {
                return false;
            }
        }
        return true;
    }

    private static boolean isText(JsonNode t) {
        return t.isObject() && TEXT_TYPES.contains(t.path("type").asText()) && t.path("text").isTextual()
                && !t.path("text").asText().isEmpty();
    }

    /** The URL of an incoming webhook here, shaped like Slack's. */
    public String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/services/T0001/B0001/abcdefghijklmnopqrstuvwx";
    }

    public void failures(IntUnaryOperator statusOfRequest) {
        this.failures = statusOfRequest;
    }

    public List<Message> messages() {
        return List.copyOf(messages);
    }

    /** Requests refused for their shape (what Slack said, and the body). */
    public List<String> refused() {
        return List.copyOf(refused);
    }

    public int requests() {
        return count.get();
    }

    /** Waits until {@code n} messages were accepted; returns them. */
    public List<Message> await(int n, Duration wait) throws InterruptedException {
        long end = System.nanoTime() + wait.toNanos();
        while (messages.size() < n && System.nanoTime() < end) {
            Thread.sleep(20);
        }
        if (messages.size() < n) {
            throw new AssertionError("expected " + n + " Slack messages, got " + new ArrayList<>(messages)
                    + "; refused: " + refused);
        }
        return messages();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
