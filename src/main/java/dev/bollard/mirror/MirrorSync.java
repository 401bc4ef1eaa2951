package dev.bollard.mirror;

import dev.bollard.error.BollardException;
import dev.bollard.metadata.Database;
import dev.bollard.metadata.MirrorDao;
import dev.bollard.oci.Descriptor;
import dev.bollard.oci.Digest;
import dev.bollard.oci.Manifest;
import dev.bollard.oci.ManifestInvalidException;
import dev.bollard.oci.ManifestParser;
import dev.bollard.oci.Platform;
import dev.bollard.oci.Reference;
import dev.bollard.oci.RepositoryName;
import dev.bollard.oci.Tag;
import dev.bollard.proxy.UpstreamClient;
import dev.bollard.proxy.UpstreamFailure;
import dev.bollard.registry.Registry;
import dev.bollard.registry.StoredManifest;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One sync of a mirror: the upstream's tags listed and filtered; each selected tag's manifest copied byte for byte
 * (its digest verified, its media type as the upstream sent it), for an index its children of the selected
 * architectures first, for an image its blobs first — a blob stored already is skipped, one that another repository
 * holds is mounted (after the upstream confirmed it has it), any other streamed from the upstream into the blob store,
 * visible only once its digest verified; then the referrers of what was copied when the upstream offers the referrers
 * API; then, with deletions mirrored, the local tags that are not selected any more deleted.
 * <p>Idempotent and resumable by construction: everything is stored whole or not at all, and what is stored is never
 * copied again, so a sync that was killed or whose upstream went away goes on from what it stored when it runs next.
 * Up to the mirror's concurrency of tags are copied at once. The caller holds the mirror's lease.
 */
final class MirrorSync {
    private static final Logger LOG = LoggerFactory.getLogger(MirrorSync.class);
    /** Referrers of referrers (a signature of an SBOM) are followed this deep. */
    private static final int REFERRER_DEPTH = 2;

    /** What a sync did: the counts of its run row, and the tags that failed with why. */
    record Outcome(long bytes, int blobsCopied, int blobsMounted, int tagsCopied, int tagsUnchanged, int tagsDeleted,
                   int referrers, List<Map<String, String>> failures, @Nullable String message) {
    }

    private final Registry registry;
    private final Database db;
    private final MirrorDao.Row mirror;
    private final RepositoryName repository;
    private final UpstreamClient upstream;
    private final TagFilter filter;
    private final Set<String> architectures;
    private final Runnable heartbeat;
    private final Runnable progress;
    private final AtomicLong bytes = new AtomicLong();
    private final AtomicInteger blobsCopied = new AtomicInteger();
    private final AtomicInteger blobsMounted = new AtomicInteger();
    private final AtomicInteger tagsCopied = new AtomicInteger();
    private final AtomicInteger tagsUnchanged = new AtomicInteger();
    private final AtomicInteger tagsDeleted = new AtomicInteger();
    private final AtomicInteger referrers = new AtomicInteger();
    private final ConcurrentLinkedQueue<Map<String, String>> failures = new ConcurrentLinkedQueue<>();
    private final Map<Digest, ReentrantLock> blobLocks = new ConcurrentHashMap<>();
    /** Cleared when the upstream answers that it has no referrers API: not asked again in this sync. */
    private final AtomicBoolean referrersApi = new AtomicBoolean(true);
    /** The upstream bodies being read: {@link #abort} closes them (no interrupt: H2's file I/O does not survive one). */
    private final Set<InputStream> reading = ConcurrentHashMap.newKeySet();
    private volatile boolean aborted;

    /** {@code progress} is called after each tag (the run row's counts are written then). */
    MirrorSync(Registry registry, Database db, MirrorDao.Row mirror, UpstreamClient upstream, Runnable heartbeat,
               Runnable progress) {
        this.registry = registry;
        this.db = db;
        this.mirror = mirror;
        this.repository = RepositoryName.parse(mirror.repository());
        this.upstream = upstream;
        this.filter = Mirrors.filterOf(mirror);
        this.architectures = mirror.architectures().isBlank() ? Set.of()
                : Set.of(mirror.architectures().split(","));
        this.heartbeat = heartbeat;
        this.progress = progress;
    }

    /** The counts so far (the run row shows them while the sync runs). */
    Outcome outcome(@Nullable String message) {
        return new Outcome(bytes.get(), blobsCopied.get(), blobsMounted.get(), tagsCopied.get(), tagsUnchanged.get(),
                tagsDeleted.get(), referrers.get(), List.copyOf(failures), message);
    }

    /** Runs the sync; a failure to list the upstream's tags fails it whole, a tag's failure is recorded with it. */
    Outcome run() throws UpstreamFailure, InterruptedException {
        String remote = mirror.upstreamRepository();
        List<String> listed = upstream.listTags(remote);
        List<String> selected = new ArrayList<>();
        for (String t : filter.select(listed)) {
            if (Tag.isValid(t)) {
                selected.add(t);
            } else {
                failures.add(Map.of("tag", t, "reason", "not a valid tag name"));
            }
        }
        heartbeat.run();
        ExecutorService pool = Executors.newFixedThreadPool(mirror.concurrency(),
                Thread.ofVirtual().name("bollard-mirror-", 0).factory());
        try {
            List<Future<?>> copies = new ArrayList<>();
            for (String tag : selected) {
                copies.add(pool.submit(() -> {
                    copyTag(tag);
                    heartbeat.run();
                    progress.run();
                }));
            }
            for (Future<?> f : copies) {
                try {
                    f.get();
                } catch (java.util.concurrent.ExecutionException e) {
                    // copyTag records its failures; anything else is a bug, said once per tag
                    LOG.warn("mirror {}: a tag's copy failed unexpectedly", repository, e.getCause());
                }
            }
        } finally {
            // Not shutdownNow: an interrupt in the middle of H2's file I/O closes the embedded database. A stopping
            // node aborts the transfers instead (abort), and the tags not begun are skipped.
            pool.shutdown();
        }
        if (mirror.mirrorDeletions()) {
            deleteUnselected(new HashSet<>(selected));
        }
        return outcome(null);
    }

    private void copyTag(String tag) {
        if (aborted || Thread.currentThread().isInterrupted()) {
            return;
        }
        String remote = mirror.upstreamRepository();
        try {
            UpstreamClient.FetchedManifest m = upstream.getManifest(remote, tag);
            Digest digest = verified(m, m.digest(), tag);
            Optional<StoredManifest> local = registry.manifests().find(repository, byTag(tag));
            if (local.isPresent() && local.get().digest().equals(digest) && complete(m, digest)) {
                tagsUnchanged.incrementAndGet();
                return;
            }
            copyManifest(m, digest, byTag(tag), 0);
            tagsCopied.incrementAndGet();
        } catch (UpstreamFailure e) {
            fail(tag, e.reason().label() + ": " + e.getMessage());
        } catch (BollardException e) {
            fail(tag, e.code().name() + ": " + e.getMessage());
        } catch (RuntimeException e) {
            LOG.warn("mirror {}: copying tag {} failed", repository, tag, e);
            fail(tag, e.toString());
        }
    }

    private void fail(String tag, String reason) {
        LOG.info("mirror {}: tag {} not copied: {}", repository, tag, reason);
        failures.add(Map.of("tag", tag, "reason", reason));
    }

    private static Reference byTag(String tag) {
        return new Reference.ByTag(new Tag(tag));
    }

    /** The manifest's digest, checked against the one the upstream named; INVALID when they differ. */
    private Digest verified(UpstreamClient.FetchedManifest m, @Nullable Digest named, String what)
            throws UpstreamFailure {
        Digest actual = named == null ? Digest.sha256(m.body()) : Digest.compute(named.algorithm(), m.body());
        if (named != null && !named.equals(actual)) {
            throw new UpstreamFailure(UpstreamFailure.Reason.INVALID, "the manifest " + mirror.upstreamRepository()
                    + ":" + what + " from " + upstream.base() + " has digest " + actual + ", not " + named
                    + " as it says");
        }
        return actual;
    }

    /** True when an index's selected children are all stored (an image stored by tag has all its blobs). */
    private boolean complete(UpstreamClient.FetchedManifest m, Digest digest) {
        if (parse(m) instanceof Manifest.Index index) {
            for (Descriptor child : index.manifests()) {
                if (selected(child) && !stored(child.digest())) {
                    return false;
                }
            }
        }
        return stored(digest);
    }

    private boolean stored(Digest digest) {
        return registry.manifests().find(repository, new Reference.ByDigest(digest)).isPresent();
    }

    private @Nullable Manifest parse(UpstreamClient.FetchedManifest m) {
        try {
            return ManifestParser.parse(m.body(), m.mediaType());
        } catch (ManifestInvalidException e) {
            return null;
        }
    }

    /** Whether an index's child is of a platform the mirror keeps (one without a platform is kept). */
    private boolean selected(Descriptor child) {
        Platform p = child.platform();
        if (architectures.isEmpty() || p == null) {
            return true;
        }
        return architectures.contains(p.architecture())
                || (p.variant() != null && architectures.contains(p.architecture() + "/" + p.variant()));
    }

    /** Copies what the manifest references, then the manifest under {@code reference}, then its referrers. */
    private void copyManifest(UpstreamClient.FetchedManifest m, Digest digest, Reference reference, int depth)
            throws UpstreamFailure {
        Manifest parsed;
        try {
            parsed = ManifestParser.parse(m.body(), m.mediaType());
        } catch (ManifestInvalidException e) {
            throw new UpstreamFailure(UpstreamFailure.Reason.INVALID, "the upstream's manifest " + reference
                    + " is not valid: " + e.getMessage());
        }
        String remote = mirror.upstreamRepository();
        boolean sparse = false;
        switch (parsed) {
            case Manifest.Image image -> {
                for (Descriptor blob : image.requiredBlobs()) {
                    copyBlob(blob);
                }
            }
            case Manifest.Index index -> {
                for (Descriptor child : index.manifests()) {
                    if (!selected(child)) {
                        sparse = true;
                        continue;
                    }
                    if (stored(child.digest())) {
                        continue;
                    }
                    UpstreamClient.FetchedManifest c = upstream.getManifest(remote, child.digest().toString());
                    verified(c, child.digest(), child.digest().toString());
                    copyManifest(c, child.digest(), new Reference.ByDigest(child.digest()), depth);
                }
            }
        }
        // The manifest last: a tag points at it only once everything it needs is stored.
        if (sparse) {
            registry.manifests().putFetched(repository, reference, m.mediaType(), m.body(), Mirrors.ACTOR);
        } else {
            registry.manifests().put(repository, reference, m.mediaType(), m.body(), Mirrors.ACTOR);
        }
        copyReferrers(digest, depth);
    }

    /** The referrers of a copied manifest, when the upstream offers the referrers API. */
    private void copyReferrers(Digest subject, int depth) throws UpstreamFailure {
        if (depth >= REFERRER_DEPTH || !referrersApi.get()) {
            return;
        }
        String remote = mirror.upstreamRepository();
        Optional<byte[]> index = upstream.referrers(remote, subject);
        if (index.isEmpty()) {
            referrersApi.set(false);
            return;
        }
        Manifest listed;
        try {
            listed = ManifestParser.parse(index.get(), dev.bollard.oci.MediaTypes.OCI_INDEX);
        } catch (ManifestInvalidException e) {
            throw new UpstreamFailure(UpstreamFailure.Reason.INVALID, "the referrers of " + subject + " from "
                    + upstream.base() + " are no image index: " + e.getMessage());
        }
        if (!(listed instanceof Manifest.Index referrerIndex)) {
            return;
        }
        for (Descriptor d : referrerIndex.manifests()) {
            if (stored(d.digest())) {
                continue;
            }
            UpstreamClient.FetchedManifest r = upstream.getManifest(remote, d.digest().toString());
            verified(r, d.digest(), d.digest().toString());
            copyManifest(r, d.digest(), new Reference.ByDigest(d.digest()), depth + 1);
            referrers.incrementAndGet();
        }
    }

    /**
     * Makes the blob readable in the mirror: already linked, mounted from another repository that holds it (once the
     * upstream confirmed it has it — a mirror must not expose a blob only because its upstream named the digest), or
     * streamed from the upstream, stored only when its digest verified.
     */
    private void copyBlob(Descriptor blob) throws UpstreamFailure {
        if (blob.isExternal()) {
            return;
        }
        Digest digest = blob.digest();
        ReentrantLock lock = blobLocks.computeIfAbsent(digest, d -> new ReentrantLock());
        lock.lock();
        try {
            if (registry.blobs().find(repository, digest).isPresent()) {
                return;
            }
            String remote = mirror.upstreamRepository();
            Optional<String> holder = db.read(h -> MirrorDao.repositoryHolding(h, digest.toString(),
                    repository.value()));
            if (holder.isPresent()) {
                upstream.headBlob(remote, digest);
                if (registry.uploads().mount(repository, digest, RepositoryName.parse(holder.get())).isPresent()) {
                    blobsMounted.incrementAndGet();
                    return;
                }
            }
            UpstreamClient.BlobBody body = upstream.getBlob(remote, digest);
            reading.add(body.body());
            if (aborted) {
                closeQuietly(body.body());
            }
            try (InputStream in = new Counting(body.body(), bytes)) {
                registry.uploads().uploadWhole(repository, digest, in, body.size() < 0 ? null : body.size());
            } catch (IOException | java.io.UncheckedIOException e) {
                throw new UpstreamFailure(UpstreamFailure.Reason.UNREACHABLE, "the blob " + digest + " from "
                        + upstream.base() + " broke off (nothing was stored): " + e.getMessage(), null, e);
            } catch (BollardException e) {
                throw new UpstreamFailure(UpstreamFailure.Reason.INVALID, "the blob " + digest + " from "
                        + upstream.base() + " was not stored: " + e.getMessage(), null, e);
            } finally {
                reading.remove(body.body());
            }
            blobsCopied.incrementAndGet();
            heartbeat.run();
        } finally {
            lock.unlock();
        }
    }

    /** Stops the sync's transfers now (the node is stopping): the blobs being read are not stored. */
    void abort() {
        aborted = true;
        reading.forEach(MirrorSync::closeQuietly);
    }

    private static void closeQuietly(InputStream in) {
        try {
            in.close();
        } catch (IOException ignored) {
            // aborting
        }
    }

    /** With deletions mirrored: the local tags the upstream does not have (or the filters no longer select) go. */
    private void deleteUnselected(Set<String> selected) {
        List<String> local;
        try {
            local = registry.listings().tags(repository, null, null).items();
        } catch (BollardException e) {
            return; // nothing stored yet
        }
        for (String tag : local) {
            if (selected.contains(tag)) {
                continue;
            }
            try {
                registry.manifests().delete(repository, byTag(tag), Mirrors.ACTOR);
                tagsDeleted.incrementAndGet();
            } catch (BollardException e) {
                fail(tag, "not deleted: " + e.getMessage());
            }
        }
    }

    /** Counts the bytes read from the upstream. */
    private static final class Counting extends FilterInputStream {
        private final AtomicLong count;

        Counting(InputStream in, AtomicLong count) {
            super(in);
            this.count = count;
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                count.incrementAndGet();
            }
            return b;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
            int n = super.read(buffer, offset, length);
            if (n > 0) {
                count.addAndGet(n);
            }
            return n;
        }
    }
}
