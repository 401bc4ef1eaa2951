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
import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.GreenMailUtil;
import com.icegreen.greenmail.util.ServerSetup;
import com.icegreen.greenmail.util.ServerSetupTest;
import dev.bollard.testing.SlackReceiver;
import dev.bollard.testing.TestCa;
import dev.bollard.testing.TestDatabase;
import jakarta.mail.internet.MimeMessage;
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
 * to a receiver on loopback as strict about the message's shape as Slack; e-mail to GreenMail, a real SMTP server in
 * this JVM, over TLS with a certificate of the tests' CA and SMTP AUTH, several events in one message.
 */
class NotificationMethodsTest {
    private static final Actor ALICE = new Actor(Actor.Kind.USER, "alice", "10.0.0.1", "test/1.0");
    private static final String A = "sha256:" + "a".repeat(64);
    private static final String B = "sha256:" + "b".repeat(64);
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final KeyEncryption SEALING = KeyEncryption.of(new byte[32]);

    @TempDir
    Path dir;

    /** One CA and one server certificate for the class: GreenMail keeps the first TLS key store it loaded. */
    @TempDir
    static Path tls;
    private static TestCa ca;
    private static Path p12;

    @org.junit.jupiter.api.BeforeAll
    static void certificate() throws Exception {
        ca = TestCa.create(tls.resolve("ca"));
        p12 = ca.pkcs12(ca.issue("smtp", "rsa"), "changeit");
    }

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
        // the metrics of deliveries: outcomes, the lag from a change to its delivery, the queue's depth and lag
        assertThat(meters.get("bollard.webhook.deliveries").tag("outcome", "failure").counter().count()).isEqualTo(1);
        assertThat(meters.get("bollard.webhook.deliveries").tag("outcome", "success").counter().count()).isEqualTo(2);
        assertThat(meters.get("bollard.event.delivery.lag").timer().count()).isEqualTo(2);
        assertThat(meters.get("bollard.webhook.queue.depth").gauge().value()).isZero();
        assertThat(meters.get("bollard.webhook.queue.lag.seconds").gauge().value()).isZero();
        assertThat(events.webhooks().ping(ALICE, hook.scope(), hook.id()).success()).isTrue();
        assertThat(slack.messages().getLast().json().get("text").asText())
                .startsWith("alice sent a test notification");
    }

    @Test
    void anHttpWebhookBecomesASlackOneAndBackButNotAnEmailOneSayingWhy() throws Exception {
        Database db = TestDatabase.open("h2", dir, 8, open);
        EventDelivery events = started(db, settings(true).withSmtp(smtp(25, "x", null))); // no message is sent
        SlackReceiver slack = SlackReceiver.start();
        open.add(slack);
        WebhookScope scope = WebhookScope.repository("alice/app");
        Webhook hook = events.webhooks().create(ALICE, scope, new Webhooks.Spec("http", slack.url(), "bollard",
                List.of(EventTypes.TAG_CREATED), null, null, Map.of(), Duration.ofSeconds(5))).webhook();
        Webhooks.Spec asSlack = slack(slack.url(), List.of(EventTypes.TAG_CREATED));
        Webhook changed = events.webhooks().update(ALICE, scope, hook.id(), asSlack, true);
        assertThat(changed.method()).isEqualTo("slack");
        change(db, AuditActions.TAG_CREATE, "alice/app", Map.of("tag", "v1", "to", A));
        assertThat(slack.await(1, WAIT).getFirst().json().get("text").asText())
                .isEqualTo("alice created tag v1 of alice/app at sha256:aaaaaaaaaaaa");
        assertThat(slack.refused()).as("messages Slack would refuse").isEmpty();

        Webhooks.Spec asEmail = new Webhooks.Spec("email", "mailto:alice@example.com", "bollard",
                List.of(EventTypes.TAG_CREATED), null, null, Map.of(), Duration.ofSeconds(5));
        assertThatThrownBy(() -> events.webhooks().update(ALICE, scope, hook.id(), asEmail, true))
                .isInstanceOf(BollardException.class)
                .hasMessageContaining("cannot change its method from slack to email")
                .hasMessageContaining("create a new webhook with method email");
        Webhook mail = events.webhooks().create(ALICE, scope, asEmail).webhook();
        assertThatThrownBy(() -> events.webhooks().update(ALICE, scope, mail.id(), asSlack, true))
                .isInstanceOf(BollardException.class)
                .hasMessageContaining("cannot change its method from email to slack");
        assertThat(events.webhooks().get(scope, mail.id()).method()).isEqualTo("email");
        assertThat(events.webhooks().update(ALICE, scope, hook.id(), Webhooks.specOf(hook), true).method())
                .isEqualTo("http");
    }

    @Test
    void aWebhookDisabledAfterFailuresIsNoticedToItsOwnerByEmail() throws Exception {
        GreenMail mail = smtps(0);
        Database db = TestDatabase.open("h2", dir, 8, open);
        db.inTransaction(h -> { // alice, whose address the directory gave; bob, of whom none is known
            dev.bollard.metadata.DirectoryDao.linkToDirectory(h,
                    dev.bollard.metadata.AccountDao.insert(h, "alice", "user", null, false), "ldap",
                    "uid=alice,ou=people,dc=example,dc=com", "alice@example.com");
            return dev.bollard.metadata.AccountDao.insert(h, "bob", "user", null, false);
        });
        BollardConfig.Events settings = new BollardConfig.Events(Duration.ofMillis(50), Duration.ofDays(7), 8,
                Duration.ofMillis(100), Duration.ofMillis(400), 2, true)
                .withSmtp(smtp(mail.getSmtps().getPort(), "smtp-password", ca.certificate()));
        EventDelivery events = started(db, settings);
        SlackReceiver down = SlackReceiver.start();
        open.add(down);
        down.failures(n -> 503);
        Webhook hook = events.webhooks().create(ALICE, WebhookScope.repository("alice/app"),
                slack(down.url(), List.of(EventTypes.TAG_CREATED))).webhook();
        Webhook bobs = events.webhooks().create(new Actor(Actor.Kind.USER, "bob", "10.0.0.2", "test/1.0"),
                WebhookScope.repository("bob/app"), slack(down.url(), List.of(EventTypes.TAG_CREATED))).webhook();
        try {
            change(db, AuditActions.TAG_CREATE, "alice/app", Map.of("tag", "v1", "to", A));
            change(db, AuditActions.TAG_CREATE, "bob/app", Map.of("tag", "v1", "to", A));
            long end = System.nanoTime() + WAIT.toNanos();
            while ((events.webhooks().get(hook.scope(), hook.id()).enabled()
                    || events.webhooks().get(bobs.scope(), bobs.id()).enabled()) && System.nanoTime() < end) {
                Thread.sleep(20);
            }
            assertThat(events.webhooks().get(hook.scope(), hook.id()).enabled()).isFalse();
            assertThat(events.webhooks().get(bobs.scope(), bobs.id()).enabled()).isFalse();
            assertThat(received(mail, 1)).as("the notice to alice").isTrue();
            Thread.sleep(500); // none for bob, whose address is not known
            MimeMessage[] got = mail.getReceivedMessages();
            assertThat(got).hasSize(1);
            assertThat(got[0].getAllRecipients()).extracting(Object::toString).containsExactly("alice@example.com");
            assertThat(got[0].getSubject()).isEqualTo("[Bollard] webhook " + hook.id() + " of repository alice/app "
                    + "was disabled");
            assertThat(got[0].getHeader("Auto-Submitted")).containsExactly("auto-generated");
            assertThat(GreenMailUtil.getBody(got[0])).contains("Hello alice", down.url(),
                    "after 2 failed delivery attempts in a row", "503");
        } finally {
            mail.stop();
        }
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

    /** GreenMail over TLS (SMTPS) on {@code port} (0: any), with a certificate for 127.0.0.1 and one SMTP user. */
    private static GreenMail smtps(int port) {
        System.setProperty("greenmail.tls.keystore.file", p12.toString());
        System.setProperty("greenmail.tls.keystore.password", "changeit");
        ServerSetup setup = port == 0 ? ServerSetupTest.SMTPS.dynamicPort() : ServerSetupTest.SMTPS.createCopy(port, "127.0.0.1", ServerSetup.PROTOCOL_SMTPS);
        GreenMail mail = new GreenMail(setup);
        mail.setUser("registry@example.com", "bollard", "smtp-password");
        mail.start();
        return mail;
    }

    /** Waits until {@code mail} holds {@code n} messages (GreenMail's own wait counts only those after the call). */
    private static boolean received(GreenMail mail, int n) throws InterruptedException {
        long end = System.nanoTime() + WAIT.toNanos();
        while (mail.getReceivedMessages().length < n && System.nanoTime() < end) {
            Thread.sleep(20);
        }
        return mail.getReceivedMessages().length >= n;
    }

    private static BollardConfig.Smtp smtp(int port, String password, java.nio.file.Path ca) {
        return new BollardConfig.Smtp("127.0.0.1", port, "tls", "bollard", password, "Bollard <registry@example.com>",
                Duration.ofSeconds(5), Duration.ofMillis(800), ca, BollardConfig.Smtp.DEFAULT_SUBJECT,
                BollardConfig.Smtp.DEFAULT_BODY);
    }

    @Test
    void emailSendsTheEventsOfABatchWindowInOneMessageOverTlsWithAuthAndRetriesWhenTheServerIsAway() throws Exception {
        GreenMail mail = smtps(0);
        int port = mail.getSmtps().getPort();
        Database db = TestDatabase.open("h2", dir, 8, open);
        BollardConfig.Events settings = new BollardConfig.Events(Duration.ofMillis(50), Duration.ofDays(7), 60,
                Duration.ofMillis(200), Duration.ofMillis(400), 1000, true).withSmtp(smtp(port, "smtp-password",
                ca.certificate()));
        EventDelivery events = started(db, settings);
        Webhook hook = events.webhooks().create(ALICE, WebhookScope.repository("alice/app"),
                new Webhooks.Spec(EmailDelivery.NAME, "mailto:ops@example.com,dev@example.com", "bollard", List.of(),
                        null, null, Map.of(), Duration.ofSeconds(10))).webhook();

        // three events within the window: one message (to each of the two recipients)
        change(db, AuditActions.PUSH, "alice/app", Map.of("reference", "v1", "digest", A,
                "mediaType", "application/vnd.oci.image.manifest.v1+json", "size", 512));
        change(db, AuditActions.TAG_CREATE, "alice/app", Map.of("tag", "v1", "to", A));
        change(db, AuditActions.TAG_MOVE, "alice/app", Map.of("tag", "v1", "from", A, "to", B));
        try {
            assertThat(received(mail, 2)).as("one message for each recipient; log: %s",
                    events.webhooks().deliveries(hook.scope(), hook.id(), Long.MAX_VALUE, 10)).isTrue();
            Thread.sleep(1_500); // a second message would come now
            MimeMessage[] got = mail.getReceivedMessages();
            assertThat(got).hasSize(2);
            MimeMessage first = got[0];
            assertThat(first.getSubject()).isEqualTo("[Bollard] 3 events in alice/app");
            assertThat(first.getFrom()[0].toString()).isEqualTo("Bollard <registry@example.com>");
            assertThat(java.util.Arrays.stream(first.getAllRecipients()).map(Object::toString))
                    .containsExactly("ops@example.com", "dev@example.com");
            assertThat(first.getHeader("Auto-Submitted")[0]).isEqualTo("auto-generated");
            String body = GreenMailUtil.getBody(first).replace("\r\n", "\n");
            assertThat(body).containsSubsequence("alice pushed sha256:aaaaaaaaaaaa to alice/app as v1",
                    "alice created tag v1 of alice/app at sha256:aaaaaaaaaaaa",
                    "alice moved tag v1 of alice/app to sha256:bbbbbbbbbbbb (was sha256:aaaaaaaaaaaa)",
                    "Sent by Bollard for webhook " + hook.id() + " (repository alice/app).");
            assertThat(first.getHeader("Bollard-Event-Ids")[0].split(",")).hasSize(3);
        } finally {
            mail.stop();
        }

        // the server is away: the attempt fails and is logged; what comes meanwhile joins the batch being retried
        change(db, AuditActions.TAG_DELETE, "alice/app", Map.of("tag", "v1", "digest", B));
        long end = System.nanoTime() + WAIT.toNanos();
        while (events.webhooks().deliveries(hook.scope(), hook.id(), Long.MAX_VALUE, 10).stream()
                .noneMatch(d -> !d.success()) && System.nanoTime() < end) {
            Thread.sleep(20);
        }
        WebhookDao.Delivery failed = events.webhooks().deliveries(hook.scope(), hook.id(), Long.MAX_VALUE, 10).stream()
                .filter(d -> !d.success()).findFirst().orElseThrow();
        assertThat(failed.error()).contains("127.0.0.1:" + port);
        change(db, AuditActions.TAG_CREATE, "alice/app", Map.of("tag", "v2", "to", B));
        Thread.sleep(1_000); // past the window: the second event is in the batch, waiting with the first
        GreenMail back = smtps(port);
        try {
            assertThat(received(back, 2)).isTrue();
            MimeMessage retried = back.getReceivedMessages()[0];
            assertThat(retried.getSubject()).isEqualTo("[Bollard] 2 events in alice/app");
            assertThat(GreenMailUtil.getBody(retried)).contains("alice deleted tag v1 of alice/app")
                    .contains("alice created tag v2 of alice/app at sha256:bbbbbbbbbbbb");
            // the log entry is written just after the server took the message
            long logged = System.nanoTime() + WAIT.toNanos();
            WebhookDao.Delivery sent = events.webhooks().deliveries(hook.scope(), hook.id(), Long.MAX_VALUE, 1)
                    .getFirst();
            while (!sent.success() && System.nanoTime() < logged) {
                Thread.sleep(20);
                sent = events.webhooks().deliveries(hook.scope(), hook.id(), Long.MAX_VALUE, 1).getFirst();
            }
            assertThat(sent.success()).isTrue();
            assertThat(sent.status()).as("the SMTP server's reply code").isEqualTo(250);
            assertThat(sent.requestHeaders()).contains("[Bollard] 2 events in alice/app");
        } finally {
            back.stop();
        }
    }

    @Test
    void emailRefusesAWrongPasswordAServerItDoesNotTrustAndBadAddresses() throws Exception {
        GreenMail mail = smtps(0);
        try {
            int port = mail.getSmtps().getPort();
            RegistryEvent event = new RegistryEvent(7, EventTypes.TAG_CREATED, java.time.Instant.now(), "user", "alice",
                    "alice", "alice/app", new java.util.TreeMap<>(Map.of("tag", "v1", "digest", A)));
            Webhook hook = new Webhook(1, WebhookScope.repository("alice/app"), EmailDelivery.NAME,
                    "mailto:ops@example.com", WebhookFormat.BOLLARD, "s", java.util.Set.of(), null, null,
                    new java.util.TreeMap<>(), Duration.ofSeconds(5), true, null, 0, "alice", java.time.Instant.now());
            DeliveryMethod.Attempt ok = new EmailDelivery(smtp(port, "smtp-password", ca.certificate()))
                    .deliver(hook, event, 1);
            assertThat(ok.success()).as(String.valueOf(ok.error())).isTrue();
            DeliveryMethod.Attempt wrongPassword = new EmailDelivery(smtp(port, "not-the-password", ca.certificate()))
                    .deliver(hook, event, 1);
            assertThat(wrongPassword.success()).isFalse();
            assertThat(wrongPassword.error()).containsIgnoringCase("authentication");
            // without the CA, the JDK's trust store does not know the server's certificate: no message
            DeliveryMethod.Attempt untrusted = new EmailDelivery(smtp(port, "smtp-password", null))
                    .deliver(hook, event, 1);
            assertThat(untrusted.success()).isFalse();
            assertThat(untrusted.error()).containsIgnoringCase("certification path");
            assertThat(mail.getReceivedMessages()).hasSize(1);
        } finally {
            mail.stop();
        }
        EmailDelivery email = new EmailDelivery(smtp(25, "x", null));
        assertThatThrownBy(() -> email.checkTarget("https://example.com/")).hasMessageContaining("mailto:");
        assertThatThrownBy(() -> email.checkTarget("mailto:ops@example.com?subject=hi")).hasMessageContaining("no ?");
        assertThatThrownBy(() -> email.checkTarget("mailto:not an address")).isInstanceOf(BollardException.class);
        assertThatThrownBy(() -> new EmailDelivery(BollardConfig.Smtp.OFF).checkTarget("mailto:ops@example.com"))
                .hasMessageContaining("notifications.smtp.host");
    }
}
