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
import dev.bollard.json.Json;
import dev.bollard.metadata.Database;
import dev.bollard.metadata.OutboxDao;
import dev.bollard.metadata.WebhookDao;
import dev.bollard.metadata.WorkItemDao;
import dev.bollard.secrets.KeyEncryption;
import dev.bollard.testing.RunsAlone;
import dev.bollard.testing.TestDatabase;
import dev.bollard.testing.WebhookReceiver;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Events and webhook deliveries on H2 and on a real PostgreSQL, to receivers on loopback that check every
 * signature: committed changes become events in commit order and rolled-back ones never do; changes left by a
 * process that stopped before publishing are delivered by the next one; each format's payload; a receiver that fails
 * three times gets exactly one successful delivery; one that stays down gets its webhook disabled, audited.
 */
// Alone: a healthy webhook's delivery must come within 3 s while another one's backlog times out.
@RunsAlone
class WebhookDeliveryTest {
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

    private Database database(String kind) {
        return TestDatabase.open(kind, dir, 8, open);
    }

    /** Fast retries; private targets allowed (the receivers are on loopback). */
    private static BollardConfig.Events settings(int disableAfter) {
        return new BollardConfig.Events(Duration.ofMillis(50), Duration.ofDays(7), 8, Duration.ofMillis(100),
                Duration.ofMillis(400), disableAfter, true);
    }

    private EventDelivery events(Database db, BollardConfig.Events settings) {
        return new EventDelivery(db, Outbox.RECORD_ONLY, settings, meters, SEALING);
    }

    private void run(Database db, EventDelivery events) {
        Workers workers = new Workers(db, meters);
        open.add(workers);
        events.workers().forEach(workers::start);
    }

    private WebhookReceiver receiver() throws Exception {
        WebhookReceiver r = WebhookReceiver.start();
        open.add(r);
        return r;
    }

    private static Webhooks.Spec spec(String url, String format) {
        return new Webhooks.Spec("http", url, format, List.of(), null, null, Map.of("X-Team", "platform"),
                Duration.ofSeconds(5));
    }

    private static void change(Database db, String action, String repository, Map<String, ?> details) {
        db.inTransaction(h -> {
            Outbox.RECORD_ONLY.record(h, AuditEvent.onRepository(ALICE, action, repository, details));
            return null;
        });
    }

    private static List<String> types(List<WebhookReceiver.Delivery> deliveries) {
        return deliveries.stream().map(d -> d.header("Bollard-Event")).toList();
    }

    @ParameterizedTest
    @ValueSource(strings = {"h2", "postgres"})
    void deletingAWebhookDropsItsQueuedDeliveriesAndNoOtherWebhooks(String kind) throws Exception {
        Database db = database(kind);
        EventDelivery events = events(db, settings(50)); // no workers: what is queued stays queued
        WebhookScope scope = WebhookScope.repository("alice/app");
        long gone = events.webhooks().create(ALICE, scope, spec("http://127.0.0.1:9/a", "bollard")).webhook().id();
        long kept = events.webhooks().create(ALICE, scope, spec("http://127.0.0.1:9/b", "bollard")).webhook().id();
        db.inTransaction(h -> {
            for (long seq = 1; seq <= 3; seq++) {
                events.webhooks().enqueue(h, gone, seq);
                events.webhooks().enqueue(h, kept, seq);
            }
            return null;
        });
        events.webhooks().delete(ALICE, scope, gone);
        List<String> queued = db.read(h -> WorkItemDao.inState(h, EventDelivery.QUEUE, "pending")).stream()
                .map(WorkItemDao.Row::key).sorted().toList();
        assertThat(queued).containsExactly(kept + ":1", kept + ":2", kept + ":3");
    }

    @ParameterizedTest
    @ValueSource(strings = {"h2", "postgres"})
    void secretsAndHeadersAreStoredSealedAndOnesStoredInTheClearAreSealedAtStart(String kind) throws Exception {
        Database db = database(kind);
        EventDelivery events = events(db, settings(50));
        WebhookReceiver receiver = receiver();
        Webhooks.Created created = events.webhooks().create(ALICE, WebhookScope.repository("alice/app"),
                new Webhooks.Spec("http", receiver.url(), "bollard", List.of(), null, null,
                        Map.of("Authorization", "Bearer receiver-credential"), Duration.ofSeconds(5)));
        receiver.secret(created.secret());
        WebhookDao.Row stored = db.read(h -> WebhookDao.find(h, created.webhook().id())).orElseThrow();
        assertThat(stored.secret()).startsWith("kek1:").doesNotContain(created.secret());
        assertThat(stored.headers()).startsWith("kek1:").doesNotContain("receiver-credential");

        // A row in the clear (as an earlier version wrote it) is sealed by the next start, and still signs.
        db.inTransaction(h -> WebhookDao.replaceSealed(h, stored.id(), stored.secret(), created.secret(),
                stored.headers(), "{\"Authorization\":\"Bearer receiver-credential\"}"));
        EventDelivery restarted = events(db, settings(50));
        WebhookDao.Row resealed = db.read(h -> WebhookDao.find(h, stored.id())).orElseThrow();
        assertThat(resealed.secret()).startsWith("kek1:");
        assertThat(resealed.headers()).startsWith("kek1:");
        run(db, restarted);
        change(db, AuditActions.REPO_CREATE, "alice/app", Map.of("visibility", "private"));
        WebhookReceiver.Delivery delivery = receiver.await(1, WAIT).getFirst();
        assertThat(delivery.signatureValid()).isTrue();
        assertThat(delivery.header("Authorization")).isEqualTo("Bearer receiver-credential");

        // Another key-encryption key cannot read them: that node refuses to start, saying why.
        assertThatThrownBy(() -> new EventDelivery(db, Outbox.RECORD_ONLY, settings(50), meters,
                KeyEncryption.of(new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20,
                        21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32})))
                .hasMessageContaining("the secret of webhook " + stored.id() + " is encrypted with key-encryption key");
    }

    @ParameterizedTest
    @ValueSource(strings = {"h2", "postgres"})
    void committedChangesAreDeliveredInOrderInEveryFormatAndRolledBackOnesNever(String kind) throws Exception {
        Database db = database(kind);
        EventDelivery events = events(db, settings(50));
        WebhookReceiver bollard = receiver();
        WebhookReceiver cloud = receiver();
        WebhookReceiver distribution = receiver();
        WebhookReceiver otherRepository = receiver();
        WebhookScope app = WebhookScope.repository("alice/app");
        bollard.secret(events.webhooks().create(ALICE, app, spec(bollard.url(), "bollard")).secret());
        cloud.secret(events.webhooks().create(ALICE, WebhookScope.namespace("alice"),
                spec(cloud.url(), "cloudevents")).secret());
        distribution.secret(events.webhooks().create(ALICE, WebhookScope.REGISTRY,
                spec(distribution.url(), "distribution")).secret());
        otherRepository.secret(events.webhooks().create(ALICE, WebhookScope.repository("bob/app"),
                spec(otherRepository.url(), "bollard")).secret());

        // Changes committed while no publisher runs (a process that stopped after its commits) ...
        change(db, AuditActions.REPO_CREATE, "alice/app", Map.of("visibility", "private"));
        change(db, AuditActions.PUSH, "alice/app", Map.of("reference", "v1", "digest", A,
                "mediaType", "application/vnd.oci.image.manifest.v1+json", "size", 512));
        change(db, AuditActions.TAG_CREATE, "alice/app", Map.of("tag", "v1", "to", A));
        // ... a change that rolled back ...
        assertThatThrownBy(() -> db.inTransaction(h -> {
            Outbox.RECORD_ONLY.record(h, AuditEvent.onRepository(ALICE, AuditActions.PUSH, "alice/app",
                    Map.of("reference", "v9", "digest", B)));
            throw new IllegalStateException("the push fails after recording");
        })).hasMessageContaining("fails");
        // ... and the audit prune, which must not take what is not published yet.
        db.inTransaction(h -> {
            OutboxDao.markAudited(h, OutboxDao.pendingAudit(h, 100).stream().map(OutboxDao.Row::id).toList());
            return OutboxDao.deleteAuditedBefore(h, Instant.now().plusSeconds(60).toEpochMilli());
        });
        run(db, events);
        change(db, AuditActions.TAG_MOVE, "alice/app", Map.of("tag", "v1", "from", A, "to", B));
        change(db, AuditActions.USER_CREATE, "alice/app", Map.of("superuser", false)); // not an event

        List<WebhookReceiver.Delivery> got = bollard.await(4, WAIT);
        assertThat(types(got)).containsExactly(EventTypes.REPOSITORY_CREATED, EventTypes.MANIFEST_PUSHED,
                EventTypes.TAG_CREATED, EventTypes.TAG_MOVED);
        assertThat(got).allSatisfy(d -> {
            assertThat(d.signatureValid()).as("signature of %s", d.body()).isTrue();
            assertThat(d.header("Content-Type")).isEqualTo("application/json");
            assertThat(d.header("X-Team")).isEqualTo("platform");
            assertThat(d.header("Bollard-Event-Id")).isEqualTo(Json.MAPPER.readTree(d.body()).get("id").asText());
        });
        List<Long> sequence = new ArrayList<>();
        for (WebhookReceiver.Delivery d : got) {
            JsonNode e = Json.MAPPER.readTree(d.body());
            sequence.add(e.get("sequence").asLong());
            assertSortedKeys(e);
            assertThat(e.get("repository").asText()).isEqualTo("alice/app");
            assertThat(e.get("namespace").asText()).isEqualTo("alice");
            assertThat(e.get("actor").get("name").asText()).isEqualTo("alice");
        }
        assertThat(sequence).isSorted().doesNotHaveDuplicates();
        JsonNode moved = Json.MAPPER.readTree(got.get(3).body());
        assertThat(moved.get("data").toString()).isEqualTo("{\"digest\":\"" + B + "\",\"previous\":\"" + A
                + "\",\"tag\":\"v1\"}");
        JsonNode pushed = Json.MAPPER.readTree(got.get(1).body()).get("data");
        assertThat(pushed.get("tag").asText()).isEqualTo("v1");
        assertThat(pushed.get("digest").asText()).isEqualTo(A);

        // CloudEvents 1.0, structured JSON: the required context attributes, and the optional ones as the spec types them.
        List<WebhookReceiver.Delivery> ce = cloud.await(4, WAIT);
        assertThat(types(ce)).containsExactlyElementsOf(types(got));
        for (WebhookReceiver.Delivery d : ce) {
            assertThat(d.signatureValid()).isTrue();
            assertThat(d.header("Content-Type")).startsWith("application/cloudevents+json");
            JsonNode e = Json.MAPPER.readTree(d.body());
            assertThat(e.get("specversion").asText()).isEqualTo("1.0");
            assertThat(e.get("id").isTextual() && !e.get("id").asText().isEmpty()).isTrue();
            assertThat(java.net.URI.create(e.get("source").asText()).toString()).isNotEmpty();
            assertThat(e.get("type").asText()).isEqualTo("dev.bollard." + d.header("Bollard-Event"));
            assertThat(Instant.parse(e.get("time").asText())).isBefore(Instant.now().plusSeconds(1));
            assertThat(e.get("datacontenttype").asText()).isEqualTo("application/json");
            assertThat(e.get("data").get("repository").asText()).isEqualTo("alice/app");
            Iterator<String> names = e.fieldNames();
            while (names.hasNext()) { // context attribute names: lower-case letters and digits only
                assertThat(names.next()).matches("[a-z0-9]{1,20}");
            }
            // The CloudEvents SDK's own parser (io.cloudevents, structured JSON) reads the same attributes.
            io.cloudevents.CloudEvent parsed = io.cloudevents.core.provider.EventFormatProvider.getInstance()
                    .resolveFormat(io.cloudevents.jackson.JsonFormat.CONTENT_TYPE)
                    .deserialize(d.body().getBytes(java.nio.charset.StandardCharsets.UTF_8));
            assertThat(parsed.getSpecVersion()).isEqualTo(io.cloudevents.SpecVersion.V1);
            assertThat(parsed.getId()).isEqualTo(e.get("id").asText());
            assertThat(parsed.getSource()).isEqualTo(java.net.URI.create(e.get("source").asText()));
            assertThat(parsed.getType()).isEqualTo("dev.bollard." + d.header("Bollard-Event"));
            assertThat(java.util.Objects.requireNonNull(parsed.getTime()).toInstant()).isEqualTo(Instant.parse(e.get("time").asText()));
            assertThat(parsed.getDataContentType()).isEqualTo("application/json");
            assertThat(Json.MAPPER.readTree(java.util.Objects.requireNonNull(parsed.getData()).toBytes())).isEqualTo(e.get("data"));
            for (String extension : parsed.getExtensionNames()) {
                assertThat(parsed.getExtension(extension)).as("extension %s", extension)
                        .hasToString(e.get(extension).asText());
            }
        }

        // Distribution's envelope has pushes and deletions only.
        List<WebhookReceiver.Delivery> dist = distribution.await(1, WAIT);
        Thread.sleep(500);
        assertThat(distribution.deliveries()).hasSize(1);
        JsonNode envelope = Json.MAPPER.readTree(dist.getFirst().body()).get("events").get(0);
        assertThat(envelope.get("action").asText()).isEqualTo("push");
        assertThat(envelope.get("target").get("repository").asText()).isEqualTo("alice/app");
        assertThat(envelope.get("target").get("tag").asText()).isEqualTo("v1");
        assertThat(envelope.get("target").get("digest").asText()).isEqualTo(A);
        assertThat(envelope.get("target").get("mediaType").asText()).isEqualTo("application/vnd.oci.image.manifest.v1+json");
        assertThat(dist.getFirst().header("Content-Type")).isEqualTo("application/vnd.docker.distribution.events.v1+json");

        assertThat(otherRepository.deliveries()).isEmpty();
        assertThat(bollard.deliveries()).hasSize(4);
        List<OutboxDao.Row> unpublished = db.read(h -> OutboxDao.pendingPublication(h, 100));
        assertThat(unpublished).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"h2", "postgres"})
    void aReceiverThatFailsThreeTimesThenSucceedsGetsExactlyOneSuccessfulDelivery(String kind) throws Exception {
        Database db = database(kind);
        EventDelivery events = events(db, settings(50));
        WebhookReceiver receiver = receiver();
        receiver.answer(n -> n <= 3 ? 500 : 200);
        Webhooks.Created hook = events.webhooks().create(ALICE, WebhookScope.REGISTRY, spec(receiver.url(), "bollard"));
        receiver.secret(hook.secret());
        run(db, events);
        change(db, AuditActions.TAG_CREATE, "alice/app", Map.of("tag", "v1", "to", A));

        receiver.await(4, WAIT);
        Thread.sleep(1000); // nothing more comes
        List<WebhookReceiver.Delivery> got = receiver.deliveries();
        assertThat(got).extracting(WebhookReceiver.Delivery::answered).containsExactly(500, 500, 500, 200);
        assertThat(got).allSatisfy(d -> assertThat(d.signatureValid()).isTrue());
        assertThat(got).extracting(d -> d.header("Bollard-Event-Id")).containsOnly(got.getFirst().header("Bollard-Event-Id"));
        assertThat(got).extracting(d -> d.header("Bollard-Delivery-Attempt")).containsExactly("1", "2", "3", "4");

        long id = hook.webhook().id();
        List<WebhookDao.Delivery> log = events.webhooks().deliveries(WebhookScope.REGISTRY, id, Long.MAX_VALUE, 10);
        assertThat(log).extracting(WebhookDao.Delivery::attempt).containsExactly(4, 3, 2, 1);
        assertThat(log).extracting(WebhookDao.Delivery::status).containsExactly(200, 500, 500, 500);
        assertThat(log).extracting(WebhookDao.Delivery::success).containsExactly(true, false, false, false);
        assertThat(log.getFirst().requestBody()).isEqualTo(got.getLast().body());
        assertThat(events.webhooks().get(WebhookScope.REGISTRY, id).consecutiveFailures()).isZero();
        long waiting = db.read(h -> WorkItemDao.waiting(h, EventDelivery.QUEUE));
        assertThat(waiting).isZero();

        // Redelivery: the same event (same id) once more, as a new delivery.
        assertThat(events.webhooks().redeliver(ALICE, WebhookScope.REGISTRY, id, log.getFirst().id())).isTrue();
        List<WebhookReceiver.Delivery> again = receiver.await(5, WAIT);
        assertThat(again.getLast().header("Bollard-Event-Id")).isEqualTo(got.getFirst().header("Bollard-Event-Id"));
        assertThat(again.getLast().body()).isEqualTo(got.getFirst().body());
        assertThat(again.getLast().answered()).isEqualTo(200);
        // ... and a webhook of another scope is not found through this one's
        assertThatThrownBy(() -> events.webhooks().get(WebhookScope.namespace("alice"), id))
                .isInstanceOf(BollardException.class).hasMessageContaining("no webhook");
    }

    @ParameterizedTest
    @ValueSource(strings = {"h2", "postgres"})
    void aReceiverDownTooLongGetsItsWebhookDisabledAndAudited(String kind) throws Exception {
        Database db = database(kind);
        EventDelivery events = events(db, settings(3));
        WebhookReceiver receiver = receiver();
        receiver.answer(n -> 503);
        Webhooks.Created hook = events.webhooks().create(ALICE, WebhookScope.namespace("alice"),
                spec(receiver.url(), "bollard"));
        receiver.secret(hook.secret());
        run(db, events);
        change(db, AuditActions.TAG_CREATE, "alice/app", Map.of("tag", "v1", "to", A));
        change(db, AuditActions.TAG_CREATE, "alice/app", Map.of("tag", "v2", "to", A));

        receiver.await(3, WAIT);
        Instant end = Instant.now().plus(WAIT);
        while (events.webhooks().get(WebhookScope.namespace("alice"), hook.webhook().id()).enabled()
                && Instant.now().isBefore(end)) {
            Thread.sleep(20);
        }
        Webhook disabled = events.webhooks().get(WebhookScope.namespace("alice"), hook.webhook().id());
        assertThat(disabled.enabled()).isFalse();
        assertThat(disabled.disabledReason()).contains("3 failed delivery attempts in a row").contains("503");
        Thread.sleep(1000); // no attempt after the webhook was disabled
        assertThat(receiver.deliveries()).hasSize(3);
        long waiting = db.read(h -> WorkItemDao.waiting(h, EventDelivery.QUEUE));
        assertThat(waiting).isZero();
        List<OutboxDao.Row> audited = db.read(h -> OutboxDao.pendingAudit(h, 1000));
        assertThat(audited).filteredOn(r -> r.type().equals(AuditActions.WEBHOOK_DISABLE)).singleElement()
                .satisfies(r -> {
                    assertThat(r.actorKind()).isEqualTo("system");
                    assertThat(r.namespace()).isEqualTo("alice");
                    assertThat(r.details()).contains("\"failures\":3");
                });
        assertThat(meters.counter("bollard.webhook.disabled").count()).isEqualTo(1.0);
        assertThat(meters.counter("bollard.webhook.deliveries", "outcome", "failure").count()).isEqualTo(3.0);
    }

    @ParameterizedTest
    @ValueSource(strings = {"h2", "postgres"})
    void aReceiverThatHangsUntilTheTimeoutHoldsUpOnlyItsOwnDeliveries(String kind) throws Exception {
        Database db = database(kind);
        EventDelivery events = events(db, settings(1_000));
        WebhookReceiver slow = receiver();
        slow.hang(Duration.ofSeconds(2));
        WebhookReceiver healthy = receiver();
        events.webhooks().create(ALICE, WebhookScope.repository("alice/slow"), new Webhooks.Spec("http", slow.url(),
                "bollard", List.of(), null, null, Map.of(), Duration.ofSeconds(1)));
        healthy.secret(events.webhooks().create(ALICE, WebhookScope.repository("alice/app"),
                spec(healthy.url(), "bollard")).secret());
        // 120 deliveries to the hanging receiver queued ahead of the healthy one's: a claim of 100 once took 100 of
        // them and the next claim waited for all (100 × the 1 s timeout) before the healthy webhook's turn.
        for (int i = 0; i < 120; i++) {
            change(db, AuditActions.TAG_CREATE, "alice/slow", Map.of("tag", "v" + i, "to", A));
        }
        change(db, AuditActions.TAG_CREATE, "alice/app", Map.of("tag", "v1", "to", A));
        run(db, events);
        healthy.await(1, Duration.ofSeconds(5));
        // And while the slow receiver's backlog goes on timing out, each new delivery to the healthy one comes soon.
        for (int i = 2; i <= 4; i++) {
            Instant changed = Instant.now();
            change(db, AuditActions.TAG_CREATE, "alice/app", Map.of("tag", "v" + i, "to", A));
            healthy.await(i, Duration.ofSeconds(3));
            assertThat(Duration.between(changed, Instant.now())).as("lag of the healthy webhook's delivery %d", i)
                    .isLessThan(Duration.ofSeconds(3));
        }
        assertThat(types(healthy.deliveries())).hasSize(4).allMatch(EventTypes.TAG_CREATED::equals);
        assertThat(healthy.deliveries()).allMatch(WebhookReceiver.Delivery::signatureValid);
        assertThat(slow.deliveries().size()).as("the hanging receiver's deliveries attempted meanwhile")
                .isLessThan(60);
        long backlog = db.read(h -> WorkItemDao.waiting(h, EventDelivery.QUEUE));
        assertThat(backlog).as("its backlog").isGreaterThan(60);
    }

    @Test
    void theSsrfGuardRefusesNonPublicTargetsUnlessAllowed() {
        TargetGuard guard = new TargetGuard(false);
        for (String url : List.of("http://127.0.0.1:8080/hook", "http://localhost/hook", "http://[::1]/hook",
                "http://169.254.169.254/latest/meta-data", "http://10.1.2.3/", "http://192.168.0.1/",
                "http://172.16.0.1/", "http://100.64.0.1/", "http://0.0.0.0/", "http://[fd00::1]/",
                "http://[::ffff:127.0.0.1]/", "http://[fe80::1]/")) {
            assertThatThrownBy(() -> guard.check(url)).as(url).isInstanceOf(BollardException.class)
                    .hasMessageContaining("events.webhooks.allow-private-targets");
        }
        for (String url : List.of("ftp://example.com/", "/relative", "http://user:pw@203.0.113.7/", "not a url")) {
            assertThatThrownBy(() -> guard.check(url)).as(url).isInstanceOf(BollardException.class);
        }
        assertThat(guard.check("https://203.0.113.7/hook").getHost()).isEqualTo("203.0.113.7");
        assertThat(new TargetGuard(true).check("http://127.0.0.1:8080/hook").getPort()).isEqualTo(8080);
    }

    @Test
    void theSignatureIsTheOneDocsEventsMdComputesWithOpensslAndPython() {
        // docs/events.md's recipe gives this for secret whsec_abc, timestamp 1700000000 and the body {"a":1}
        assertThat(Signatures.sign("whsec_abc", 1_700_000_000L, "{\"a\":1}".getBytes(java.nio.charset.StandardCharsets.UTF_8)))
                .isEqualTo("sha256=3b843bacfb18cc5554542fdcc84d815b399c52758e508a6fcecf0a2af4efea2b");
        assertThat(Signatures.verify("whsec_abc", "1700000000",
                "sha256=3b843bacfb18cc5554542fdcc84d815b399c52758e508a6fcecf0a2af4efea2b",
                "{\"a\":1}".getBytes(java.nio.charset.StandardCharsets.UTF_8), 1_700_000_100L, 300)).isTrue();
        assertThat(Signatures.verify("whsec_abc", "1700000000",
                "sha256=3b843bacfb18cc5554542fdcc84d815b399c52758e508a6fcecf0a2af4efea2b",
                "{\"a\":1}".getBytes(java.nio.charset.StandardCharsets.UTF_8), 1_700_000_400L, 300))
                .as("a replay after the tolerance").isFalse();
    }

    private static void assertSortedKeys(JsonNode node) {
        if (node.isObject()) {
            List<String> names = new ArrayList<>();
            node.fieldNames().forEachRemaining(names::add);
            assertThat(names).as("keys of %s", node).isSorted();
            node.forEach(WebhookDeliveryTest::assertSortedKeys);
        } else if (node.isArray()) {
            node.forEach(WebhookDeliveryTest::assertSortedKeys);
        }
    }
}
