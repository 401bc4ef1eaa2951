package dev.bollard.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.bollard.audit.Actor;
import dev.bollard.audit.AuditEvent;
import dev.bollard.error.BollardException;
import dev.bollard.error.ErrorCode;
import dev.bollard.oci.Digest;
import dev.bollard.oci.Reference;
import dev.bollard.oci.RepositoryName;
import dev.bollard.oci.Tag;
import dev.bollard.registry.Quotas;
import dev.bollard.registry.Retention;
import dev.bollard.registry.TagHistory;
import dev.bollard.registry.TagPattern;
import java.io.ByteArrayInputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.assertj.core.api.ThrowableAssert;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The time machine, immutable tags, retention and quotas on the registry's use cases, with their audit trail. */
class PoliciesTest {
    private static final Actor ADMIN = new Actor(Actor.Kind.USER, "admin", "127.0.0.1", "test");
    private static final Actor ALICE = new Actor(Actor.Kind.USER, "alice", "127.0.0.1", "test");
    private static final Actor RETENTION = Actor.system("retention");

    @TempDir
    Path dir;

    private LifecycleFixture f;
    private final RepositoryName app = new RepositoryName("acme/app");

    @BeforeEach
    void start() throws Exception {
        f = new LifecycleFixture(dir.resolve("data"));
    }

    @AfterEach
    void stop() {
        f.close();
    }

    private Digest tagged(String tag) {
        return f.registry.manifests().get(app, new Reference.ByTag(new Tag(tag))).digest();
    }

    private static void assertRefused(ErrorCode code, String message, ThrowableAssert.ThrowingCallable call) {
        assertThatThrownBy(call).isInstanceOfSatisfying(BollardException.class, e -> {
            assertThat(e.code()).isEqualTo(code);
            assertThat(e.getMessage()).contains(message);
        });
    }

    // ---- time machine ----

    @Test
    void aTagsHistoryListsEveryAssignmentAndATagIsRestoredToAnEarlierDigestWithAnAuditEvent() {
        Digest first = f.image("acme/app", "latest", LifecycleFixture.bytes("1", 100)).digest();
        Digest second = f.image("acme/app", "latest", LifecycleFixture.bytes("2", 100)).digest();
        f.image("acme/app", "other", LifecycleFixture.bytes("3", 100));

        List<TagHistory.Entry> history = f.registry.history().ofTag(app, new Tag("latest"), null, 10);
        assertThat(history).extracting(TagHistory.Entry::digest).containsExactly(second, first);
        assertThat(history.get(0).end()).isNull();
        assertThat(history.get(1).end()).isNotNull();
        assertThat(history).allMatch(TagHistory.Entry::restorable);
        assertThat(f.registry.history().ofRepository(app, null, 10)).hasSize(3);

        f.registry.history().restore(ALICE, app, new Tag("latest"), first);
        assertThat(tagged("latest")).isEqualTo(first);
        assertThat(f.registry.history().ofTag(app, new Tag("latest"), null, 10)).extracting(TagHistory.Entry::digest)
                .containsExactly(first, second, first);
        assertThat(f.audit).anySatisfy(e -> {
            assertThat(e.actor()).isEqualTo(ALICE);
            assertThat(e.action()).isEqualTo("tag.restore");
            assertThat(e.repository()).isEqualTo("acme/app");
            assertThat(e.details()).containsEntry("digest", first.toString()).containsEntry("previous", second.toString());
        });
    }

    @Test
    void aRestoreOutsideTheWindowOrToADigestTheTagNeverHadIsRefused() {
        Digest first = f.image("acme/app", "latest", LifecycleFixture.bytes("1", 100)).digest();
        f.image("acme/app", "latest", LifecycleFixture.bytes("2", 100));
        Digest elsewhere = f.image("acme/app", "other", LifecycleFixture.bytes("3", 100)).digest();

        assertRefused(ErrorCode.MANIFEST_UNKNOWN, "did not point at", () ->
                f.registry.history().restore(ALICE, app, new Tag("latest"), elsewhere));
        f.registry.history().setWindow(ADMIN, "acme", Duration.ZERO);
        assertThat(f.registry.history().window("acme")).isZero();
        assertRefused(ErrorCode.MANIFEST_UNKNOWN, "window", () ->
                f.registry.history().restore(ALICE, app, new Tag("latest"), first));
        assertThat(f.registry.history().ofTag(app, new Tag("latest"), null, 10).get(1).restorable()).isFalse();
        assertThat(f.audit).anySatisfy(e -> assertThat(e.action()).isEqualTo("history-window.set"));
    }

    @Test
    void closingHistoryRowsByTheirIdKeepsLifetimesConsistentWhenATagGoesAndComesBack() {
        Digest one = f.image("acme/app", "v", LifecycleFixture.bytes("1", 10)).digest();
        f.registry.manifests().delete(app, new Reference.ByTag(new Tag("v")), LifecycleFixture.TESTER);
        f.put("acme/app", "v", LifecycleFixture.OCI_MANIFEST,
                f.registry.manifests().get(app, new Reference.ByDigest(one)).content());
        List<TagHistory.Entry> h = f.registry.history().ofTag(app, new Tag("v"), null, 10);
        assertThat(h).hasSize(2);
        assertThat(h.get(0).end()).isNull();
        assertThat(h.get(1).end()).isNotNull().isBeforeOrEqualTo(h.get(0).start());
        long open = f.db.read(x -> x.createQuery("SELECT COUNT(*) FROM tag_history WHERE lifetime_end IS NULL")
                .mapTo(Long.class).one());
        assertThat(open).isEqualTo(1);
        assertThat(tagged("v")).isEqualTo(one);
    }

    // ---- immutable tags ----

    @Test
    void anImmutableTagCannotBeMovedDeletedOrRestoredButMayBePushedAgainUnchanged() {
        assertThat(f.registry.immutableTags().add(ADMIN, app, new TagPattern("v*"))).isTrue();
        assertThat(f.registry.immutableTags().rules(app)).containsExactly(new TagPattern("v*"));
        LifecycleFixture.Image v1 = f.image("acme/app", "v1", LifecycleFixture.bytes("1", 10));
        f.put("acme/app", "v1", LifecycleFixture.OCI_MANIFEST, v1.manifest()); // the same again: fine

        assertRefused(ErrorCode.DENIED, "tag v1 of acme/app is immutable (rule 'v*')", () ->
                f.image("acme/app", "v1", LifecycleFixture.bytes("2", 10)));
        assertRefused(ErrorCode.DENIED, "cannot be deleted", () ->
                f.registry.manifests().delete(app, new Reference.ByTag(new Tag("v1")), LifecycleFixture.TESTER));
        assertRefused(ErrorCode.DENIED, "rule 'v*'", () ->
                f.registry.manifests().delete(app, new Reference.ByDigest(v1.digest()), LifecycleFixture.TESTER));
        assertThat(tagged("v1")).isEqualTo(v1.digest());

        f.image("acme/app", "latest", LifecycleFixture.bytes("3", 10));
        f.image("acme/app", "latest", LifecycleFixture.bytes("4", 10)); // other tags move freely
        f.registry.manifests().delete(app, new Reference.ByTag(new Tag("latest")), LifecycleFixture.TESTER);

        assertThat(f.registry.immutableTags().remove(ADMIN, app, new TagPattern("v*"))).isTrue();
        f.registry.manifests().delete(app, new Reference.ByTag(new Tag("v1")), LifecycleFixture.TESTER);
        assertThat(f.audit).extracting(AuditEvent::action)
                .contains("immutable-tag-rule.add", "immutable-tag-rule.remove");
    }

    @Test
    void tagPatternsAreGlobs() {
        TagPattern release = new TagPattern("release-*");
        assertThat(release.matches("release-1.0")).isTrue();
        assertThat(release.matches("release-")).isTrue();
        assertThat(release.matches("prerelease-1")).isFalse();
        assertThat(new TagPattern("1.?").matches("1.2")).isTrue();
        assertThat(new TagPattern("1.?").matches("1.22")).isFalse();
        assertThat(new TagPattern("*").matches("anything")).isTrue();
        assertThatThrownBy(() -> new TagPattern("v[0-9]")).isInstanceOf(BollardException.class);
    }

    // ---- retention ----

    @Test
    void retentionKeepsTheNewestTagsOfItsPatternReportsDryAndAuditsEveryDeletion() {
        for (int i = 1; i <= 5; i++) {
            f.image("acme/app", "build-" + i, LifecycleFixture.bytes("b" + i, 10));
        }
        f.image("acme/app", "stable", LifecycleFixture.bytes("s", 10));
        f.image("acme/other", "build-1", LifecycleFixture.bytes("o", 10));
        f.registry.immutableTags().add(ADMIN, app, new TagPattern("build-1"));
        Retention.Policy policy = f.registry.retention().put(ADMIN, Retention.Scope.NAMESPACE, "acme",
                new TagPattern("build-*"), 2, null);
        assertThat(f.registry.retention().policies()).containsExactly(policy);

        List<Retention.Pruned> dry = f.registry.retention().apply(ADMIN, true);
        assertThat(dry).extracting(Retention.Pruned::tag).containsExactly("build-3", "build-2");
        assertThat(tagged("build-2")).isNotNull();

        List<Retention.Pruned> applied = f.registry.retention().apply(RETENTION, false);
        assertThat(applied).isEqualTo(dry);
        assertThat(f.registry.listings().tags(app, 100, null).items())
                .containsExactly("build-1", "build-4", "build-5", "stable");
        assertThat(f.audit.stream().filter(e -> e.action().equals("tag.delete")))
                .hasSize(2).allSatisfy(e -> {
                    assertThat(e.actor()).isEqualTo(RETENTION);
                    assertThat(e.details()).containsEntry("reason", "retention policy");
                });

        Retention.Policy byAge = f.registry.retention().put(ADMIN, Retention.Scope.REPOSITORY, "acme/app",
                new TagPattern("build-*"), null, 30);
        assertThat(f.registry.retention().apply(ADMIN, true)).as("young tags are kept by the age policy").isEmpty();
        assertThat(f.registry.retention().delete(ADMIN, byAge.id())).isTrue();
        assertThatThrownBy(() -> f.registry.retention().put(ADMIN, Retention.Scope.NAMESPACE, "acme",
                new TagPattern("*"), null, null)).isInstanceOf(BollardException.class);
    }

    // ---- quotas ----

    @Test
    void aQuotaCountsASharedBlobOnceAndRefusesAPushThatWouldExceedItBeforeReadingIt() {
        byte[] big = LifecycleFixture.bytes("big", 6000);
        f.registry.quotas().set(ADMIN, "acme", 10_000L, 50);
        f.blob("acme/app", big);
        f.blob("acme/other", big); // the same blob in another repository of the namespace: counted once
        Quotas.Usage usage = f.registry.quotas().usage("acme");
        assertThat(usage.usedBytes()).isEqualTo(6000);
        assertThat(usage.state()).isEqualTo("warning");

        byte[] more = LifecycleFixture.bytes("more", 5000);
        Digest moreDigest = Digest.sha256(more);
        ByteArrayInputStream body = new ByteArrayInputStream(more);
        assertRefused(ErrorCode.DENIED, "storage quota of namespace acme exceeded: 6000 bytes used + 5000 pushed", () ->
                f.registry.uploads().uploadWhole(app, moreDigest, body, 5000L));
        assertThat(body.available()).as("refused before the body was read").isEqualTo(5000);

        // A chunk of unannounced size: refused once received, its session dropped (UploadLimitsTest has more).
        String session = f.registry.uploads().start(app).uploadId();
        assertRefused(ErrorCode.DENIED, "quota", () ->
                f.registry.uploads().append(app, session, new ByteArrayInputStream(more), null, null));
        assertRefused(ErrorCode.BLOB_UPLOAD_UNKNOWN, session, () ->
                f.registry.uploads().complete(app, session, moreDigest, new ByteArrayInputStream(new byte[0]), null));
        assertThat(f.registry.quotas().usage("acme").usedBytes()).isEqualTo(6000);

        f.blob("other/app", more); // another namespace has no quota
        f.registry.quotas().set(ADMIN, "acme", null, null);
        f.blob("acme/app", more);
        assertThat(f.registry.quotas().usage("acme").usedBytes()).isEqualTo(11_000);
        assertThat(f.meters.get("bollard.quota.used").tag("namespace", "acme").gauge().value()).isEqualTo(6000);
        assertThat(f.audit).filteredOn(e -> e.action().equals("quota.set")).hasSize(2);
    }

    @Test
    void historyEntriesCanBePagedByTime() {
        f.image("acme/app", "a", LifecycleFixture.bytes("1", 10));
        f.image("acme/app", "b", LifecycleFixture.bytes("2", 10));
        List<TagHistory.Entry> first = f.registry.history().ofRepository(app, null, 1);
        assertThat(first).extracting(TagHistory.Entry::tag).containsExactly("b");
        assertThat(f.registry.history().ofRepository(app, first.get(0).start(), 10))
                .extracting(TagHistory.Entry::tag).containsExactly("a");
        assertThat(f.registry.history().ofRepository(app, Instant.EPOCH, 10)).isEmpty();
    }
}
