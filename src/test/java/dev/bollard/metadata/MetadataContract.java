package dev.bollard.metadata;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.Comparator;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.flywaydb.core.Flyway;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.statement.StatementException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The behaviour of the metadata layer — {@link Database} and every DAO — that must be the same on every database
 * Bollard supports. {@code H2MetadataTest} and {@code PostgresMetadataTest} run it on each.
 */
abstract class MetadataContract extends DatabaseContract {

    private static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";

    /**
     * Names in byte order, which differs from a linguistic collation's (ICU/glibc en-US): upper case before lower
     * case, and '-' < '.' < '/' < digits < '_' rather than '_' first.
     */
    private static final List<String> TAGS_IN_BYTE_ORDER = List.of(
            "0", "9", "A", "B", "Latest", "Z", "_x", "a", "a-b", "a.b", "a0", "a_b", "ab", "b", "latest", "v1-0",
            "v1.0", "v10", "v1_0", "z");
    private static final List<String> REPOSITORIES_IN_BYTE_ORDER = List.of(
            "a-b", "a.b", "a/b", "a0", "a__b", "a_b", "ab", "b", "library/alpine", "library/busybox", "team-x/app",
            "team/app", "team0/app", "team_x/app");

    private Database db;

    @BeforeEach
    void openDatabase() {
        db = open(4);
    }

    // ---- Database: migrations, transactions, retries ----

    @Test
    void migrationsCreateTheSchemaOnceAndReopeningKeepsTheData() {
        long id = repository(db, "library/alpine");
        db.close();
        Database reopened = open(2);

        assertThat(reopened.read((Handle h) -> RepositoryDao.findId(h, "library/alpine"))).contains(id);
        assertThat(reopened.read((Handle h) -> h.createQuery(
                        """
                        SELECT version FROM flyway_schema_history
                        WHERE success AND version IS NOT NULL ORDER BY installed_rank""")
                .mapTo(String.class).list())).containsExactlyElementsOf(migrationVersions());
    }

    /** The versions of the migrations Bollard ships, in order: every one must have been applied, once. */
    private static List<String> migrationVersions() {
        try (var files = Files.list(Path.of(MetadataContract.class.getResource("/db/migration").toURI()))) {
            return files.map(f -> f.getFileName().toString())
                    .filter(name -> name.matches("V\\d+__.+\\.sql"))
                    .map(name -> name.substring(1, name.indexOf("__")))
                    .sorted(Comparator.comparingInt(Integer::parseInt))
                    .toList();
        } catch (IOException | URISyntaxException e) {
            throw new IllegalStateException("cannot list the migrations", e);
        }
    }

    @Test
    void upgradingADatabaseMadeByAnEarlierVersionKeepsItsDataAndListsInByteOrder() {
        var config = testDatabase.config(2);
        // The schema as Bollard 0.1 left it: migration 1 only, with repositories and tags in it.
        Flyway.configure().dataSource(Database.jdbcUrl(config.url()), config.username(), config.password())
                .locations("classpath:db/migration").placeholders(Database.placeholders(config.url()))
                .target("1").load().migrate();
        Jdbi old = Jdbi.create(Database.jdbcUrl(config.url()), config.username(), config.password());
        old.useTransaction(h -> {
            for (String name : shuffled(REPOSITORIES_IN_BYTE_ORDER)) {
                long r = RepositoryDao.findOrCreate(h, name);
                insertManifest(h, r, "sha256:" + "0".repeat(64));
                TagDao.set(h, r, "v1", "sha256:" + "0".repeat(64));
            }
        });

        Database upgraded = open(2);

        assertThat(upgraded.read((Handle h) -> RepositoryDao.listWithContent(h, null, 100)))
                .containsExactlyElementsOf(REPOSITORIES_IN_BYTE_ORDER);
        long r = upgraded.read((Handle h) -> RepositoryDao.findId(h, "team/app")).orElseThrow();
        assertThat(upgraded.read((Handle h) -> TagDao.digestOf(h, r, "v1"))).contains("sha256:" + "0".repeat(64));
        assertConsistentHistory(upgraded, r, "v1");
    }

    @Test
    void aPoolOfOneConnectionIsEnough() {
        Database single = open(1);
        long id = repository(single, "pool/one");
        assertThat(single.read((Handle h) -> RepositoryDao.findId(h, "pool/one"))).contains(id);
    }

    @Test
    void isReachableWhileOpen() {
        assertThat(db.isReachable()).isTrue();
        db.close();
        assertThat(db.isReachable()).isFalse();
    }

    @Test
    void aTransactionThatThrowsLeavesNothingBehind() {
        assertThatThrownBy(() -> db.inTransaction((Handle h) -> {
            RepositoryDao.findOrCreate(h, "rolled/back");
            throw new IllegalStateException("boom");
        })).hasMessage("boom");

        assertThat(db.read((Handle h) -> RepositoryDao.findId(h, "rolled/back"))).isEmpty();
    }

    @Test
    void aTransactionThatLosesARaceIsRunAgainFromTheStart() throws Exception {
        // Two transactions, on two nodes, both find the repository missing, then both insert it: the second insert
        // fails with a unique violation (on PostgreSQL after waiting for the first to commit, and aborting its
        // transaction). The loser is run again from the start, and then finds the winner's row.
        Database other = open(2);
        CyclicBarrier bothLookedUp = new CyclicBarrier(2);
        AtomicInteger attempts = new AtomicInteger();
        Function<Database, Long> createRepository = node -> node.inTransaction((Handle h) -> {
            boolean firstAttempt = attempts.incrementAndGet() <= 2;
            Optional<Long> found = RepositoryDao.findId(h, "race/repo");
            if (firstAttempt) {
                assertThat(found).isEmpty();
                await(bothLookedUp);
            }
            return found.orElseGet(() -> h.createUpdate("INSERT INTO repository (name, created_at) VALUES (:n, :t)")
                    .bind("n", "race/repo").bind("t", Instant.now())
                    .executeAndReturnGeneratedKeys("id").mapTo(Long.class).one());
        });
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Future<Long> a = pool.submit(() -> createRepository.apply(db));
            Future<Long> b = pool.submit(() -> createRepository.apply(other));

            assertThat(a.get(60, TimeUnit.SECONDS)).isEqualTo(b.get(60, TimeUnit.SECONDS));
        } finally {
            pool.shutdownNow();
        }
        assertThat(attempts).as("two first attempts and one retry of the loser").hasValue(3);
        assertThat(count(db, "SELECT COUNT(*) FROM repository WHERE name = 'race/repo'")).isEqualTo(1);
    }

    @Test
    void aFailureThatIsNotALostRaceIsNotRetried() {
        AtomicInteger attempts = new AtomicInteger();
        assertThatThrownBy(() -> db.inTransaction((Handle h) -> {
            attempts.incrementAndGet();
            return h.createQuery("SELECT no_such_column FROM repository").mapTo(String.class).list();
        })).isInstanceOf(StatementException.class) // H2 fails preparing it, PostgreSQL executing it
                .satisfies(e -> assertThat(e.getMessage()).containsIgnoringCase("no_such_column"))
                .cause().isInstanceOfSatisfying(SQLException.class, e -> assertThat(e.getSQLState())
                        .as("SQLSTATE: syntax error or access rule violation").startsWith("42"));
        assertThat(attempts).hasValue(1);
    }

    @Test
    void aRaceLostEveryTimeGivesUpAfterEightAttempts() {
        long existing = repository(db, "always/there");
        AtomicInteger attempts = new AtomicInteger();
        assertThatThrownBy(() -> db.inTransaction((Handle h) -> {
            attempts.incrementAndGet();
            return h.createUpdate("INSERT INTO repository (id, name, created_at) VALUES (:id, 'always/there', :now)")
                    .bind("id", existing + 1000).bind("now", Instant.now()).execute();
        })).satisfies(e -> assertThat(Database.isConflict(e)).isTrue());
        assertThat(attempts).hasValue(8);
    }

    @Test
    void uniqueAndForeignKeyViolationsAreLostRacesOtherErrorsAreNot() {
        long r = repository(db, "errors/repo");
        Throwable duplicate = catchFrom(() -> db.read((Handle h) -> h.createUpdate(
                "INSERT INTO repository (name, created_at) VALUES ('errors/repo', :now)").bind("now", Instant.now())
                .execute()));
        Throwable missingManifest = catchFrom(() -> db.read((Handle h) -> {
            TagDao.set(h, r, "t", "sha256:" + "f".repeat(64));
            return null;
        }));
        Throwable nullColumn = catchFrom(() -> db.read((Handle h) -> h.createUpdate(
                "INSERT INTO repository (name, created_at) VALUES (NULL, :now)").bind("now", Instant.now())
                .execute()));
        Throwable syntax = catchFrom(() -> db.read((Handle h) -> h.createQuery("SELEC 1").mapTo(Integer.class).one()));

        assertThat(Database.isConflict(duplicate)).as("%s", duplicate).isTrue();
        assertThat(Database.isConflict(missingManifest)).as("%s", missingManifest).isTrue();
        assertThat(Database.isConflict(nullColumn)).as("%s", nullColumn).isFalse();
        assertThat(Database.isConflict(syntax)).as("%s", syntax).isFalse();
    }

    // ---- types: the same values come back from both databases ----

    @Test
    void manifestBytesComeBackExactlyEvenLargeOnes() {
        long r = repository(db, "types/bytes");
        byte[] content = new byte[4 * 1024 * 1024 + 3];
        for (int i = 0; i < content.length; i++) {
            content[i] = (byte) (i * 31 + (i >> 8));
        }
        String digest = uniqueDigest();
        db.inTransaction((Handle h) -> ManifestDao.insertIfAbsent(h, r, digest, OCI_MANIFEST, null, null, content,
                List.of(), List.of()));

        ManifestRow row = db.read((Handle h) -> ManifestDao.byDigest(h, r, digest)).orElseThrow();
        assertThat(row.content()).isEqualTo(content);
        assertThat(row.size()).isEqualTo(content.length);
    }

    @Test
    void timestampsComeBackAsTheSameInstantToTheMicrosecond() {
        long r = repository(db, "types/time");
        String m = manifest(db, r);
        // Around a daylight-saving change (Europe and US) and a leap day, with sub-millisecond digits.
        List<Instant> instants = List.of(Instant.parse("2024-03-31T00:59:59.999999Z"),
                Instant.parse("2024-03-31T01:00:00.000001Z"), Instant.parse("2024-11-03T06:30:00.123456Z"),
                Instant.parse("2024-02-29T23:59:59.5Z"), Instant.parse("1999-12-31T23:59:59Z"),
                Instant.now().truncatedTo(ChronoUnit.MICROS));
        db.inTransaction((Handle h) -> {
            for (Instant t : instants) {
                h.createUpdate("""
                                INSERT INTO tag_history (repository_id, name, manifest_digest, lifetime_start)
                                VALUES (:r, 't', :d, :t)""")
                        .bind("r", r).bind("d", m).bind("t", t).execute();
            }
            return null;
        });

        List<Instant> back = db.read((Handle h) -> h.createQuery(
                        "SELECT lifetime_start FROM tag_history WHERE repository_id = :r ORDER BY id")
                .bind("r", r).mapTo(Instant.class).list());
        assertThat(back).containsExactlyElementsOf(instants);
    }

    @Test
    void generatedIdsGrowInInsertionOrder() {
        long a = repository(db, "ids/a");
        long b = repository(db, "ids/b");
        long c = repository(db, "ids/c");
        assertThat(a).isPositive().isLessThan(b);
        assertThat(b).isLessThan(c);
    }

    // ---- RepositoryDao ----

    @Test
    void aRepositoryIsCreatedOnceAndFoundByName() {
        assertThat(db.read((Handle h) -> RepositoryDao.findId(h, "library/alpine"))).isEmpty();

        long id = repository(db, "library/alpine");

        assertThat(repository(db, "library/alpine")).isEqualTo(id);
        assertThat(db.read((Handle h) -> RepositoryDao.findId(h, "library/alpine"))).contains(id);
        assertThat(repository(db, "library/busybox")).isNotEqualTo(id);
        assertThat(db.read((Handle h) -> RepositoryDao.findId(h, "library/Alpine"))).as("names are case-sensitive").isEmpty();
    }

    @Test
    void theCatalogListsOnlyRepositoriesWithAManifestInByteOrder() {
        for (String name : shuffled(REPOSITORIES_IN_BYTE_ORDER)) {
            manifest(db, repository(db, name));
        }
        repository(db, "aa/empty"); // an upload was started, nothing pushed
        blob(db, repository(db, "blobs/only"));

        assertThat(db.read((Handle h) -> RepositoryDao.listWithContent(h, null, 100)))
                .containsExactlyElementsOf(REPOSITORIES_IN_BYTE_ORDER);
    }

    @Test
    void theCatalogPagesAfterTheLastNameInByteOrder() {
        for (String name : shuffled(REPOSITORIES_IN_BYTE_ORDER)) {
            manifest(db, repository(db, name));
        }

        List<String> paged = new ArrayList<>();
        String last = null;
        for (int page = 0; page < 20; page++) {
            String after = last;
            List<String> names = db.read((Handle h) -> RepositoryDao.listWithContent(h, after, 3));
            assertThat(names).hasSizeLessThanOrEqualTo(3);
            if (names.isEmpty()) {
                break;
            }
            paged.addAll(names);
            last = names.getLast();
        }
        assertThat(paged).containsExactlyElementsOf(REPOSITORIES_IN_BYTE_ORDER);
        assertThat(db.read((Handle h) -> RepositoryDao.listWithContent(h, "a_b", 2))).containsExactly("ab", "b");
        assertThat(db.read((Handle h) -> RepositoryDao.listWithContent(h, "a", 100)))
                .as("after a name that does not exist").containsExactlyElementsOf(REPOSITORIES_IN_BYTE_ORDER);
        assertThat(db.read((Handle h) -> RepositoryDao.listWithContent(h, "zzz", 100))).isEmpty();
    }

    // ---- BlobDao ----

    @Test
    void recordingABlobTwiceKeepsTheFirstRecord() {
        String d = uniqueDigest();
        db.inTransaction((Handle h) -> {
            BlobDao.recordBlob(h, d, 10);
            return null;
        });
        db.inTransaction((Handle h) -> {
            BlobDao.recordBlob(h, d, 10);
            return null;
        });
        assertThat(count(db, "SELECT COUNT(*) FROM blob WHERE digest = ?", d)).isEqualTo(1);
    }

    @Test
    void aBlobIsVisibleOnlyThroughTheRepositoriesItIsLinkedTo() {
        long a = repository(db, "team/a");
        long b = repository(db, "team/b");
        String d = uniqueDigest();
        db.inTransaction((Handle h) -> {
            BlobDao.recordBlob(h, d, 4321);
            BlobDao.link(h, a, d);
            BlobDao.link(h, a, d); // linking again changes nothing
            return null;
        });

        assertThat(db.read((Handle h) -> BlobDao.linkedSize(h, "team/a", d))).hasValue(4321);
        assertThat(db.read((Handle h) -> BlobDao.linkedSize(h, "team/b", d))).isEmpty();
        assertThat(db.read((Handle h) -> BlobDao.linkedSize(h, "team/none", d))).isEmpty();
        assertThat(count(db, "SELECT COUNT(*) FROM repository_blob WHERE digest = ?", d)).isEqualTo(1);

        db.inTransaction((Handle h) -> {
            BlobDao.link(h, b, d); // a cross-repository mount
            return null;
        });
        assertThat(db.read((Handle h) -> BlobDao.linkedSize(h, "team/b", d))).hasValue(4321);
    }

    @Test
    void unlinkingABlobHidesItFromThatRepositoryOnly() {
        long a = repository(db, "team/a");
        long b = repository(db, "team/b");
        String d = blob(db, a);
        db.inTransaction((Handle h) -> {
            BlobDao.link(h, b, d);
            return null;
        });

        assertThat(db.inTransaction((Handle h) -> BlobDao.unlink(h, a, d))).isTrue();
        assertThat(db.inTransaction((Handle h) -> BlobDao.unlink(h, a, d))).isFalse();

        assertThat(db.read((Handle h) -> BlobDao.linkedSize(h, "team/a", d))).isEmpty();
        assertThat(db.read((Handle h) -> BlobDao.linkedSize(h, "team/b", d))).hasValue(1234);
    }

    @Test
    void linkedAmongAnswersWhichDigestsTheRepositoryHas() {
        long r = repository(db, "team/a");
        String d1 = blob(db, r);
        String d2 = blob(db, r);
        String elsewhere = blob(db, repository(db, "team/b"));

        assertThat(db.read((Handle h) -> BlobDao.linkedAmong(h, r, List.of(d1, d2, elsewhere, uniqueDigest()))))
                .containsExactlyInAnyOrder(d1, d2);
        assertThat(db.read((Handle h) -> BlobDao.linkedAmong(h, r, List.of()))).isEmpty();
    }

    @Test
    void aBlobCannotBeLinkedBeforeItIsRecorded() {
        long r = repository(db, "team/a");
        String unrecorded = uniqueDigest();
        assertThatThrownBy(() -> db.read((Handle h) -> {
            BlobDao.link(h, r, unrecorded);
            return null;
        })).satisfies(e -> assertThat(sqlState(e)).isIn("23503", "23506"));
        assertThat(db.read((Handle h) -> BlobDao.linkedSize(h, "team/a", unrecorded))).isEmpty();
    }

    // ---- ManifestDao ----

    @Test
    void aManifestIsStoredWithWhatItReferencesOnce() {
        long r = repository(db, "team/app");
        String config = blob(db, r);
        String layer = blob(db, r);
        String subject = uniqueDigest();
        String digest = uniqueDigest();
        byte[] content = "{\"schemaVersion\":2}".getBytes(StandardCharsets.UTF_8);

        long id = db.inTransaction((Handle h) -> ManifestDao.insertIfAbsent(h, r, digest, OCI_MANIFEST,
                "application/vnd.example+json", subject, content, List.of(config, layer, layer), List.of()));
        long again = db.inTransaction((Handle h) -> ManifestDao.insertIfAbsent(h, r, digest, OCI_MANIFEST,
                "application/vnd.example+json", subject, content, List.of(config, layer), List.of()));

        assertThat(again).isEqualTo(id);
        ManifestRow row = db.read((Handle h) -> ManifestDao.byDigest(h, r, digest)).orElseThrow();
        assertThat(row).isEqualTo(new ManifestRow(id, r, digest, OCI_MANIFEST, "application/vnd.example+json",
                subject, content.length, row.content()));
        assertThat(row.content()).isEqualTo(content);
        assertThat(count(db, "SELECT COUNT(*) FROM manifest_blob WHERE manifest_id = ?", id)).isEqualTo(2);
        assertThat(count(db, "SELECT COUNT(*) FROM manifest WHERE digest = ?", digest)).isEqualTo(1);
    }

    @Test
    void optionalManifestFieldsComeBackAsNull() {
        long r = repository(db, "team/app");
        String digest = manifest(db, r);

        ManifestRow row = db.read((Handle h) -> ManifestDao.byDigest(h, r, digest)).orElseThrow();
        assertThat(row.artifactType()).isNull();
        assertThat(row.subjectDigest()).isNull();
    }

    @Test
    void anIndexRecordsItsChildren() {
        long r = repository(db, "team/app");
        String child1 = manifest(db, r);
        String child2 = manifest(db, r);
        String index = uniqueDigest();

        long id = db.inTransaction((Handle h) -> ManifestDao.insertIfAbsent(h, r, index,
                "application/vnd.oci.image.index.v1+json", null, null, new byte[] {'{', '}'}, List.of(),
                List.of(child1, child2, child1)));

        assertThat(count(db, "SELECT COUNT(*) FROM manifest_child WHERE manifest_id = ?", id)).isEqualTo(2);
        assertThat(db.read((Handle h) -> ManifestDao.presentAmong(h, r, List.of(child1, child2, index, uniqueDigest()))))
                .containsExactlyInAnyOrder(child1, child2, index);
        assertThat(db.read((Handle h) -> ManifestDao.presentAmong(h, r, List.of()))).isEmpty();
    }

    @Test
    void aManifestCannotReferenceAnUnrecordedBlob() {
        long r = repository(db, "team/app");
        String digest = uniqueDigest();
        assertThatThrownBy(() -> db.read((Handle h) -> ManifestDao.insertIfAbsent(h, r, digest, OCI_MANIFEST, null, null,
                new byte[] {'{', '}'}, List.of(uniqueDigest()), List.of())))
                .satisfies(e -> assertThat(sqlState(e)).isIn("23503", "23506"));
    }

    @Test
    void theSameManifestInTwoRepositoriesIsTwoIndependentManifests() {
        long a = repository(db, "team/a");
        long b = repository(db, "team/b");
        String digest = uniqueDigest();
        long inA = db.inTransaction((Handle h) -> insertManifest(h, a, digest));
        long inB = db.inTransaction((Handle h) -> insertManifest(h, b, digest));
        assertThat(inA).isNotEqualTo(inB);

        assertThat(db.inTransaction((Handle h) -> ManifestDao.delete(h, a, digest))).isTrue();

        assertThat(db.read((Handle h) -> ManifestDao.byDigest(h, a, digest))).isEmpty();
        assertThat(db.read((Handle h) -> ManifestDao.byDigest(h, b, digest))).isPresent();
    }

    @Test
    void deletingAManifestDeletesItsReferencesAndTagsAndEndsTheirHistory() {
        long r = repository(db, "team/app");
        String layer = blob(db, r);
        String child = manifest(db, r);
        String digest = uniqueDigest();
        long id = db.inTransaction((Handle h) -> ManifestDao.insertIfAbsent(h, r, digest, OCI_MANIFEST, null, null,
                new byte[] {'{', '}'}, List.of(layer), List.of(child)));
        db.inTransaction((Handle h) -> {
            TagDao.set(h, r, "v1", digest);
            TagDao.set(h, r, "latest", digest);
            return null;
        });

        assertThat(db.inTransaction((Handle h) -> ManifestDao.delete(h, r, digest))).isTrue();
        assertThat(db.inTransaction((Handle h) -> ManifestDao.delete(h, r, digest))).isFalse();

        assertThat(count(db, "SELECT COUNT(*) FROM manifest_blob WHERE manifest_id = ?", id)).isZero();
        assertThat(count(db, "SELECT COUNT(*) FROM manifest_child WHERE manifest_id = ?", id)).isZero();
        assertThat(count(db, "SELECT COUNT(*) FROM tag WHERE repository_id = ?", r)).isZero();
        assertThat(db.read((Handle h) -> ManifestDao.byTag(h, r, "v1"))).isEmpty();
        for (String tag : List.of("v1", "latest")) {
            assertThat(history(db, r, tag)).singleElement().satisfies(row -> assertThat(row.end()).isNotNull());
        }
        assertThat(db.read((Handle h) -> BlobDao.linkedSize(h, "team/app", layer))).as("the blob stays linked").isPresent();
        assertThat(db.read((Handle h) -> ManifestDao.byDigest(h, r, child))).as("the child stays").isPresent();
    }

    @Test
    void referrersAreTheManifestsWithThatSubjectOldestFirst() {
        long r = repository(db, "team/app");
        String subject = manifest(db, r);
        List<String> referrers = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            String d = uniqueDigest();
            referrers.add(d);
            db.inTransaction((Handle h) -> ManifestDao.insertIfAbsent(h, r, d, OCI_MANIFEST, "application/vnd.example.sig",
                    subject, new byte[] {'{', '}'}, List.of(), List.of()));
        }
        String unrelated = manifest(db, r);
        long other = repository(db, "team/other");
        db.inTransaction((Handle h) -> ManifestDao.insertIfAbsent(h, other, uniqueDigest(), OCI_MANIFEST, null, subject,
                new byte[] {'{', '}'}, List.of(), List.of()));

        assertThat(db.read((Handle h) -> ManifestDao.referrers(h, r, subject)).stream().map(ManifestRow::digest))
                .containsExactlyElementsOf(referrers).doesNotContain(unrelated);
        assertThat(db.read((Handle h) -> ManifestDao.referrers(h, r, uniqueDigest()))).isEmpty();
    }

    @Test
    void aManifestIsFoundByItsTag() {
        long r = repository(db, "team/app");
        String digest = manifest(db, r);
        db.inTransaction((Handle h) -> {
            TagDao.set(h, r, "v1", digest);
            return null;
        });

        assertThat(db.read((Handle h) -> ManifestDao.byTag(h, r, "v1")).map(ManifestRow::digest)).contains(digest);
        assertThat(db.read((Handle h) -> ManifestDao.byTag(h, r, "V1"))).isEmpty();
        long other = repository(db, "team/other");
        assertThat(db.read((Handle h) -> ManifestDao.byTag(h, other, "v1"))).isEmpty();
    }

    // ---- TagDao ----

    @Test
    void settingATagStartsItsHistory() {
        long r = repository(db, "team/app");
        String m = manifest(db, r);
        Instant before = Instant.now().truncatedTo(ChronoUnit.MILLIS);

        set(r, "v1", m);

        assertThat(db.read((Handle h) -> TagDao.digestOf(h, r, "v1"))).contains(m);
        List<HistoryRow> history = history(db, r, "v1");
        assertThat(history).hasSize(1);
        assertThat(history.getFirst().digest()).isEqualTo(m);
        assertThat(history.getFirst().end()).isNull();
        assertThat(history.getFirst().start()).isBetween(before, Instant.now().plusMillis(1));
    }

    @Test
    void settingATagToWhereItIsChangesNothing() {
        long r = repository(db, "team/app");
        String m = manifest(db, r);
        set(r, "v1", m);

        set(r, "v1", m);

        assertThat(history(db, r, "v1")).hasSize(1);
        assertConsistentHistory(db, r, "v1");
    }

    @Test
    void movingATagEndsTheOldAssignmentWhenTheNewOneStarts() {
        long r = repository(db, "team/app");
        String m1 = manifest(db, r);
        String m2 = manifest(db, r);
        set(r, "v1", m1);
        set(r, "v1", m2);
        set(r, "v1", m1);

        assertThat(db.read((Handle h) -> TagDao.digestOf(h, r, "v1"))).contains(m1);
        List<HistoryRow> history = history(db, r, "v1");
        assertThat(history).extracting(HistoryRow::digest).containsExactly(m1, m2, m1);
        assertThat(history.get(0).end()).isEqualTo(history.get(1).start());
        assertThat(history.get(1).end()).isEqualTo(history.get(2).start());
        assertConsistentHistory(db, r, "v1");
        assertThat(count(db, "SELECT COUNT(*) FROM tag WHERE repository_id = ?", r)).isEqualTo(1);
    }

    @Test
    void deletingATagEndsItsHistory() {
        long r = repository(db, "team/app");
        String m = manifest(db, r);
        set(r, "v1", m);
        set(r, "v2", m);

        assertThat(db.inTransaction((Handle h) -> TagDao.delete(h, r, "v1"))).contains(m);
        assertThat(db.inTransaction((Handle h) -> TagDao.delete(h, r, "v1"))).isEmpty();
        assertThat(db.inTransaction((Handle h) -> TagDao.delete(h, r, "never"))).isEmpty();

        assertThat(db.read((Handle h) -> TagDao.digestOf(h, r, "v1"))).isEmpty();
        assertThat(history(db, r, "v1")).singleElement().satisfies(row -> assertThat(row.end()).isNotNull());
        assertThat(history(db, r, "v2")).singleElement().satisfies(row -> assertThat(row.end()).isNull());
        assertThat(db.read((Handle h) -> ManifestDao.byDigest(h, r, m))).as("the manifest stays").isPresent();
    }

    @Test
    void aTagSetAgainAfterItsDeletionStartsANewLifetime() {
        long r = repository(db, "team/app");
        String m1 = manifest(db, r);
        String m2 = manifest(db, r);
        set(r, "v1", m1);
        db.inTransaction((Handle h) -> TagDao.delete(h, r, "v1"));
        set(r, "v1", m2);

        assertThat(history(db, r, "v1")).extracting(HistoryRow::digest).containsExactly(m1, m2);
        assertConsistentHistory(db, r, "v1");
    }

    @Test
    void deletingAManifestDeletesItsTagsAndEndsTheirHistory() {
        long r = repository(db, "team/app");
        String m1 = manifest(db, r);
        String m2 = manifest(db, r);
        set(r, "v1", m1);
        set(r, "latest", m1);
        set(r, "v2", m2);

        db.inTransaction((Handle h) -> {
            TagDao.endHistoryOfTagsOn(h, r, m1);
            return ManifestDao.delete(h, r, m1);
        });

        assertThat(db.read((Handle h) -> TagDao.list(h, r, null, 100))).containsExactly("v2");
        for (String tag : List.of("v1", "latest")) {
            assertThat(history(db, r, tag)).singleElement().satisfies(row -> {
                assertThat(row.digest()).isEqualTo(m1);
                assertThat(row.end()).isNotNull();
            });
            assertConsistentHistory(db, r, tag);
        }
        assertThat(history(db, r, "v2")).singleElement().satisfies(row -> assertThat(row.end()).isNull());
    }

    @Test
    void aTagCannotPointAtAManifestThatIsNotStored() {
        long r = repository(db, "team/app");
        String missing = uniqueDigest();

        assertThatThrownBy(() -> db.read((Handle h) -> {
            TagDao.set(h, r, "v1", missing);
            return null;
        })).satisfies(e -> assertThat(sqlState(e)).isIn("23503", "23506"));

        assertThat(db.read((Handle h) -> TagDao.digestOf(h, r, "v1"))).isEmpty();
        String inOtherRepository = manifest(db, repository(db, "team/other"));
        assertThatThrownBy(() -> db.read((Handle h) -> {
            TagDao.set(h, r, "v1", inOtherRepository);
            return null;
        })).as("a manifest of another repository").satisfies(e -> assertThat(sqlState(e)).isIn("23503", "23506"));
    }

    @Test
    void historyStaysInOrderWhenAnotherNodesClockWasAhead() {
        long r = repository(db, "team/app");
        String m1 = manifest(db, r);
        String m2 = manifest(db, r);
        set(r, "v1", m1);
        // As if a node whose clock runs an hour ahead had set the tag.
        Instant ahead = Instant.now().plus(Duration.ofHours(1)).truncatedTo(ChronoUnit.MICROS);
        db.inTransaction((Handle h) -> h.createUpdate("UPDATE tag_history SET lifetime_start = :t WHERE repository_id = :r")
                .bind("t", ahead).bind("r", r).execute());

        set(r, "v1", m2);
        db.inTransaction((Handle h) -> TagDao.delete(h, r, "v1"));

        List<HistoryRow> history = history(db, r, "v1");
        assertThat(history).extracting(HistoryRow::digest).containsExactly(m1, m2);
        assertThat(history.get(0).end()).isEqualTo(ahead);
        assertThat(history.get(1).start()).isEqualTo(ahead);
        assertConsistentHistory(db, r, "v1");
    }

    @Test
    void tagsAreListedInByteOrder() {
        long r = repository(db, "team/app");
        String m = manifest(db, r);
        for (String tag : shuffled(TAGS_IN_BYTE_ORDER)) {
            set(r, tag, m);
        }
        long other = repository(db, "team/other");
        set(other, "other-repository-tag", manifest(db, other));

        assertThat(db.read((Handle h) -> TagDao.list(h, r, null, 1000))).containsExactlyElementsOf(TAGS_IN_BYTE_ORDER);
    }

    @Test
    void tagsArePagedAfterTheLastTagInByteOrder() {
        long r = repository(db, "team/app");
        String m = manifest(db, r);
        for (String tag : shuffled(TAGS_IN_BYTE_ORDER)) {
            set(r, tag, m);
        }

        for (int pageSize : List.of(1, 3, 7)) {
            List<String> paged = new ArrayList<>();
            String last = null;
            for (int page = 0; page < 100; page++) {
                String after = last;
                List<String> tags = db.read((Handle h) -> TagDao.list(h, r, after, pageSize));
                assertThat(tags).hasSizeLessThanOrEqualTo(pageSize);
                if (tags.isEmpty()) {
                    break;
                }
                paged.addAll(tags);
                last = tags.getLast();
            }
            assertThat(paged).as("pages of %d", pageSize).containsExactlyElementsOf(TAGS_IN_BYTE_ORDER);
        }
        assertThat(db.read((Handle h) -> TagDao.list(h, r, "Z", 2))).containsExactly("_x", "a");
        assertThat(db.read((Handle h) -> TagDao.list(h, r, "v1.0", 2))).containsExactly("v10", "v1_0");
        assertThat(db.read((Handle h) -> TagDao.list(h, r, "z", 10))).isEmpty();
        assertThat(db.read((Handle h) -> TagDao.list(h, r, null, 0))).isEmpty();
    }

    // ---- UploadDao ----

    @Test
    void anUploadSessionIsFoundOnlyThroughItsRepository() {
        long r = repository(db, "team/app");
        repository(db, "team/other");
        Instant before = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        db.inTransaction((Handle h) -> {
            UploadDao.insert(h, "upload-1", r, "");
            return null;
        });

        UploadRow row = db.read((Handle h) -> UploadDao.find(h, "team/app", "upload-1")).orElseThrow();
        assertThat(row.id()).isEqualTo("upload-1");
        assertThat(row.repositoryId()).isEqualTo(r);
        assertThat(row.committedSize()).isZero();
        assertThat(row.createdAt()).isEqualTo(row.updatedAt()).isBetween(before, Instant.now().plusMillis(1));
        assertThat(db.read((Handle h) -> UploadDao.find(h, "team/other", "upload-1"))).isEmpty();
        assertThat(db.read((Handle h) -> UploadDao.find(h, "team/app", "upload-2"))).isEmpty();
        assertThat(db.read((Handle h) -> UploadDao.exists(h, "upload-1"))).isTrue();
        assertThat(db.read((Handle h) -> UploadDao.exists(h, "upload-2"))).isFalse();
    }

    @Test
    void anUploadSessionRecordsItsCommittedSizeWithTheStatesThatDescribeIt() throws Exception {
        long r = repository(db, "team/app");
        db.inTransaction((Handle h) -> {
            UploadDao.insert(h, "upload-1", r, "");
            return null;
        });
        UploadRow created = db.read((Handle h) -> UploadDao.find(h, "team/app", "upload-1")).orElseThrow();
        Thread.sleep(5);

        String storeState = "{\"parts\":[" + "{\"number\":1,\"size\":5242880,\"eTag\":\"x\"},".repeat(2000) + "]}";
        assertThat(db.inTransaction((Handle h) -> UploadDao.advance(h, "upload-1", 0, 5_000_000_000L, storeState,
                "hash-state"))).isTrue();
        assertThat(db.inTransaction((Handle h) -> UploadDao.advance(h, "upload-1", 0, 7, "other", "other")))
                .as("a request that started from a size another request moved on from loses").isFalse();

        UploadRow updated = db.read((Handle h) -> UploadDao.find(h, "team/app", "upload-1")).orElseThrow();
        assertThat(updated.committedSize()).isEqualTo(5_000_000_000L);
        assertThat(updated.storeState()).as("a long state (thousands of parts) is kept whole").isEqualTo(storeState);
        assertThat(updated.hashState()).isEqualTo("hash-state");
        assertThat(updated.createdAt()).isEqualTo(created.createdAt());
        assertThat(updated.updatedAt()).isAfter(created.updatedAt());
    }

    @Test
    void idleUploadSessionsAreFoundAndDeleted() throws Exception {
        long r = repository(db, "team/app");
        db.inTransaction((Handle h) -> {
            UploadDao.insert(h, "idle", r, "");
            return null;
        });
        Thread.sleep(20);
        Instant cutoff = Instant.now();
        Thread.sleep(20);
        db.inTransaction((Handle h) -> {
            UploadDao.insert(h, "active", r, "");
            return null;
        });

        assertThat(db.read((Handle h) -> UploadDao.idleSince(h, cutoff))).containsExactly("idle");
        assertThat(db.inTransaction((Handle h) -> UploadDao.delete(h, "idle"))).isTrue();
        assertThat(db.inTransaction((Handle h) -> UploadDao.delete(h, "idle"))).isFalse();
        assertThat(db.read((Handle h) -> UploadDao.idleSince(h, Instant.now().plusSeconds(1)))).containsExactly("active");
    }

    @Test
    void anUploadSessionNeedsAnExistingRepository() {
        assertThatThrownBy(() -> db.read((Handle h) -> {
            UploadDao.insert(h, "upload-1", 987_654L, "");
            return null;
        })).satisfies(e -> assertThat(sqlState(e)).isIn("23503", "23506"));
    }

    // ---- helpers ----

    private void set(long repositoryId, String tag, String digest) {
        db.inTransaction((Handle h) -> {
            TagDao.set(h, repositoryId, tag, digest);
            return null;
        });
    }

    private static List<String> shuffled(List<String> list) {
        List<String> copy = new ArrayList<>(list);
        Collections.shuffle(copy, new Random(42));
        return copy;
    }

    private static Throwable catchFrom(Runnable r) {
        try {
            r.run();
        } catch (RuntimeException e) {
            return e;
        }
        throw new AssertionError("expected a failure");
    }

    private static String sqlState(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof java.sql.SQLException sql && sql.getSQLState() != null) {
                return sql.getSQLState();
            }
        }
        return null;
    }

    private static void await(CyclicBarrier barrier) {
        try {
            barrier.await(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
