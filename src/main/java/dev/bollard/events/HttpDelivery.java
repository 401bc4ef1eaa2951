package dev.bollard.events;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The {@code http} delivery method: a POST of the event in the webhook's format to its URL, signed
 * ({@link Signatures}), with the webhook's headers, within its timeout, never following redirects (a redirect is a
 * failed attempt: following it could lead past the SSRF guard). A 2xx status is a delivery; anything else, a timeout
 * or a connection failure is a failed attempt.
 */
public final class HttpDelivery implements DeliveryMethod {
    public static final String NAME = "http";
    static final String USER_AGENT = "Bollard-Webhooks/1";
    private static final int RESPONSE_KEPT = 2048;

    private final TargetGuard guard;
    private final HttpClient client;

    public HttpDelivery(TargetGuard guard) {
        this.guard = guard;
        this.client = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER)
                .connectTimeout(Duration.ofSeconds(10)).build();
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public void checkTarget(String target) {
        guard.check(target);
    }

    @Override
    public Attempt deliver(Webhook hook, RegistryEvent event, int attempt) {
        Optional<String> rendered = hook.format().render(event);
        SortedMap<String, String> headers = new TreeMap<>(hook.headers());
        if (rendered.isEmpty()) {
            return new Attempt(headers, "", null, null, "the format " + hook.format().id() + " has no form for "
                    + event.type() + "; nothing sent", 0, true, true);
        }
        byte[] body = rendered.get().getBytes(StandardCharsets.UTF_8);
        long timestamp = Instant.now().getEpochSecond();
        headers.put("Content-Type", hook.format().contentType());
        headers.put("User-Agent", USER_AGENT);
        headers.put("Bollard-Event", event.type());
        headers.put("Bollard-Event-Id", event.id());
        headers.put("Bollard-Webhook-Id", Long.toString(hook.id()));
        headers.put("Bollard-Delivery-Attempt", Integer.toString(attempt));
        headers.put(Signatures.TIMESTAMP_HEADER, Long.toString(timestamp));
        headers.put(Signatures.SIGNATURE_HEADER, Signatures.sign(hook.secret(), timestamp, body));
        return post(hook, headers, rendered.get());
    }

    /**
     * POSTs {@code body} with {@code headers} to the webhook's URL, checked by the SSRF guard first, within its
     * timeout, and reports the attempt: the one way every HTTP-based method ({@code http}, {@code slack}) sends.
     */
    Attempt post(Webhook hook, SortedMap<String, String> headers, String body) {
        long start = System.nanoTime();
        try {
            URI uri = guard.check(hook.url()); // again: the name may resolve elsewhere since the webhook was saved
            HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(hook.timeout())
                    .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
            headers.forEach(request::header);
            HttpResponse<byte[]> response = client.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
            String responseBody = new String(response.body(), 0, Math.min(response.body().length, RESPONSE_KEPT),
                    StandardCharsets.UTF_8);
            boolean ok = response.statusCode() / 100 == 2;
            return new Attempt(headers, body, response.statusCode(), responseBody,
                    ok ? null : "the receiver answered " + response.statusCode(), millisSince(start), ok, false);
        } catch (HttpTimeoutException e) {
            return failed(headers, body, "no answer within " + hook.timeout().toMillis() + " ms", start);
        } catch (IOException e) {
            return failed(headers, body, "cannot reach the receiver: " + e, start);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return failed(headers, body, "interrupted (the registry is stopping)", start);
        } catch (RuntimeException e) { // a refusal of the guard, a header the HTTP client will not send
            return failed(headers, body, e.getMessage() == null ? e.toString() : e.getMessage(), start);
        }
    }

    private static Attempt failed(SortedMap<String, String> headers, String body, String error, long start) {
        return new Attempt(headers, body, null, null, error, millisSince(start), false, false);
    }

    private static long millisSince(long startNanos) {
        return (System.nanoTime() - startNanos) / 1_000_000;
    }
}
