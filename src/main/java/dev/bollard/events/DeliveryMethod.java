package dev.bollard.events;

import java.time.Duration;
import java.util.List;
import java.util.SortedMap;
import org.jspecify.annotations.Nullable;

/**
 * A way of delivering an event to a webhook's target: {@code http} ({@link HttpDelivery}, a signed POST) today;
 * Slack messages and e-mail are further methods of the same shape. A method renders and sends one attempt and
 * reports what happened; retries, the delivery log, metrics and disabling are the caller's ({@link DeliveryWorker}),
 * the same for every method.
 */
public interface DeliveryMethod {

    /** The method's name, as stored with the webhook ({@code http}). */
    String name();

    /** Refuses a target this method cannot deliver to (a malformed or forbidden URL). */
    void checkTarget(String target);

    /** One attempt to deliver {@code event} (the {@code attempt}-th) to {@code hook}; never throws for the target's failure. */
    Attempt deliver(Webhook hook, RegistryEvent event, int attempt);

    /**
     * How long to collect a webhook's events before delivering them together ({@link #deliverAll}); zero, the
     * default: each event is delivered alone, at once.
     */
    default Duration batchWindow() {
        return Duration.ZERO;
    }

    /** One attempt to deliver {@code events} (oldest first) together; only methods with a {@link #batchWindow}. */
    default Attempt deliverAll(Webhook hook, List<RegistryEvent> events, int attempt) {
        throw new UnsupportedOperationException(name() + " delivers each event alone");
    }

    /**
     * What one attempt sent and got: the request's headers (the secret's signature included, never the secret) and
     * body, the response's status and the start of its body (null when there was none), or the error that stopped
     * it; how long it took; whether it counts as delivered. {@code skipped}: the format cannot express the event,
     * nothing was sent, and the delivery is done.
     */
    record Attempt(SortedMap<String, String> requestHeaders, String requestBody, @Nullable Integer status,
                   @Nullable String responseBody, @Nullable String error, long latencyMillis, boolean success,
                   boolean skipped) {
    }
}
