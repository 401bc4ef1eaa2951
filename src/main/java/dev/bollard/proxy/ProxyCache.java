package dev.bollard.proxy;

import dev.bollard.audit.Actor;
import dev.bollard.error.BollardException;
import dev.bollard.error.ErrorCode;
import dev.bollard.metadata.Database;
import dev.bollard.metadata.ProxyDao;
import dev.bollard.metadata.RepositoryDao;
import dev.bollard.oci.Digest;
import dev.bollard.oci.Reference;
import dev.bollard.oci.RepositoryName;
import dev.bollard.registry.BlobInfo;
import dev.bollard.registry.BlobUploads;
import dev.bollard.registry.Registry;
import dev.bollard.registry.StoredManifest;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pull-through cache (docs/proxy-and-mirroring.md): what a pull of a repository in a proxy organization answers.
 * <ul>
 * <li>A manifest by digest that is stored is served, never checked again. A tag is compared with the upstream (a
 *     {@code HEAD}) at most once per the organization's interval; a changed or missing manifest is fetched, its digest
 *     verified, and stored through the registry's normal path ({@link dev.bollard.registry.Manifests#putFetched}), so
 *     it has tags, history, events and garbage collection like pushed content. An index is stored without its
 *     children, each fetched when pulled.</li>
 * <li>A blob that is not stored is fetched once however many clients ask at the same time ({@link BlobFlight}):
 *     streamed to each of them while it is hashed and stored, visible only once its digest verified.</li>
 * <li>When the upstream fails (unreachable, 5xx, rate limits, refuses the credentials), what is stored is served with
 *     the reason ({@link Pulled#stale()}, the {@code Bollard-Proxy-Stale} header) and counted; what is not is refused
 *     with an error that names the upstream and its answer.</li>
 * </ul>
 * Repositories of other organizations pass through to the registry unchanged.
 */
public final class ProxyCache {
    /** The bytes of a proxied blob committed to its upload session at a time: what a broken fetch may lose at most. */
    static final long SLICE = 8L * 1024 * 1024;
    private static final Logger LOG = LoggerFactory.getLogger(ProxyCache.class);
    /** Who stores what the cache fetched, in the audit log. */
    static final Actor ACTOR = Actor.system("proxy");

    /** A manifest as served, with why it is served without the upstream's confirmation ({@code null}: it is fresh). */
    public record Pulled(StoredManifest manifest, @Nullable String stale) {
    }

    /** Where a blob's bytes come from. */
    public sealed interface BlobSource {
        /** Stored: the registry serves it as any blob. */
        record Stored(BlobInfo blob) implements BlobSource {
        }

        /** Being fetched: {@code channel} delivers the bytes as they arrive (the caller closes it). */
        record Streaming(Digest digest, long size, SeekableByteChannel channel) implements BlobSource {
        }

        /** Not stored, and a {@code HEAD} asked: the size the upstream announces. */
        record Upstream(Digest digest, long size) implements BlobSource {
        }
    }

    private final ProxyOrganizations organizations;
    private final Registry registry;
    private final Database db;
    private final Path spoolDir;
    private final Duration upstreamTimeout;
    private final MeterRegistry meters;
    private final Map<String, BlobFlight> flights = new ConcurrentHashMap<>();
    private final Counter blobFetches;
    private final Counter joined;
    private final Counter resumed;
    private final ProxyReferrers referrers;

    public ProxyCache(ProxyOrganizations organizations, Registry registry, Database db, Path spoolDir,
                      Duration upstreamTimeout, MeterRegistry meters) {
        this.organizations = organizations;
        this.registry = registry;
        this.db = db;
        this.spoolDir = spoolDir;
        this.upstreamTimeout = upstreamTimeout;
        this.meters = meters;
        this.blobFetches = Counter.builder("bollard.proxy.upstream.fetches").tag("kind", "blob")
                .description("fetches from proxy organizations' upstreams").register(meters);
        this.joined = Counter.builder("bollard.proxy.blob.joined")
                .description("blob requests served from a fetch another request started").register(meters);
        this.resumed = Counter.builder("bollard.proxy.blob.resumed")
                .description("blob fetches that continued an earlier one that broke off (a Range request upstream)")
                .register(meters);
        this.referrers = new ProxyReferrers(registry, meters, this::recordPull);
    }

    /** DENIED for a push into a proxy organization: its content comes from the upstream only. */
    public void requireWritable(RepositoryName repository) {
        if (organizations.isProxied(repository)) {
            throw new BollardException(ErrorCode.DENIED, "repository " + repository + " is in proxy organization "
                    + RepositoryName.namespaceOf(repository.value()) + ", whose content comes from its upstream only: "
                    + "push to another organization");
        }
    }

    // ---- manifests ----

    public Pulled manifest(RepositoryName repository, Reference reference) {
        Optional<ProxyOrganizations.Resolved> resolved = organizations.resolve(repository);
        if (resolved.isEmpty()) {
            return new Pulled(registry.manifests().get(repository, reference), null);
        }
        Pulled pulled = manifest(repository, reference, resolved.get());
        recordPull(repository, pulled.manifest().digest()); // eviction takes the least recently pulled first
        return pulled;
    }

    /** When the repository's manifest was last pulled (or fetched), for eviction. */
    void recordPull(RepositoryName repository, Digest digest) {
        long now = System.currentTimeMillis();
        db.inTransaction(h -> {
            RepositoryDao.findId(h, repository.value()).ifPresent(id -> ProxyDao.recordPull(h, id, digest.toString(),
                    now));
            return null;
        });
    }

    private Pulled manifest(RepositoryName repository, Reference reference, ProxyOrganizations.Resolved resolved) {
        Upstream upstream = resolved.upstream();
        List<UpstreamClient> clients = resolved.clients();
        String remote = upstream.upstreamRepository(repository);
        Optional<StoredManifest> local = registry.manifests().find(repository, reference);
        if (local.isPresent() && (reference instanceof Reference.ByDigest
                || checkedWithin(repository, reference, upstream.tagCheckInterval()))) {
            return new Pulled(local.get(), null);
        }
        try {
            if (local.isPresent()) {
                UpstreamClient.ManifestHead head = first(clients, c -> c.headManifest(remote, reference.toString()));
                if (head.digest().equals(local.get().digest())) {
                    recordCheck(repository, reference);
                    // A signature or SBOM may have been added upstream since the image was cached.
                    referrers.fetchLater(clients, repository, remote, head.digest());
                    return new Pulled(local.get(), null);
                }
                if (head.exhausted()) {
                    throw new UpstreamFailure(UpstreamFailure.Reason.RATE_LIMITED, upstream.url() + " has "
                            + remote + ":" + reference + " at " + head.digest() + " but its rate limit is used up "
                            + "(ratelimit-remaining: 0)");
                }
            }
            StoredManifest fetched = fetchManifest(clients, repository, remote, reference);
            recordCheck(repository, reference);
            referrers.fetchLater(clients, repository, remote, fetched.digest());
            return new Pulled(fetched, null);
        } catch (UpstreamFailure e) {
            counter("bollard.proxy.upstream.failures", "reason", e.reason().label()).increment();
            if (e.reason() == UpstreamFailure.Reason.NOT_FOUND) {
                throw new BollardException(ErrorCode.MANIFEST_UNKNOWN, "manifest " + reference + " is not known in "
                        + repository + ": " + e.getMessage(), Map.of("reference", reference.toString()));
            }
            if (local.isPresent()) {
                counter("bollard.proxy.stale", "reason", e.reason().label()).increment();
                LOG.warn("serving {}:{} from the cache without the upstream's confirmation: {}", repository,
                        reference, e.getMessage());
                return new Pulled(local.get(), e.reason().label());
            }
            throw refusal(repository, reference.toString(), ErrorCode.MANIFEST_UNKNOWN, e);
        }
    }

    private StoredManifest fetchManifest(List<UpstreamClient> clients, RepositoryName repository, String remote,
                                         Reference reference) throws UpstreamFailure {
        UpstreamClient.FetchedManifest f = first(clients, c -> {
            UpstreamClient.FetchedManifest m = c.getManifest(remote, reference.toString());
            // By digest the URL names the digest; by tag the upstream's Docker-Content-Digest does, when it sent one.
            Digest named = reference instanceof Reference.ByDigest d ? d.digest() : m.digest();
            Digest actual = named == null ? Digest.sha256(m.body()) : Digest.compute(named.algorithm(), m.body());
            if (named != null && !named.equals(actual)) {
                throw new UpstreamFailure(UpstreamFailure.Reason.INVALID, "the manifest " + remote + ":" + reference
                        + " from " + c.base() + " has digest " + actual + ", not " + named + " as it says");
            }
            return m;
        });
        counter("bollard.proxy.upstream.fetches", "kind", "manifest").increment();
        try {
            registry.manifests().putFetched(repository, reference, f.mediaType(), f.body(), ACTOR);
        } catch (BollardException e) {
            if (e.code() == ErrorCode.MANIFEST_INVALID || e.code() == ErrorCode.DIGEST_INVALID) {
                throw new UpstreamFailure(UpstreamFailure.Reason.INVALID, "the upstream's manifest " + remote + ":"
                        + reference + " is not valid: " + e.getMessage(), null, e);
            }
            throw e;
        }
        Digest digest = reference instanceof Reference.ByDigest d ? d.digest() : Digest.sha256(f.body());
        return new StoredManifest(digest, f.mediaType(), f.body());
    }

    private boolean checkedWithin(RepositoryName repository, Reference reference, Duration interval) {
        if (!(reference instanceof Reference.ByTag t)) {
            return false;
        }
        OptionalLong at = db.read(h -> RepositoryDao.findId(h, repository.value())
                .map(id -> ProxyDao.checkedAt(h, id, t.tag().value())).orElse(OptionalLong.empty()));
        return at.isPresent() && System.currentTimeMillis() - at.getAsLong() < interval.toMillis();
    }

    private void recordCheck(RepositoryName repository, Reference reference) {
        if (reference instanceof Reference.ByTag t) {
            db.inTransaction(h -> {
                RepositoryDao.findId(h, repository.value()).ifPresent(id ->
                        ProxyDao.recordCheck(h, id, t.tag().value(), System.currentTimeMillis()));
                return null;
            });
        }
    }

    // ---- blobs ----

    /** True when the repository is in a proxy organization and does not hold the blob: {@link #blob} fetches it. */
    public boolean fetches(RepositoryName repository, Digest digest) {
        return organizations.isProxied(repository) && registry.blobs().find(repository, digest).isEmpty();
    }

    /**
     * A blob of a proxied repository: stored, or joined to the one fetch of it in progress (started if none is), or,
     * for a {@code HEAD}, the size the upstream announces. BLOB_UNKNOWN when the upstream does not have it; an error
     * naming the upstream when it fails.
     */
    public BlobSource blob(RepositoryName repository, Digest digest, boolean head) {
        Optional<BlobInfo> stored = registry.blobs().find(repository, digest);
        Optional<ProxyOrganizations.Resolved> resolved = organizations.resolve(repository);
        if (stored.isPresent() || resolved.isEmpty()) {
            return new BlobSource.Stored(stored.orElseGet(() -> registry.blobs().stat(repository, digest)));
        }
        String remote = resolved.get().upstream().upstreamRepository(repository);
        List<UpstreamClient> clients = resolved.get().clients();
        if (head) {
            try {
                long size = first(clients, c -> c.headBlob(remote, digest));
                return new BlobSource.Upstream(digest, size);
            } catch (UpstreamFailure e) {
                throw refusal(repository, digest.toString(), ErrorCode.BLOB_UNKNOWN, e);
            }
        }
        String key = repository.value() + "@" + digest;
        BlobFlight[] mine = new BlobFlight[1];
        BlobFlight flight = flights.computeIfAbsent(key, k -> mine[0] = newFlight());
        if (mine[0] == null) {
            joined.increment();
        }
        SeekableByteChannel reader = flight.reader(); // before the fetch can end, so the spool stays open
        if (reader == null) {
            // The fetch this request joined ended in the meantime: the blob is stored, or it failed.
            return new BlobSource.Stored(registry.blobs().stat(repository, digest));
        }
        if (mine[0] != null) {
            Thread.ofVirtual().name("bollard-proxy-fetch").start(() -> fetch(key, flight, clients, repository, remote,
                    digest));
        }
        try {
            long size = flight.awaitStart(upstreamTimeout.toNanos() * 2);
            if (size < 0) {
                // No announced size: the client waits for the whole blob, then gets it from the store.
                flight.awaitEnd(Long.MAX_VALUE);
                reader.close();
                return new BlobSource.Stored(registry.blobs().stat(repository, digest));
            }
            return new BlobSource.Streaming(digest, size, reader);
        } catch (UpstreamFailure e) {
            closeQuietly(reader);
            throw refusal(repository, digest.toString(), ErrorCode.BLOB_UNKNOWN, e);
        } catch (BollardException e) {
            closeQuietly(reader);
            throw e;
        } catch (Exception e) {
            closeQuietly(reader);
            throw new BollardException(ErrorCode.UPSTREAM_UNAVAILABLE, "fetching blob " + digest + " of " + repository
                    + " from its upstream failed: " + e.getMessage());
        }
    }

    private BlobFlight newFlight() {
        return new BlobFlight(spoolDir);
    }

    /** The fetch itself, on its own thread: it goes on when the client that started it goes away. */
    private void fetch(String key, BlobFlight flight, List<UpstreamClient> clients, RepositoryName repository,
                       String remote, Digest digest) {
        try {
            UpstreamFailure failure = fetchAndStore(flight, clients, repository, remote, digest);
            // Out of the map before its end is told: a request that comes after the end must not join this flight
            // (a client retrying at once after a failure starts a new fetch instead of joining the failed one).
            flights.remove(key, flight);
            if (failure == null) {
                flight.succeeded();
            } else {
                flight.failed(failure);
            }
        } finally {
            flights.remove(key, flight); // also when something above threw
            flight.release();
        }
    }

    /**
     * Fetches the blob into an upload session and so into the store, its clients reading it as it arrives; null when
     * it is stored, else why it is not. With a store that keeps staged bytes locally, the bytes are written once (the
     * clients read the staged file), committed to the session in slices, and a fetch that breaks off leaves the session
     * to resume: the next fetch asks the upstream for the rest only ({@code Range}), when the upstream honours ranges.
     * Either way the blob becomes visible only once the whole of it has the digest asked for.
     */
    private @Nullable UpstreamFailure fetchAndStore(BlobFlight flight, List<UpstreamClient> clients,
                                                   RepositoryName repository, String remote, Digest digest) {
        try {
            if (registry.uploads().readsStagedCheaply()) {
                fetchStaged(flight, clients, repository, remote, digest);
            } else {
                UpstreamClient.BlobBody body = first(clients, c -> c.getBlob(remote, digest));
                blobFetches.increment();
                flight.spooled(body.size());
                Thread.ofVirtual().name("bollard-proxy-idle").start(() -> flight.abortWhenIdle(body.body(),
                        upstreamTimeout));
                try (InputStream in = flight.tee(body.body())) {
                    registry.uploads().uploadWhole(repository, digest, in, body.size() < 0 ? null : body.size());
                }
            }
            registry.manifests().recordFetchedBlob(repository, digest);
            return null;
        } catch (UpstreamFailure e) {
            counter("bollard.proxy.upstream.failures", "reason", e.reason().label()).increment();
            return e;
        } catch (IOException | RuntimeException e) {
            // A body that broke off, a wrong digest (DIGEST_INVALID), a size that does not match: nothing was stored.
            counter("bollard.proxy.upstream.failures", "reason", UpstreamFailure.Reason.INVALID.label()).increment();
            LOG.warn("fetching blob {} of {} from its upstream failed; nothing was stored: {}", digest, repository,
                    e.toString());
            return new UpstreamFailure(UpstreamFailure.Reason.INVALID, "the upstream's blob " + digest
                    + " was not received whole and intact: " + e.getMessage(), null, e);
        }
    }

    /**
     * The fetch into an upload session whose staged file the clients read. The session's id is kept in a file of the
     * spool directory while the fetch runs; when the fetch breaks off, what arrived is committed to the session and the
     * file stays, so the next fetch of the blob (after a restart too, until the session expires) resumes it.
     */
    private void fetchStaged(BlobFlight flight, List<UpstreamClient> clients, RepositoryName repository,
                             String remote, Digest digest) throws UpstreamFailure, IOException {
        BlobUploads uploads = registry.uploads();
        Path resume = spoolDir.resolve("resume").resolve(Digest.sha256((repository.value() + "@" + digest)
                .getBytes(StandardCharsets.UTF_8)).hex());
        String session = resumable(repository, resume);
        long present = session == null ? 0 : uploads.status(repository, session).size();
        long from = present;
        UpstreamClient.BlobBody body = first(clients, c -> c.getBlob(remote, digest, from));
        blobFetches.increment();
        if (session == null || body.start() != present) {
            // A new fetch, or an upstream that does not honour ranges and sends the whole blob again.
            if (session != null) {
                cancelQuietly(repository, session);
            }
            try {
                session = uploads.start(repository).uploadId();
                Files.createDirectories(resume.getParent());
                Files.writeString(resume, session);
            } catch (IOException | RuntimeException e) {
                closeQuietly(body.body());
                throw e;
            }
            present = 0;
        } else {
            resumed.increment();
            LOG.info("resuming the fetch of blob {} of {} at byte {} of {}", digest, repository, present, body.size());
        }
        String id = session;
        flight.staged(body.size(), present, () -> {
            try {
                return BlobFlight.Bytes.of(uploads.openStaged(id));
            } catch (NoSuchFileException e) {
                // Committed (or discarded) since: once the fetch is over the blob is stored, or the fetch failed.
                try {
                    flight.awaitEnd(Long.MAX_VALUE);
                } catch (Exception failed) {
                    throw new IOException("the upstream fetch failed: " + failed.getMessage(), failed);
                }
                return BlobFlight.Bytes.of(registry.blobs().open(repository, registry.blobs().stat(repository,
                        digest)));
            }
        });
        Thread.ofVirtual().name("bollard-proxy-idle").start(() -> flight.abortWhenIdle(body.body(), upstreamTimeout));
        IOException broke = null;
        try (InputStream in = body.body()) {
            long position = present;
            while (broke == null && (body.size() < 0 || position < body.size())) {
                Slice slice = new Slice(in, position, flight);
                long start = position;
                position = uploads.append(repository, id, slice, start, null).size();
                flight.published(position);
                broke = slice.broke;
                if (slice.count == 0) {
                    break; // the body ended
                }
            }
        }
        if (broke != null) {
            // What arrived is the session's: kept for the next fetch to resume (the resume file stays).
            throw broke;
        }
        try {
            uploads.complete(repository, id, digest, InputStream.nullInputStream(), 0L);
        } catch (BollardException e) {
            // A wrong digest or size: the session is gone (dropped by complete, or here), and the next fetch starts over.
            cancelQuietly(repository, id);
            Files.deleteIfExists(resume);
            throw e;
        }
        Files.deleteIfExists(resume);
    }

    /** The session an earlier fetch of the blob left to resume, if it still exists. */
    private @Nullable String resumable(RepositoryName repository, Path resume) {
        try {
            String id = Files.readString(resume).strip();
            registry.uploads().status(repository, id);
            return id;
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException | BollardException e) {
            // expired or unreadable: start over
            return null;
        }
    }

    private void cancelQuietly(RepositoryName repository, String session) {
        try {
            registry.uploads().cancel(repository, session);
        } catch (RuntimeException e) {
            // gone already
        }
    }

    /**
     * At most {@link #SLICE} bytes of the upstream's body: each slice is one append to the session, so what arrived is
     * committed slice by slice. A body that breaks off ends the slice (recorded in {@link #broke}) so that the bytes
     * received before are committed too. The upload path reads the body a piece at a time ({@code readNBytes}) and
     * writes each piece before it reads the next: so when it asks for a piece, every byte it had before is in the
     * staged file, and is published to the readers.
     */
    private static final class Slice extends InputStream {
        private final InputStream body;
        private final long start;
        private final BlobFlight flight;
        long count;
        @Nullable IOException broke;

        Slice(InputStream body, long start, BlobFlight flight) {
            this.body = body;
            this.start = start;
            this.flight = flight;
        }

        @Override
        public int readNBytes(byte[] b, int off, int len) throws IOException {
            if (count > 0) {
                flight.published(start + count);
            }
            return super.readNBytes(b, off, len);
        }

        @Override
        public int read(byte[] b, int off, int len) {
            if (broke != null || count >= SLICE) {
                return -1;
            }
            try {
                int n = body.read(b, off, (int) Math.min(len, SLICE - count));
                if (n > 0) {
                    count += n;
                }
                return n;
            } catch (IOException e) {
                broke = e;
                return -1;
            }
        }

        @Override
        public int read() {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }
    }

    // ---- shared ----

    /** An upstream call that may fail. */
    @FunctionalInterface
    interface Call<T> {
        T on(UpstreamClient client) throws UpstreamFailure;
    }

    /**
     * The first answer of the upstream's URLs in order (the primary, then the fallbacks). When all fail: the first
     * failure other than "not found" (the cache may serve stale for it), else "not found".
     */
    static <T> T first(List<UpstreamClient> clients, Call<T> call) throws UpstreamFailure {
        UpstreamFailure failure = null;
        for (UpstreamClient c : clients) {
            try {
                return call.on(c);
            } catch (UpstreamFailure e) {
                if (failure == null || failure.reason() == UpstreamFailure.Reason.NOT_FOUND) {
                    failure = e;
                }
            }
        }
        if (failure == null) {
            throw new UpstreamFailure(UpstreamFailure.Reason.UNREACHABLE, "the proxy organization has no upstream");
        }
        throw failure;
    }

    /** The refusal of something never cached when the upstream failed. */
    private static BollardException refusal(RepositoryName repository, String what, ErrorCode unknown,
                                            UpstreamFailure e) {
        return switch (e.reason()) {
            case NOT_FOUND -> new BollardException(unknown, what + " is not known in " + repository + ": "
                    + e.getMessage());
            case RATE_LIMITED -> BollardException.throttled(ErrorCode.TOOMANYREQUESTS, what + " of " + repository
                    + " is not cached and the upstream rate-limits the proxy: " + e.getMessage(),
                    e.retryAfterSeconds() == null ? 60 : e.retryAfterSeconds());
            default -> new BollardException(ErrorCode.UPSTREAM_UNAVAILABLE, what + " of " + repository
                    + " is not cached and the upstream cannot provide it: " + e.getMessage(),
                    Map.of("reason", e.reason().label()));
        };
    }

    private Counter counter(String name, String tag, String value) {
        return Counter.builder(name).tag(tag, value).register(meters);
    }

    private static void closeQuietly(java.io.Closeable c) {
        try {
            c.close();
        } catch (IOException ignored) {
            // a reader of an unlinked spool
        }
    }
}
