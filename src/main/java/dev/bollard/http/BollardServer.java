package dev.bollard.http;

import dev.bollard.audit.Actor;
import dev.bollard.audit.AuditLog;
import dev.bollard.auth.AccessPolicy;
import dev.bollard.events.Outbox;
import dev.bollard.auth.Identities;
import dev.bollard.http.api.ApiRoute;
import dev.bollard.http.api.ApiServices;
import dev.bollard.http.api.ManagementApi;
import dev.bollard.http.api.SessionAuthenticator;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import dev.bollard.auth.Auth;
import dev.bollard.auth.WebSessions;
import dev.bollard.config.BollardConfig;
import dev.bollard.http.ui.UiHandler;
import dev.bollard.metadata.Database;
import dev.bollard.jobs.GarbageCollector;
import dev.bollard.jobs.LeasedJob;
import dev.bollard.oci.DigestAlgorithm;
import dev.bollard.registry.Registry;
import dev.bollard.storage.BlobStore;
import dev.bollard.storage.FilesystemBlobStore;
import dev.bollard.storage.S3BlobStore;
import dev.bollard.storage.TracedBlobStore;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.http.UriCompliance;
import org.eclipse.jetty.io.ArrayByteBufferPool;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.handler.GracefulHandler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running Bollard: the metadata database, the blob store, the registry's use cases, the background sweeper
 * and the HTTP server in front of them. {@link #close()} stops them in reverse order.
 */
public final class BollardServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(BollardServer.class);

    private final Server jetty;
    private final Database database;
    private final AuditLog audit;
    private final ManagementApi api;
    private final BlobStore store;
    private final Tracing tracing;
    private final ScheduledExecutorService background;
    private final URI baseUri;

    private BollardServer(Server jetty, Database database, AuditLog audit, ManagementApi api, BlobStore store,
                          Tracing tracing, ScheduledExecutorService background, URI baseUri) {
        this.jetty = jetty;
        this.database = database;
        this.audit = audit;
        this.api = api;
        this.store = store;
        this.tracing = tracing;
        this.background = background;
        this.baseUri = baseUri;
    }

    /** Starts a registry with {@code config}; port 0 picks a free port. */
    public static BollardServer start(BollardConfig config) throws Exception {
        return start(config, SessionAuthenticator.NONE);
    }

    /** Starts a registry whose management API also accepts the UI sessions {@code sessions} resolves. */
    public static BollardServer start(BollardConfig config, SessionAuthenticator sessions) throws Exception {
        Files.createDirectories(config.dataDir());
        Tracing tracing = Tracing.of(config.telemetry());
        Observability observability = new Observability(tracing);
        Database database = Database.open(config.database(), observability.registry());
        AuditLog audit = new AuditLog(database, config.audit().queueSize());
        FunctionCounter.builder("bollard.audit.dropped", audit, AuditLog::dropped)
                .description("audit events dropped because the write queue was full").register(observability.registry());
        FunctionCounter.builder("bollard.audit.failed", audit, AuditLog::failed)
                .description("audit events the database did not take").register(observability.registry());
        Gauge.builder("bollard.audit.queued", audit, AuditLog::queued)
                .description("audit events waiting for their batched write").register(observability.registry());
        BlobStore store = null;
        try {
            store = openStore(config);
            if (tracing.enabled()) {
                database.traceStatements(tracing.tracer());
                store = new TracedBlobStore(store, tracing.tracer());
                LOG.info("tracing: exporting spans to {}, sampling {}", config.telemetry().tracingEndpoint(),
                        config.telemetry().sampleRatio());
            }
            Registry registry = new Registry(database, store, config.registry(), config.lifecycle(),
                    new Outbox(audit::catchUp),
                    observability.registry());

            // The pool must hold the largest buffers we ask for (request buffers, blob pieces): Jetty's default
            // pools only up to 64 KiB and allocates anything larger afresh, so direct memory churned until a
            // GC freed it (RSS near 1 GiB and 100 ms pauses under load; docs/benchmarks.md, finding 1).
            Server jetty = new Server(threadPool(), null, new ArrayByteBufferPool(0, -1, DistributionHandler.READ_CHUNK));
            HttpConfiguration http = new HttpConfiguration();
            http.setSendServerVersion(false);
            http.setSendXPoweredBy(false);
            // Paths are validated by the routes themselves, so that a name like "../x" gets NAME_INVALID
            // rather than the container's bare 400.
            http.setUriCompliance(UriCompliance.UNSAFE);
            http.setOutputBufferSize(64 * 1024);
            HttpConnectionFactory http1 = new HttpConnectionFactory(http);
            // Large reads from the socket: fewer system calls per byte of a blob pushed.
            http1.setInputBufferSize(128 * 1024);
            ServerConnector connector = new ServerConnector(jetty, http1);
            connector.setHost(config.server().host());
            connector.setPort(config.server().port());
            connector.setIdleTimeout(Duration.ofMinutes(5).toMillis());
            jetty.addConnector(connector);
            AccessPolicy policy = AccessPolicy.OPEN;
            TokenHandler tokens = null;
            Auth auth = null;
            UiHandler ui = null;
            if (config.auth().enabled()) {
                auth = new Auth(database, config.auth(), audit);
                policy = auth.policy();
                tokens = new TokenHandler(auth);
                if (config.ui().enabled()) {
                    ui = new UiHandler(registry, auth, new WebSessions(database, auth, config.ui().sessionIdleTimeout(),
                            config.ui().sessionMaxAge()), audit);
                    if (sessions == SessionAuthenticator.NONE) {
                        sessions = ui.sessionAuthenticator(); // the management API accepts the UI's sessions
                    }
                }
            } else {
                LOG.warn("auth.enabled is false: anyone who can reach {}:{} may push, pull and delete",
                        config.server().host(), config.server().port());
            }
            // GracefulHandler: on stop, connectors stop accepting and requests in flight may finish (within
            // the stop timeout) before the database closes under them.
            DistributionHandler distribution = new DistributionHandler(registry, policy,
                    config.registry().maxManifestBytes(), observability, audit);
            ManagementApi api = new ManagementApi(ManagementApi.standardEndpoints(
                    new ApiServices(config, new Identities(database, audit), auth, registry, audit)), policy, sessions);
            BlobStore blobs = store;
            RootHandler.Readiness readiness = () -> database.isReachable() && blobs.isReachable();
            jetty.setHandler(new GracefulHandler(new RootHandler(distribution, tokens, api, observability, readiness,
                    ui)));
            jetty.setStopTimeout(Duration.ofSeconds(30).toMillis());
            jetty.start();
            Thread.ofVirtual().name("bollard-warm-up").start(BollardServer::warmUpHashing);

            ScheduledExecutorService background = Executors.newSingleThreadScheduledExecutor(
                    Thread.ofPlatform().name("bollard-sweeper").daemon(true).factory());
            long every = config.uploads().cleanupInterval().toMillis();
            background.scheduleWithFixedDelay(() -> sweep(registry, config.uploads().expiry()), every, every,
                    TimeUnit.MILLISECONDS);
            background.scheduleWithFixedDelay(() -> prune(audit, config.audit().retention()), 1, 60, TimeUnit.MINUTES);
            scheduleLifecycleJobs(background, database, store, registry, config.lifecycle(), observability);

            String host = config.server().host().contains(":") ? "[" + config.server().host() + "]" : config.server().host();
            URI uri = URI.create("http://" + host + ":" + connector.getLocalPort());
            if (!config.server().isLoopback()) {
                LOG.warn("serving plain HTTP on {}, which is not a loopback address: clients will send credentials "
                        + "and images unencrypted. Put TLS in front of Bollard.", config.server().host());
            }
            LOG.info("Bollard listening on {} (data in {})", uri, config.dataDir());
            return new BollardServer(jetty, database, audit, api, store, tracing, background, uri);
        } catch (Exception | Error e) {
            audit.close();
            if (store != null) {
                store.close();
            }
            database.close();
            tracing.close();
            throw e;
        }
    }

    /** The configured blob store; S3 buffers its parts in the uploads directory. */
    public static BlobStore openStore(BollardConfig config) throws IOException {
        if (config.storage().isS3()) {
            BollardConfig.S3 s3 = config.storage().s3();
            S3BlobStore store = S3BlobStore.open(s3, config.uploads().stagingPath());
            LOG.info("blobs in S3 bucket {}{} ({})", s3.bucket(), s3.prefix().isEmpty() ? "" : " under " + s3.prefix(),
                    s3.endpoint().isEmpty() ? "AWS, region " + s3.region() : s3.endpoint());
            if (!store.isReachable()) {
                LOG.warn("S3 bucket {} does not answer (does it exist? endpoint, region, path-style and credentials "
                        + "right?); /readyz answers 503 until it does", s3.bucket());
            }
            return store;
        }
        return new FilesystemBlobStore(config.storage().path(), config.uploads().stagingPath());
    }

    /**
     * The life-cycle jobs, each run by one node at a time (a lease in the database): the garbage collector, and
     * retention followed by a refresh of the quota metrics.
     */
    private static void scheduleLifecycleJobs(ScheduledExecutorService background, Database database,
                                              BlobStore store, Registry registry,
                                              BollardConfig.Lifecycle lifecycle, Observability observability) {
        if (lifecycle.gcEnabled()) {
            GarbageCollector collector = new GarbageCollector(database, store,
                    new GarbageCollector.Settings(lifecycle.gcGracePeriod(), lifecycle.historyWindow()),
                    observability.registry());
            LeasedJob gc = new LeasedJob(database, "gc", leaseFor(lifecycle.gcInterval()),
                    heartbeat -> collector.collect(false, heartbeat));
            long every = lifecycle.gcInterval().toMillis();
            background.scheduleWithFixedDelay(gc, every, every, TimeUnit.MILLISECONDS);
        } else {
            LOG.warn("gc.enabled is false: unreferenced blobs are not reclaimed (run `bollard gc` to reclaim them)");
        }
        LeasedJob retention = new LeasedJob(database, "retention", leaseFor(lifecycle.retentionInterval()),
                heartbeat -> {
                    registry.retention().apply(Actor.system("retention"), false);
                    registry.quotas().all();
                });
        long every = lifecycle.retentionInterval().toMillis();
        background.scheduleWithFixedDelay(retention, every, every, TimeUnit.MILLISECONDS);
    }

    /** A job's lease: long enough for a run between heartbeats, short enough that a dead node's lapses soon. */
    private static Duration leaseFor(Duration interval) {
        Duration min = Duration.ofMinutes(1);
        Duration max = Duration.ofMinutes(10);
        return interval.compareTo(min) < 0 ? min : interval.compareTo(max) > 0 ? max : interval;
    }

    /**
     * Hashes some memory once, so that the JIT compiles SHA-256 to its CPU intrinsic before the first push rather than
     * during it (the first push of a fresh process ran at 35-45% of the next one's speed; docs/benchmarks.md, finding 7).
     */
    private static void warmUpHashing() {
        MessageDigest sha256 = DigestAlgorithm.SHA256.newMessageDigest();
        byte[] piece = new byte[256 * 1024];
        for (int i = 0; i < 128; i++) {
            sha256.update(piece);
        }
        sha256.digest();
    }

    private static QueuedThreadPool threadPool() {
        QueuedThreadPool pool = new QueuedThreadPool();
        pool.setName("bollard-http");
        // Request handling runs on virtual threads: plain blocking code, cheap per request.
        pool.setVirtualThreadsExecutor(Executors.newVirtualThreadPerTaskExecutor());
        return pool;
    }

    private static void sweep(Registry registry, Duration expiry) {
        try {
            int expired = registry.uploads().expireIdle(Instant.now().minus(expiry));
            if (expired > 0) {
                LOG.info("expired {} idle upload session(s)", expired);
            }
        } catch (RuntimeException e) {
            LOG.warn("upload sweep failed: {}", e.toString());
        }
    }

    private static void prune(AuditLog audit, Duration retention) {
        try {
            int pruned = audit.prune(Instant.now().minus(retention));
            if (pruned > 0) {
                LOG.info("pruned {} audit log entries older than {}", pruned, retention);
            }
        } catch (RuntimeException e) {
            LOG.warn("audit log pruning failed: {}", e.toString());
        }
    }

    /** The audit log (for tests and administration in the same process). */
    public AuditLog audit() {
        return audit;
    }

    /** The management API's route table. */
    public java.util.List<ApiRoute> apiRoutes() {
        return api.routes();
    }

    /** {@code http://host:port} of the running server. */
    public URI baseUri() {
        return baseUri;
    }

    /** The metadata database this server uses (for administration in the same process, e.g. tests). */
    public Database database() {
        return database;
    }

    /** Blocks until the server stops. */
    public void join() throws InterruptedException {
        jetty.join();
    }

    @Override
    public void close() {
        background.shutdownNow();
        try {
            jetty.stop();
        } catch (Exception e) {
            LOG.warn("stopping the HTTP server failed: {}", e.toString());
        }
        audit.close();
        store.close();
        database.close();
        tracing.close();
    }
}
