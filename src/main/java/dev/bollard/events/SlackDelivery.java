package dev.bollard.events;

import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The {@code slack} delivery method: a message in the format of Slack's incoming webhooks ({@code text}, the
 * notification's plain fallback, and {@code blocks}: a section with the event in mrkdwn and a context line with its
 * type, id and time), POSTed as JSON to the webhook's URL (https://hooks.slack.com/services/…, or anything that
 * speaks the format: Mattermost, Rocket.Chat). It sends through the {@code http} method's client, so the SSRF guard,
 * the timeout, the webhook's custom headers, the retries and the delivery log are the same; Slack does not check
 * signatures, so none is sent. The webhook's {@code format} is not used.
 */
public final class SlackDelivery implements DeliveryMethod {
    public static final String NAME = "slack";

    private final HttpDelivery http;

    public SlackDelivery(HttpDelivery http) {
        this.http = http;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public void checkTarget(String target) {
        http.checkTarget(target);
    }

    @Override
    public Attempt deliver(Webhook hook, RegistryEvent event, int attempt) {
        SortedMap<String, String> headers = new TreeMap<>(hook.headers());
        headers.put("Content-Type", "application/json");
        headers.put("User-Agent", HttpDelivery.USER_AGENT);
        return http.post(hook, headers, RegistryEvent.write(message(event)));
    }

    /** The message: Slack's {@code text} and {@code blocks}; {@code &}, {@code <} and {@code >} escaped as Slack asks. */
    static Map<String, Object> message(RegistryEvent event) {
        String text = escape(EventText.sentence(event, false));
        String rich = escape(EventText.sentence(event, true));
        String context = escape(event.type() + " · event " + event.id() + " · " + event.time() + " · Bollard");
        return Map.of("text", text, "blocks", List.of(
                Map.of("type", "section", "text", Map.of("type", "mrkdwn", "text", rich)),
                Map.of("type", "context", "elements", List.of(Map.of("type", "mrkdwn", "text", context)))));
    }

    /** Slack's three control characters in message text (api.slack.com, "Formatting text for app surfaces"). */
    static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
