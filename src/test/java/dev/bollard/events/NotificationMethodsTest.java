package dev.bollard.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.bollard.audit.Actor;
import dev.bollard.audit.AuditActions;
import dev.bollard.audit.AuditEvent;
import dev.bollard.config.BollardConfig;
import dev.bollard.error.BollardException;
import dev.bollard.jobs.Workers;
import dev.bollard.metadata.Database;
import dev.bollard.metadata.WebhookDao;
import dev.bollard.secrets.KeyEncryption;
import dev.bollard.testing.SlackReceiver;
import dev.bollard.testing.TestDatabase;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The notification methods beside signed webhooks, through the same queue, retries and delivery log: Slack messages
 * to a receiver on loopback as strict about the message's shape as Slack.
 */
class NotificationMethodsTest {
    private static final Actor ALICE = new Actor(Actor.Kind.USER, "alice", "10.0.0.1", "test/1.0");
    private static final String A = "sha256:" + "a".repeat(64);
    private static final String B = "sha256:" + "b".repeat(64);
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final KeyEncryption SEALING = KeyEncryption.of(new byte[32]);

    @TempDir
    Path dir;

    private final List<AutoCloseable> open = new ArrayList<>();
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : open.reversed()) {
            c.close();
        }
    }

    private static BollardConfig.Events settings(boolean allowPrivate) {
        return new BollardConfig.Events(Duration.ofMillis(50), Duration.ofDays(7), 8, Duration.ofMillis(100),
                Duration.ofMillis(400), 50, allowPrivate);
    }

    private EventDelivery started(Database db, BollardConfig.Events settings) {
        EventDelivery events = new EventDelivery(db, Outbox.RECORD_ONLY, settings, meters, SEALING);
        Workers workers = new Workers(db, meters);
        open.add(workers);
        events.workers().forEach(workers::start);
        return events;
    }

    private static void change(Database db, String action, String repository, Map<String, ?> details) {
        db.inTransaction(h -> {
            Outbox.RECORD_ONLY.record(h, AuditEvent.onRepository(ALICE, action, repository, details));
            return null;
        });
    }

    private static Webhooks.Spec slack(String url, List<String> types) {
        return new Webhooks.Spec(SlackDelivery.NAME, url, "bollard", types, null, null, Map.of(),
                Duration.ofSeconds(5));
    }

    @Test
    void slackGetsIncomingWebhookMessagesRetriedAndLoggedLikeAnyDelivery() throws Exception {
        Database db = TestDatabase.open("h2", dir, 8, open);
        EventDelivery events = started(db, settings(true));
        SlackReceiver slack = SlackReceiver.start();
        open.add(slack);
        slack.failures(n -> n == 1 ? 500 : 200); // Slack has a bad moment: the first attempt fails
        Webhook hook = events.webhooks().create(ALICE, WebhookScope.repository("alice/app"),
                slack(slack.url(), List.of(EventTypes.TAG_CREATED, EventTypes.TAG_MOVED))).webhook();
        assertThat(hook.method()).isEqualTo("slack");

        change(db, AuditActions.TAG_CREATE, "alice/app", Map.of("tag", "v1", "to", A));
        change(db, AuditActions.TAG_MOVE, "alice/app", Map.of("tag", "v1", "from", A, "to", B));
        List<SlackReceiver.Message> got = slack.await(2, WAIT);
        assertThat(slack.refused()).as("messages Slack would refuse").isEmpty();
        List<String> texts = got.stream().map(m -> m.json().get("text").asText()).toList();
        assertThat(texts).containsExactlyInAnyOrder(
                "alice created tag v1 of alice/app at sha256:aaaaaaaaaaaa",
                "alice moved tag v1 of alice/app to sha256:bbbbbbbbbbbb (was sha256:aaaaaaaaaaaa)");
        JsonNode moved = got.stream().filter(m -> m.json().get("text").asText().contains("moved")).findFirst()
                .orElseThrow().json();
        JsonNode section = moved.get("blocks").get(0);
        assertThat(section.get("type").asText()).isEqualTo("section");
        assertThat(section.get("text").get("type").asText()).isEqualTo("mrkdwn");
        assertThat(section.get("text").get("text").asText())
                .isEqualTo("alice moved tag `v1` of `alice/app` to `sha256:bbbbbbbbbbbb` (was `sha256:aaaaaaaaaaaa`)");
        JsonNode context = moved.get("blocks").get(1);
        assertThat(context.get("type").asText()).isEqualTo("context");
        assertThat(context.get("elements").get(0).get("text").asText()).startsWith("tag.moved · event ");

        // the failed first attempt and the retry that succeeded are in the delivery log, as for any webhook
        long end = System.nanoTime() + WAIT.toNanos();
        List<WebhookDao.Delivery> log = events.webhooks().deliveries(hook.scope(), hook.id(), Long.MAX_VALUE, 10);
        while (log.size() < 3 && System.nanoTime() < end) {
            Thread.sleep(20);
            log = events.webhooks().deliveries(hook.scope(), hook.id(), Long.MAX_VALUE, 10);
        }
        assertThat(log).hasSize(3);
        assertThat(log).filteredOn(d -> !d.success()).singleElement().satisfies(d -> {
            assertThat(d.status()).isEqualTo(500);
            assertThat(d.attempt()).isEqualTo(1);
        });
        assertThat(log).filteredOn(WebhookDao.Delivery::success).hasSize(2);
        assertThat(log).allSatisfy(d -> assertThat(d.requestHeaders()).contains("application/json")
                .doesNotContain("Bollard-Signature"));
        assertThat(events.webhooks().ping(ALICE, hook.scope(), hook.id()).success()).isTrue();
        assertThat(slack.messages().getLast().json().get("text").asText())
                .startsWith("alice sent a test notification");
    }

    @Test
    void slackTargetsPassTheSsrfGuard() {
        Database db = TestDatabase.open("h2", dir, 8, open);
        EventDelivery events = new EventDelivery(db, Outbox.RECORD_ONLY, settings(false), meters, SEALING);
        assertThatThrownBy(() -> events.webhooks().create(ALICE, WebhookScope.REGISTRY,
                slack("http://127.0.0.1:9/services/T/B/x", List.of())))
                .isInstanceOf(BollardException.class).hasMessageContaining("loopback");
        assertThatThrownBy(() -> events.webhooks().create(ALICE, WebhookScope.REGISTRY,
                slack("http://169.254.169.254/latest/meta-data", List.of())))
                .isInstanceOf(BollardException.class).hasMessageContaining("link-local");
    }
}
