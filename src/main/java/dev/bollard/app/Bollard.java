package dev.bollard.app;

import dev.bollard.audit.Actor;
import dev.bollard.audit.AuditLog;
import dev.bollard.audit.AuditPruneWorker;
import dev.bollard.auth.AccessPolicy;
import dev.bollard.auth.Auth;
import dev.bollard.auth.DirectoryTeams;
import dev.bollard.auth.Identities;
import dev.bollard.auth.Users;
import dev.bollard.auth.WebSessions;
import dev.bollard.auth.ldap.DirectorySyncWorker;
import dev.bollard.auth.oidc.Discovery;
import dev.bollard.auth.oidc.OidcSignIn;
import dev.bollard.auth.oidc.WorkloadTokenVerifier;
import dev.bollard.auth.ldap.LdapDirectory;
import dev.bollard.config.BollardConfig;
import dev.bollard.error.BollardException;
import dev.bollard.error.ErrorCode;
import dev.bollard.events.EventDelivery;
import dev.bollard.events.EventFeed;
import dev.bollard.events.Outbox;
import dev.bollard.http.BollardServer;
import dev.bollard.http.Observability;
import dev.bollard.http.Tracing;
import dev.bollard.http.api.ApiRoute;
import dev.bollard.http.api.ApiServices;
import dev.bollard.http.api.ManagementApi;
import dev.bollard.http.api.SessionAuthenticator;
import dev.bollard.http.ui.UiHandler;
import dev.bollard.jobs.GarbageCollector;
import dev.bollard.jobs.GcWorker;
import dev.bollard.jobs.Workers;
import dev.bollard.metadata.Database;
import dev.bollard.registry.PullStatsWorker;
import dev.bollard.registry.Registry;
import dev.bollard.registry.RetentionWorker;
import dev.bollard.registry.UploadSweepWorker;
import dev.bollard.mirror.MirrorWorker;
import dev.bollard.mirror.Mirrors;
import dev.bollard.proxy.ProxyCache;
import dev.bollard.proxy.ProxyEviction;
import dev.bollard.proxy.ProxyOrganizations;
import dev.bollard.registry.PushListener;
import dev.bollard.scan.adapter.ScannerAdapters;
import dev.bollard.scan.results.ScanResults;
import dev.bollard.scan.vuln.VulnDbRefreshWorker;
import dev.bollard.scan.vuln.VulnerabilityStore;
import dev.bollard.secrets.KeyEncryption;
import dev.bollard.storage.BlobStore;
import dev.bollard.storage.FilesystemBlobStore;
import dev.bollard.storage.S3BlobStore;
import dev.bollard.storage.TracedBlobStore;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntSupplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running Bollard, the composition root: opens the metadata database, the blob store, the audit log, the
 * registry's use cases, access control and the UI, the background workers and the HTTP server, in that order, and
 * {@link #close()} closes them in the reverse one. {@code cli} starts it; tests start it in their JVM.
 */
public final class Bollard implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Bollard.class);
    /** The superuser that BOLLARD_ADMIN_PASSWORD or --admin-password-file creates in a registry without users. */
    public static final String FIRST_ADMIN = "admin";

    private final Deque<AutoCloseable> opened;
    private final Database database;
    private final AuditLog audit;
    private final EventDelivery events;
    private final ManagementApi api;
    private final BollardServer http;
    private final ProxyEviction proxyEviction;

    private Bollard(Deque<AutoCloseable> opened, Database database, AuditLog audit, EventDelivery events,
                    ManagementApi api, BollardServer http, ProxyEviction proxyEviction) {
        this.proxyEviction = proxyEviction;
        this.opened = opened;
        this.database = database;
        this.audit = audit;
        this.events = events;
        this.api = api;
        this.http = http;
    }

    /** Starts a registry with {@code config}; port 0 picks a free port. */
    public static Bollard start(BollardConfig config) throws Exception {
        return start(config, null);
    }

    /**
     * Starts a registry with {@code config}; port 0 picks a free port. {@code adminPassword}, when given, creates the
     * superuser {@code admin} with it if the registry has no user yet (and is ignored once one exists).
     */
    public static Bollard start(BollardConfig config, @Nullable String adminPassword) throws Exception {
        Files.createDirectories(config.dataDir());
        Deque<AutoCloseable> opened = new ArrayDeque<>();
        try {
            Tracing tracing = open(opened, Tracing.of(config.telemetry()));
            Observability observability = open(opened, new Observability(tracing)); // closed after the server
            MeterRegistry meters = observability.registry();
            Database database = open(opened, Database.open(config.database(), meters));
            BlobStore store = open(opened, openStore(config));
            if (config.storage().isS3()) {
                LOG.info("blobs in {}", describeStore(config));
                if (!store.isReachable()) {
                    LOG.warn("S3 bucket {} does not answer (does it exist? endpoint, region, path-style and credentials "
                            + "right?); /readyz answers 503 until it does", config.storage().s3().bucket());
                }
            }
            AuditLog audit = open(opened, new AuditLog(database, config.audit().queueSize()));
            registerAuditMeters(audit, meters);
            if (tracing.enabled()) {
                database.traceStatements(tracing.tracer());
                store = new TracedBlobStore(store, tracing.tracer());
                LOG.info("tracing: exporting spans to {}, sampling {}", config.telemetry().tracingEndpoint(),
                        config.telemetry().sampleRatio());
            }
            // Changes are recorded in the transactions that make them; the audit log appends them soon after each commit.
            // ... and the event feed publishes them at once, for the watch API (docs/events.md).
            EventFeed.Nudge published = new EventFeed.Nudge();
            Outbox changes = new Outbox(() -> {
                audit.nudge();
                published.run();
            });
            Registry registry = new Registry(database, store, config.registry(), config.lifecycle(), changes, meters);
            open(opened, registry.pulls()); // closed after the server stopped: the last pulls counted are flushed
            // One key-encryption key seals every secret at rest (signing keys, webhook secrets, upstream passwords).
            KeyEncryption sealing = KeyEncryption.load(config.auth().keyEncryption());
            // External scanners pull with a token scoped to the image's repository; the issuer exists once auth does.
            AtomicReference<@Nullable Auth> tokenIssuer = new AtomicReference<>();
            java.util.concurrent.atomic.AtomicInteger boundPort = new java.util.concurrent.atomic.AtomicInteger(
                    config.server().port()); // the port server.listen's port 0 was given, once the server listens
            ScannerAdapters adapters = new ScannerAdapters(database, changes, sealing, (subject, repository) -> {
                Auth issuer = tokenIssuer.get();
                return issuer == null ? null : "Bearer " + issuer.pullToken(subject, repository);
            }, () -> adapterRegistryUrl(config, boundPort.get()), config.scan().adapterTimeout());
            ScanResults scans = new ScanResults(database, store, registry, changes, config.scan().sbomReferrers(), meters,
                    adapters);
            if (config.scan().onPush()) {
                PushListener builtIn = scans.queue().onPush();
                PushListener external = adapters.onPush();
                registry.manifests().listen((h, pushed) -> { // one listener: both scanners queue in the push's transaction
                    builtIn.stored(h, pushed);
                    external.stored(h, pushed);
                });
            }
            registry.manifests().gatePulls(scans.policies()); // the vulnerability pull policy (docs/scanning.md)
            EventDelivery events = new EventDelivery(database, changes, config.events(), meters, sealing);
            EventFeed feed = new EventFeed(database, events.publisher(), published, config.events().watchPollInterval(),
                    meters);
            // How long an upstream (of a proxy organization or a mirror) may take to answer: proxy.upstream-timeout.
            Duration upstreamTimeout = config.lifecycle().proxyUpstreamTimeout();
            ProxyOrganizations proxies = new ProxyOrganizations(database, changes, sealing, upstreamTimeout,
                    config.registry().maxManifestBytes());
            proxies.sealAtRest();
            Mirrors mirrors = new Mirrors(database, changes, sealing, upstreamTimeout,
                    config.registry().maxManifestBytes());
            mirrors.sealAtRest();
            ProxyCache proxy = new ProxyCache(proxies, registry, database, config.dataDir().resolve("proxy-spool"),
                    upstreamTimeout, meters);
            ProxyEviction proxyEviction = new ProxyEviction(database, registry,
                    config.lifecycle().proxyEvictionInterval(), config.lifecycle().proxyEvictionRecentlyPulled());

            AccessPolicy policy = AccessPolicy.OPEN;
            Auth auth = null;
            LdapDirectory directory = null;
            UiHandler ui = null;
            OidcSignIn oidc = null;
            SessionAuthenticator sessions = SessionAuthenticator.NONE;
            if (config.auth().enabled()) {
                if (config.auth().ldap().enabled()) {
                    DirectoryTeams bindings = new Identities(database).directoryTeams();
                    directory = open(opened, new LdapDirectory(config.auth().ldap(), bindings::groups));
                }
                Discovery discovery = new Discovery(config.auth().oidc().httpTimeout());
                auth = new Auth(database, config.auth(), sealing, audit, changes,
                        directory == null ? List.of() : List.of(directory),
                        new WorkloadTokenVerifier(discovery, config.auth().oidc().workloadIssuers()));
                // Before the server answers, so that the first administrator exists when the first client comes.
                firstUser(new Identities(database, changes).as(Actor.system("bootstrap")).users(), adminPassword,
                        config);
                policy = auth.policy();
                // The web UI's sign-in and the CLI's device logins (/api/v1/oidc/…) through the same providers.
                oidc = config.auth().oidc().providers().isEmpty() ? null
                        : new OidcSignIn(config.auth().oidc(), discovery, sealing, java.time.Clock.systemUTC());
                tokenIssuer.set(auth);
                if (config.ui().enabled()) {
                    ui = new UiHandler(registry, auth, new WebSessions(database, auth, config.ui().sessionIdleTimeout(),
                            config.ui().sessionMaxAge()), audit, events.webhooks(), scans,
                            new UiHandler.Upstreams(proxies, mirrors, meters), oidc, config.auth().oidc().redirectBase());
                    sessions = ui.sessionAuthenticator(); // the management API accepts the UI's sessions
                }
            } else {
                LOG.warn("auth.enabled is false: anyone who can reach {}:{} may push, pull and delete",
                        config.server().host(), config.server().port());
            }
            ManagementApi api = new ManagementApi(ManagementApi.standardEndpoints(
                    new ApiServices(config, new Identities(database, changes), auth, registry, audit,
                            events.webhooks(), proxies, mirrors, feed, scans, oidc)), policy, sessions);
            BlobStore blobs = store;
            BollardServer http = open(opened, BollardServer.start(config, observability, new BollardServer.Handlers(
                    registry, proxy, mirrors, policy, auth, api, ui, audit, () -> database.isReachable() && blobs.isReachable())));
            boundPort.set(http.baseUri().getPort());
            open(opened, feed); // closed before the server stops, which then need not wait for the watchers' streams

            Workers workers = open(opened, new Workers(database, meters, config.lifecycle().workersMinLease()));
            startWorkers(workers, config, database, store, registry, audit, meters,
                    auth == null ? () -> 0 : auth::pruneLoginFailures);
            events.workers().forEach(workers::start);
            // Closed before the workers: the syncs running here stop (and go on next time) before the database closes.
            MirrorWorker mirrorSyncs = open(opened, new MirrorWorker(mirrors, registry, database, changes,
                    MirrorWorker.POLL, config.lifecycle().mirrorSyncLease()));
            workers.start(mirrorSyncs);
            mirrors.whenDue(mirrorSyncs::wake);
            workers.start(proxyEviction.worker());
            scans.workers(config.scan().pollInterval(), config.scan().rematchInterval()).forEach(workers::start);
            workers.start(adapters.worker(config.scan().pollInterval()));
            if (directory != null) {
                workers.start(new DirectorySyncWorker(directory,
                        new Identities(database, changes).as(Actor.system("directory-sync")).directoryTeams()));
            }
            return new Bollard(opened, database, audit, events, api, http, proxyEviction);
        } catch (Exception | Error e) {
            closeAll(opened);
            throw e;
        }
    }

    /** Where external scanner adapters pull images from: scan.adapters.registry-url, else the listen address. */
    static java.net.URI adapterRegistryUrl(BollardConfig config, int port) {
        if (!config.scan().adapterRegistryUrl().isEmpty()) {
            return java.net.URI.create(config.scan().adapterRegistryUrl());
        }
        String host = config.server().host();
        if (host.isEmpty() || host.equals("0.0.0.0") || host.equals("::") || host.equals("[::]")) {
            host = "localhost";
        } else if (host.contains(":") && !host.startsWith("[")) {
            host = "[" + host + "]";
        }
        return java.net.URI.create((config.server().tls().enabled() ? "https://" : "http://") + host + ":" + port);
    }

    /**
     * With no user, nobody can sign in: creates the superuser admin when a password was given, else says (once per
     * start) how to create the first administrator.
     */
    private static void firstUser(Users users, @Nullable String adminPassword, BollardConfig config) {
        if (!users.isEmpty()) {
            if (adminPassword != null) {
                LOG.info("users exist: the admin password given (BOLLARD_ADMIN_PASSWORD or --admin-password-file) is "
                        + "not used; it only creates the first administrator");
            }
            return;
        }
        if (adminPassword != null) {
            try {
                users.create(FIRST_ADMIN, adminPassword, true);
            } catch (BollardException e) {
                if (e.code() == ErrorCode.CONFLICT && !users.isEmpty()) {
                    // Nodes started together on one database: another one created the first administrator.
                    LOG.info("another node created the first administrator; the admin password given is not used");
                    return;
                }
                throw new BollardException(e.code(), "the admin password (BOLLARD_ADMIN_PASSWORD or "
                        + "--admin-password-file) cannot be used: " + e.getMessage());
            }
            LOG.info("created the superuser {} with the password given (BOLLARD_ADMIN_PASSWORD or "
                    + "--admin-password-file): sign in as {}", FIRST_ADMIN, FIRST_ADMIN);
            return;
        }
        LOG.warn("no users yet, so nobody can sign in. To create the first administrator, start Bollard with "
                + "BOLLARD_ADMIN_PASSWORD set (or --admin-password-file FILE): it creates the superuser {}; or, while "
                + "it runs, run: bollard user create {} --superuser --data {}", FIRST_ADMIN, FIRST_ADMIN, config.dataDir());
    }

    /** Remembers {@code resource} to close, after everything opened later. */
    private static <T extends AutoCloseable> T open(Deque<AutoCloseable> opened, T resource) {
        opened.push(resource);
        return resource;
    }

    private static void registerAuditMeters(AuditLog audit, MeterRegistry meters) {
        FunctionCounter.builder("bollard.audit.dropped", audit, AuditLog::dropped)
                .description("audit events dropped because the write queue was full").register(meters);
        FunctionCounter.builder("bollard.audit.failed", audit, AuditLog::failed)
                .description("audit events the database did not take").register(meters);
        Gauge.builder("bollard.audit.queued", audit, AuditLog::queued)
                .description("audit events waiting for their batched write").register(meters);
    }

    /**
     * The background work: the upload sweep, the audit prune, and the life-cycle jobs, each of these run by one node
     * at a time: the garbage collector, retention followed by a refresh of the quota metrics, and the refresh of the
     * vulnerability data when URLs are configured for it.
     */
    private static void startWorkers(Workers workers, BollardConfig config, Database database, BlobStore store,
                                     Registry registry, AuditLog audit, MeterRegistry meters,
                                     IntSupplier loginFailurePrune) {
        workers.start(new UploadSweepWorker(registry.uploads(), config.uploads().cleanupInterval(),
                config.uploads().expiry()));
        workers.start(new AuditPruneWorker(audit, config.audit().retention(), config.audit().pruneInterval(),
                loginFailurePrune));
        BollardConfig.Lifecycle lifecycle = config.lifecycle();
        if (lifecycle.gcEnabled()) {
            workers.start(new GcWorker(new GarbageCollector(database, store,
                    new GarbageCollector.Settings(lifecycle.gcGracePeriod(), lifecycle.historyWindow()), meters),
                    lifecycle.gcInterval()));
        } else {
            LOG.warn("gc.enabled is false: unreferenced blobs are not reclaimed (run `bollard gc` to reclaim them)");
        }
        workers.start(new RetentionWorker(registry, lifecycle.retentionInterval()));
        workers.start(new PullStatsWorker(registry.pulls(), config.registry().pullStatsFlushInterval()));
        if (!config.scan().vulndbUrls().isEmpty()) {
            workers.start(new VulnDbRefreshWorker(new VulnerabilityStore(database), config.scan().vulndbUrls(),
                    config.scan().vulndbRefreshInterval(), config.dataDir().resolve("tmp")));
        }
    }

    /** The configured blob store; S3 buffers its parts in the uploads directory. */
    public static BlobStore openStore(BollardConfig config) throws IOException {
        if (config.storage().isS3()) {
            return S3BlobStore.open(config.storage().s3(), config.uploads().stagingPath());
        }
        return new FilesystemBlobStore(config.storage().path(), config.uploads().stagingPath());
    }

    /** Where the blobs are, in words: the S3 bucket and its server, or the directory. */
    public static String describeStore(BollardConfig config) {
        if (!config.storage().isS3()) {
            return "directory " + config.storage().path();
        }
        BollardConfig.S3 s3 = config.storage().s3();
        return "S3 bucket " + s3.bucket() + (s3.prefix().isEmpty() ? "" : " under " + s3.prefix()) + " ("
                + (s3.endpoint().isEmpty() ? "AWS, region " + s3.region() : s3.endpoint()) + ")";
    }

    /** The audit log (for tests and administration in the same process). */
    public AuditLog audit() {
        return audit;
    }

    /** The proxy cache's eviction (for tests and administration in the same process). */
    public ProxyEviction proxyEviction() {
        return proxyEviction;
    }

    /** Events and webhooks (for tests and administration in the same process). */
    public EventDelivery events() {
        return events;
    }

    /** The management API's route table. */
    public List<ApiRoute> apiRoutes() {
        return api.routes();
    }

    /** {@code http://host:port} of the running server. */
    public URI baseUri() {
        return http.baseUri();
    }

    /** The metadata database this registry uses (for administration in the same process, e.g. tests). */
    public Database database() {
        return database;
    }

    /** Blocks until the HTTP server stops. */
    public void join() throws InterruptedException {
        http.join();
    }

    /** Stops the workers and the HTTP server, then closes the audit log, the blob store, the database and tracing. */
    @Override
    public synchronized void close() {
        if (opened.isEmpty()) {
            return; // closed already
        }
        LOG.info("stopping: finishing the requests in flight, then the background work");
        closeAll(opened);
        LOG.info("Bollard stopped");
    }

    private static void closeAll(Deque<AutoCloseable> opened) {
        while (!opened.isEmpty()) {
            AutoCloseable resource = opened.pop();
            try {
                resource.close();
            } catch (Exception e) {
                LOG.warn("closing {} failed: {}", resource.getClass().getSimpleName(), e.toString());
            }
        }
    }
}
