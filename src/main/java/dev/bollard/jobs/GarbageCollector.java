package dev.bollard.jobs;

import dev.bollard.metadata.Database;
import dev.bollard.metadata.GcDao;
import dev.bollard.metadata.NamespaceSettingsDao;
import dev.bollard.oci.Digest;
import dev.bollard.oci.RepositoryName;
import dev.bollard.storage.BlobStore;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.BiPredicate;
import org.jdbi.v3.core.Handle;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The online garbage collector: pushes and pulls go on while it runs. Each run marks, per repository, the manifests
 * something keeps (tags, tag lifetimes in the time machine's window, pushes within the grace period, and from those
 * the children of indexes and the referrers of live subjects), then deletes the other manifests, the blob links no
 * live manifest needs that are older than the grace period, and finally the blobs nothing links or references.
 * <p>The mark is only a plan read without locks: every deletion locks the row it removes and re-checks in the same
 * transaction that nothing references it, and the paths that add references lock the same rows, so a push racing
 * the collector either wins (its reference is found, the row kept) or loses (it finds the row gone and fails with
 * MANIFEST_BLOB_UNKNOWN, or stores the manifest anew). Blob bytes go only after the blob's row was marked
 * {@code deleting} and while that row is locked. docs/lifecycle.md has the whole argument.
 */
public final class GarbageCollector {

    private static final Logger LOG = LoggerFactory.getLogger(GarbageCollector.class);
    private static final int BATCH = 500;
    /** How many freed items a report lists by name (the counts are complete). */
    private static final int LISTED = 200;
    private static final int MAX_PASSES = 16;

    /** Grace period for unreferenced things, and the time machine's window where a namespace sets none. */
    public record Settings(Duration gracePeriod, Duration defaultHistoryWindow) {
    }

    /**
     * What a run freed (or, dry, would free): manifests, blob links and blobs with their bytes; {@code listed}
     * names the first of them ({@code repo@digest} for manifests and links, the digest for blobs).
     */
    public record Report(boolean dryRun, Instant started, Duration took, int manifests, int links, int blobs,
                         long bytes, List<String> listed, @Nullable GraceKept grace,
                         @Nullable WindowKept window) {
        public String summary() {
            return (dryRun ? "would free " : "freed ") + manifests + " manifest(s), " + links + " blob link(s), "
                    + blobs + " blob(s) of " + bytes + " bytes" + " in " + took.toMillis() + " ms";
        }
    }

    /**
     * What only the time machine's window keeps at the time of a dry run: {@code manifests} no tag names now but one
     * named within the window, collectible between {@code first} and {@code last} (null when there are none), unless
     * a tag names them again or one is restored meanwhile.
     */
    public record WindowKept(int manifests, @Nullable Instant first, @Nullable Instant last) {
    }

    /**
     * What only the grace period ({@code gracePeriod}) keeps at the time of a dry run: unreferenced manifests, links
     * and blobs (with their bytes) that become collectible between {@code first} and {@code last} (null when there
     * are none), unless something references them meanwhile.
     */
    public record GraceKept(Duration gracePeriod, int manifests, int links, int blobs, long bytes,
                            @Nullable Instant first, @Nullable Instant last) {
        public boolean isEmpty() {
            return manifests + links + blobs == 0;
        }
    }

    private final Database db;
    private final BlobStore store;
    private final Settings settings;
    private final Counter manifestsDeleted;
    private final Counter linksDeleted;
    private final Counter blobsDeleted;
    private final Counter bytesReclaimed;
    private final Timer runs;

    public GarbageCollector(Database db, BlobStore store, Settings settings, MeterRegistry meters) {
        this.db = db;
        this.store = store;
        this.settings = settings;
        this.manifestsDeleted = Counter.builder("bollard.gc.manifests.deleted")
                .description("manifests deleted by the garbage collector").register(meters);
        this.linksDeleted = Counter.builder("bollard.gc.links.deleted")
                .description("unreferenced blob links removed from repositories by the garbage collector").register(meters);
        this.blobsDeleted = Counter.builder("bollard.gc.blobs.deleted")
                .description("blobs deleted by the garbage collector").register(meters);
        this.bytesReclaimed = Counter.builder("bollard.gc.reclaimed").baseUnit("bytes")
                .description("blob bytes reclaimed by the garbage collector").register(meters);
        this.runs = Timer.builder("bollard.gc.runs").description("garbage collection runs").register(meters);
    }

    /** One run; {@code dryRun} changes nothing and reports what a run now would free. */
    public Report collect(boolean dryRun) {
        return collect(dryRun, () -> { });
    }

    /** One run, calling {@code heartbeat} between steps (to renew a lease). */
    public Report collect(boolean dryRun, Runnable heartbeat) {
        Instant started = Instant.now();
        Instant graceStart = started.minus(settings.gracePeriod());
        Tally tally = new Tally();
        GraceOutlook outlook = dryRun ? new GraceOutlook(started, settings.gracePeriod()) : null;
        Set<String> keptBlobs = new HashSet<>();
        Map<String, Instant> windows = new HashMap<>();
        for (GcDao.RepositoryRef repository : db.read(GcDao::repositories)) {
            String namespace = RepositoryName.namespaceOf(repository.name());
            Instant windowStart = namespace == null ? started.minus(settings.defaultHistoryWindow())
                    : windows.computeIfAbsent(namespace, ns -> started.minus(historyWindow(ns)));
            Plan plan = db.read(h -> plan(h, repository, graceStart, windowStart));
            if (outlook != null) {
                db.read(h -> {
                    outlook.repository(h, repository, windowStart);
                    return null;
                });
            }
            if (dryRun) {
                plan.deadManifests.forEach((id, digest) -> tally.manifest(repository.name() + "@" + digest));
                plan.deadLinks.forEach(d -> tally.link(repository.name() + "@" + d));
                keptBlobs.addAll(plan.keptBlobs);
            } else {
                deleteManifests(repository, plan, graceStart, windowStart, tally, heartbeat);
                for (String digest : eachInBatches(plan.deadLinks,
                        (h, digest) -> GcDao.deleteLinkIfUnreferenced(h, repository.id(), digest, graceStart),
                        heartbeat)) {
                    tally.link(repository.name() + "@" + digest);
                    linksDeleted.increment();
                }
            }
            heartbeat.run();
        }
        List<BlobStore.StoredBlob> unrecorded = unrecordedFiles(graceStart);
        GraceKept grace = null;
        WindowKept window = null;
        if (outlook != null) {
            List<GcDao.BlobRow> blobs = db.read(GcDao::blobs);
            for (GcDao.BlobRow blob : blobs) {
                if (blob.state().equals("deleting")
                        || (blob.touchedAt().isBefore(graceStart) && !keptBlobs.contains(blob.digest()))) {
                    tally.blob(blob.digest(), blob.size());
                }
            }
            grace = outlook.result(blobs);
            window = outlook.windowKept();
            unrecorded.forEach(b -> tally.blob(b.digest().toString(), b.size()));
        } else {
            markUnreferencedBlobs(graceStart, heartbeat);
            eachInBatches(unrecorded, (h, b) -> {
                GcDao.markUnrecorded(h, b.digest().toString(), b.size());
                return true;
            }, heartbeat);
            deleteMarkedBlobs(tally, heartbeat);
        }
        Duration took = Duration.between(started, Instant.now());
        if (!dryRun) {
            runs.record(took);
        }
        Report report = new Report(dryRun, started, took, tally.manifests, tally.links, tally.blobs, tally.bytes,
                List.copyOf(tally.listed), grace, window);
        if (report.manifests() + report.links() + report.blobs() > 0 || dryRun) {
            LOG.info("garbage collection: {}", report.summary());
        } else {
            LOG.debug("garbage collection: {}", report.summary());
        }
        return report;
    }

    private Duration historyWindow(String namespace) {
        return db.read(h -> NamespaceSettingsDao.find(h, namespace))
                .map(NamespaceSettingsDao.Settings::historyWindowSeconds)
                .map(Duration::ofSeconds)
                .orElse(settings.defaultHistoryWindow());
    }

    /** One repository's mark: what is live, and what the collector may try to delete. */
    private static final class Plan {
        final Map<Long, String> deadManifests = new HashMap<>();
        final List<String> deadLinks = new ArrayList<>();
        final Set<String> keptBlobs = new HashSet<>();
    }

    private static Plan plan(Handle h, GcDao.RepositoryRef repository, Instant graceStart, Instant windowStart) {
        List<GcDao.ManifestNode> nodes = GcDao.manifestsOf(h, repository.id());
        Set<String> stored = new HashSet<>();
        Map<String, List<String>> referrers = new HashMap<>();
        Deque<String> queue = new ArrayDeque<>();
        Set<String> live = new HashSet<>();
        Set<String> tagged = GcDao.taggedSince(h, repository.id(), windowStart);
        for (GcDao.ManifestNode node : nodes) {
            stored.add(node.digest());
            if (node.subjectDigest() != null) {
                referrers.computeIfAbsent(node.subjectDigest(), k -> new ArrayList<>()).add(node.digest());
            }
            if (tagged.contains(node.digest()) || !node.pushedAt().isBefore(graceStart)) {
                if (live.add(node.digest())) {
                    queue.add(node.digest());
                }
            }
        }
        Map<String, List<String>> children = GcDao.childrenOf(h, repository.id());
        while (!queue.isEmpty()) {
            String digest = queue.poll();
            for (String next : concat(children.get(digest), referrers.get(digest))) {
                if (stored.contains(next) && live.add(next)) {
                    queue.add(next);
                }
            }
        }
        Plan plan = new Plan();
        for (GcDao.ManifestNode node : nodes) {
            if (!live.contains(node.digest())) {
                plan.deadManifests.put(node.id(), node.digest());
            }
        }
        Map<String, List<String>> blobs = GcDao.blobsOf(h, repository.id());
        for (String digest : live) {
            plan.keptBlobs.addAll(blobs.getOrDefault(digest, List.of()));
        }
        GcDao.linksOf(h, repository.id()).forEach((digest, linkedAt) -> {
            if (linkedAt.isBefore(graceStart) && !plan.keptBlobs.contains(digest)) {
                plan.deadLinks.add(digest);
            }
        });
        Set<String> deadLinks = new HashSet<>(plan.deadLinks);
        GcDao.linksOf(h, repository.id()).keySet().stream().filter(d -> !deadLinks.contains(d))
                .forEach(plan.keptBlobs::add);
        plan.deadLinks.sort(null);
        return plan;
    }

    private static List<String> concat(@Nullable List<String> a, @Nullable List<String> b) {
        List<String> all = new ArrayList<>(a == null ? List.of() : a);
        if (b != null) {
            all.addAll(b);
        }
        return all;
    }

    /**
     * Deletes the repository's dead manifests, newest first: an index is pushed after its children and goes before
     * them (a child is kept while any index lists it), so one pass usually frees a whole image; passes repeat while
     * one deletes something. A fixed order also means two transactions never wait for each other's rows in a cycle.
     */
    private void deleteManifests(GcDao.RepositoryRef repository, Plan plan, Instant graceStart, Instant windowStart,
                                 Tally tally, Runnable heartbeat) {
        NavigableMap<Long, String> remaining = new TreeMap<Long, String>(Comparator.reverseOrder());
        remaining.putAll(plan.deadManifests);
        for (int pass = 0; pass < MAX_PASSES && !remaining.isEmpty(); pass++) {
            List<Long> deleted = eachInBatches(List.copyOf(remaining.keySet()),
                    (h, id) -> GcDao.deleteManifestIfUnreferenced(h, repository.id(), id, graceStart, windowStart),
                    heartbeat);
            for (long id : deleted) {
                tally.manifest(repository.name() + "@" + remaining.remove(id));
                manifestsDeleted.increment();
            }
            if (deleted.isEmpty()) {
                break;
            }
        }
    }

    /**
     * Runs {@code step} on each item, {@link #BATCH} items per transaction, and returns the items for which it
     * changed something. One transaction per item cost a commit each (22 ms: half an hour for 100,000 manifests);
     * a batch holds at most {@link #BATCH} row locks until it commits, which a racing push waits for. Each step still
     * locks its own row and re-checks under the lock, so batching changes no decision.
     */
    private <T> List<T> eachInBatches(List<T> items, BiPredicate<Handle, T> step, Runnable heartbeat) {
        List<T> changed = new ArrayList<>();
        for (int i = 0; i < items.size(); i += BATCH) {
            List<T> batch = items.subList(i, Math.min(items.size(), i + BATCH));
            changed.addAll(db.inTransaction(h -> {
                List<T> applied = new ArrayList<>();
                for (T item : batch) {
                    if (step.test(h, item)) {
                        applied.add(item);
                    }
                }
                return applied;
            }));
            heartbeat.run();
        }
        return changed;
    }

    /**
     * Blob files written before {@code graceStart} that no row records: bytes left by a crash between an upload's
     * commit and its transaction. Empty when the store cannot list its blobs.
     */
    private List<BlobStore.StoredBlob> unrecordedFiles(Instant graceStart) {
        List<BlobStore.StoredBlob> old = new ArrayList<>();
        try {
            store.listBlobs(b -> {
                if (b.lastModified().isBefore(graceStart)) {
                    old.add(b);
                }
            });
        } catch (UnsupportedOperationException e) {
            LOG.debug("not sweeping unrecorded blob files: {}", e.getMessage());
            return List.of();
        } catch (IOException e) {
            LOG.warn("could not list the blob store for unrecorded files: {}", e.toString());
            return List.of();
        }
        List<BlobStore.StoredBlob> unrecorded = new ArrayList<>();
        for (int i = 0; i < old.size(); i += BATCH) {
            List<BlobStore.StoredBlob> batch = old.subList(i, Math.min(old.size(), i + BATCH));
            Set<String> recorded = db.read(h -> GcDao.recordedAmong(h,
                    batch.stream().map(b -> b.digest().toString()).toList()));
            batch.stream().filter(b -> !recorded.contains(b.digest().toString())).forEach(unrecorded::add);
        }
        return unrecorded;
    }

    private void markUnreferencedBlobs(Instant graceStart, Runnable heartbeat) {
        String after = "";
        while (true) {
            String from = after;
            List<String> batch = db.read(h -> GcDao.unreferencedBlobs(h, graceStart, from, BATCH));
            eachInBatches(batch, (h, digest) -> GcDao.markDeletingIfUnreferenced(h, digest, graceStart), heartbeat);
            if (batch.size() < BATCH) {
                return;
            }
            after = batch.get(batch.size() - 1);
        }
    }

    /**
     * Deletes the bytes and then the row of every blob marked {@code deleting}, each in one transaction holding the
     * row's lock (an upload of the same content waits meanwhile, or took the blob back first). Rows left marked by a
     * run that stopped half-way are finished here by the next one.
     */
    private void deleteMarkedBlobs(Tally tally, Runnable heartbeat) {
        String after = "";
        while (true) {
            String from = after;
            List<String> batch = db.read(h -> GcDao.deletingBlobs(h, from, BATCH));
            for (String digest : batch) {
                try {
                    Optional<Long> freed = db.inTransaction(h -> {
                        Optional<Long> size = GcDao.lockDeleting(h, digest);
                        if (size.isPresent()) {
                            try {
                                store.delete(Digest.parse(digest));
                            } catch (IOException e) {
                                throw new UncheckedIOException(e);
                            }
                            GcDao.deleteBlobRow(h, digest);
                        }
                        return size;
                    });
                    if (freed.isPresent()) {
                        tally.blob(digest, freed.get());
                        blobsDeleted.increment();
                        bytesReclaimed.increment(freed.get());
                    }
                } catch (RuntimeException e) {
                    LOG.warn("could not delete blob {} (kept marked; the next run tries again): {}", digest, e.toString());
                }
            }
            heartbeat.run();
            if (batch.size() < BATCH) {
                return;
            }
            after = batch.get(batch.size() - 1);
        }
    }

    private static final class Tally {
        int manifests;
        int links;
        int blobs;
        long bytes;
        final List<String> listed = new ArrayList<>();

        void manifest(String name) {
            manifests++;
            list("manifest " + name);
        }

        void link(String name) {
            links++;
            list("link " + name);
        }

        void blob(String digest, long size) {
            blobs++;
            bytes += size;
            list("blob " + digest + " (" + size + " bytes)");
        }

        private void list(String item) {
            if (listed.size() < LISTED) {
                listed.add(item);
            }
        }
    }
}
