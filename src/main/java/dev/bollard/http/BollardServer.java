package dev.bollard.http;

import dev.bollard.audit.AuditLog;
import dev.bollard.auth.AccessPolicy;
import dev.bollard.auth.Auth;
import dev.bollard.config.BollardConfig;
import dev.bollard.http.api.ManagementApi;
import dev.bollard.http.tls.TlsListener;
import dev.bollard.http.ui.UiHandler;
import dev.bollard.oci.DigestAlgorithm;
import dev.bollard.mirror.Mirrors;
import dev.bollard.proxy.ProxyCache;
import dev.bollard.registry.Registry;
import java.net.URI;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;
import org.eclipse.jetty.http.UriCompliance;
import org.eclipse.jetty.io.ArrayByteBufferPool;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.GracefulHandler;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP server: Jetty with the distribution API, the token endpoint, the management API, the UI, metrics and
 * health checks in front of the use cases it is given. The composition root ({@code dev.bollard.app.Bollard})
 * opens everything behind it.
 */
public final class BollardServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(BollardServer.class);

    /**
     * What the handlers serve: the registry's use cases, the access policy every surface asks, the token endpoint's
     * and the UI's services ({@code auth} and {@code ui} null when switched off), the management API, the audit log
     * and the readiness check behind {@code /readyz}.
     */
    public record Handlers(Registry registry, ProxyCache proxy, Mirrors mirrors, AccessPolicy policy, @Nullable Auth auth,
                           ManagementApi api,
                           @Nullable UiHandler ui,
                           AuditLog audit, BooleanSupplier ready) {
    }

    private final Server jetty;
    private final URI baseUri;
    private final RequestWatchdog watchdog;
    /** Null when this JVM has no periodic collection or the operator chose the heap's free ratios. */
    private final @Nullable IdleMemory idleMemory;
    private final @Nullable TlsListener tls;

    /** Large reads from the socket: fewer system calls per byte of a blob pushed. */
    private static final int INPUT_BUFFER = 128 * 1024;
    /**
     * Connections the kernel may hold for the acceptor (the listen backlog; Linux caps it at net.core.somaxconn).
     * Jetty's default, 0, gives Java's 50: a CI farm connecting hundreds of clients at once overflowed it, the kernel
     * dropped their SYNs, and each retried after 1 s, then 3 s (bench/run's 256-connection load once got no answer
     * in 4 s). Distribution listens with somaxconn.
     */
    static final int ACCEPT_QUEUE = 4096;

    private BollardServer(Server jetty, URI baseUri, RequestWatchdog watchdog, @Nullable TlsListener tls,
                          @Nullable IdleMemory idleMemory) {
        this.idleMemory = idleMemory;
        this.jetty = jetty;
        this.baseUri = baseUri;
        this.watchdog = watchdog;
        this.tls = tls;
    }

    /** Starts serving {@code handlers} on {@code config}'s address; port 0 picks a free port. */
    public static BollardServer start(BollardConfig config, Observability observability, Handlers handlers)
            throws Exception {
        // The pool must hold the largest buffers we ask for (request buffers, blob pieces): Jetty's default
        // pools only up to 64 KiB and allocates anything larger afresh, so direct memory churned until a
        // GC freed it (RSS near 1 GiB and 100 ms pauses under load; docs/benchmarks.md, finding 1).
        ArrayByteBufferPool buffers = new ArrayByteBufferPool(0, -1, BlobDownload.READ_CHUNK);
        Server jetty = new Server(threadPool(), null, buffers);
        HttpConfiguration http = new HttpConfiguration();
        http.setSendServerVersion(false);
        http.setSendXPoweredBy(false);
        // Paths are validated by the routes themselves, so that a name like "../x" gets NAME_INVALID
        // rather than the container's bare 400.
        http.setUriCompliance(UriCompliance.UNSAFE);
        http.setOutputBufferSize(64 * 1024);
        BollardConfig.Server server = config.server();
        // TLS key material is read before anything listens: files that cannot be used stop the start, saying why.
        TlsListener tls = server.tls().enabled() ? TlsListener.open(server.tls()) : null;
        ServerConnector connector;
        if (tls != null) {
            connector = new ServerConnector(jetty, tls.connectionFactories(http, INPUT_BUFFER));
        } else {
            HttpConnectionFactory http1 = new HttpConnectionFactory(http);
            http1.setInputBufferSize(INPUT_BUFFER);
            connector = new ServerConnector(jetty, http1);
        }
        connector.setHost(config.server().host());
        connector.setPort(config.server().port());
        connector.setIdleTimeout(Duration.ofMinutes(5).toMillis());
        connector.setAcceptQueueSize(ACCEPT_QUEUE);
        jetty.addConnector(connector);
        ServerConnector metricsConnector = null;
        if (config.telemetry().hasMetricsListener()) {
            metricsConnector = new ServerConnector(jetty, 1, 1, new HttpConnectionFactory(http));
            metricsConnector.setName(RootHandler.METRICS_CONNECTOR);
            metricsConnector.setHost(config.telemetry().metricsHost());
            metricsConnector.setPort(config.telemetry().metricsPort());
            jetty.addConnector(metricsConnector);
        }
        Auth auth = handlers.auth();
        TokenHandler tokens = auth == null ? null : new TokenHandler(auth);
        // GracefulHandler: on stop, connectors stop accepting and requests in flight may finish (within
        // the stop timeout) before the database closes under them.
        DistributionHandler distribution = new DistributionHandler(handlers.registry(), handlers.proxy(),
                handlers.mirrors(), handlers.policy(), config.registry().maxManifestBytes(), observability, handlers.audit());
        RequestWatchdog watchdog = new RequestWatchdog(config.server().requestWarningAfter(), observability.registry());
        jetty.setHandler(new GracefulHandler(new RootHandler(distribution, tokens, handlers.api(), observability,
                handlers.ready()::getAsBoolean, handlers.ui(), watchdog, handlers.policy())));
        jetty.setErrorHandler(new ContainerErrors());
        jetty.setStopTimeout(Duration.ofSeconds(30).toMillis());
        try {
            jetty.start();
        } catch (Exception e) {
            if (tls != null) {
                tls.close();
            }
            throw e;
        }
        if (tls != null) {
            tls.watch();
        }
        Thread.ofVirtual().name("bollard-warm-up").start(BollardServer::warmUpHashing);

        String host = config.server().host().contains(":") ? "[" + config.server().host() + "]" : config.server().host();
        URI uri = URI.create((tls != null ? "https://" : "http://") + host + ":" + connector.getLocalPort());
        if (tls == null && !server.isLoopback()) {
            // ConfigLoader refuses this address without server.allow-plain-http: the operator chose it.
            LOG.warn("serving plain HTTP on {}, which is not a loopback address (server.allow-plain-http is true): "
                    + "credentials, tokens and images cross the network unencrypted unless a TLS-terminating proxy is "
                    + "in front of Bollard. Set server.tls.certificate and server.tls.private-key to serve TLS "
                    + "(docs/tls.md).", server.host());
        }
        LOG.info("Bollard listening on {} (data in {})", uri, config.dataDir());
        if (metricsConnector != null) {
            LOG.info("metrics, health and readiness without credentials on http://{}:{}/metrics",
                    config.telemetry().metricsHost(), metricsConnector.getLocalPort());
        }
        return new BollardServer(jetty, uri, watchdog, tls, IdleMemory.start(watchdog::served, buffers).orElse(null));
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

    /** {@code http://host:port}, or {@code https://host:port} with TLS, of the running server. */
    public URI baseUri() {
        return baseUri;
    }

    /** Blocks until the server stops. */
    public void join() throws InterruptedException {
        jetty.join();
    }

    /** Stops accepting connections and lets the requests in flight finish (for up to 30 s). */
    @Override
    public void close() {
        try {
            jetty.stop();
        } catch (Exception e) {
            LOG.warn("stopping the HTTP server failed: {}", e.toString());
        }
        watchdog.close();
        if (idleMemory != null) {
            idleMemory.close();
        }
        if (tls != null) {
            tls.close();
        }
    }
}
