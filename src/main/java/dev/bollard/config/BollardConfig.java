package dev.bollard.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Bollard's whole configuration, typed and validated. Built by {@link ConfigLoader} from defaults, an optional
 * YAML file, {@code BOLLARD_*} environment variables and command-line flags, in that order of precedence.
 */
public record BollardConfig(Path dataDir, Server server, Storage storage, Database database, Uploads uploads,
                            Registry registry, Auth auth, Audit audit, Telemetry telemetry,
                            Lifecycle lifecycle, Ui ui, Events events, Scan scan) {

    /** Where the HTTP server listens; a request unanswered after {@code requestWarningAfter} is logged. */
    public record Server(String host, int port, Duration requestWarningAfter) {
        public boolean isLoopback() {
            return host.equals("localhost") || host.startsWith("127.") || host.equals("::1") || host.equals("[::1]");
        }
    }

    /** The blob store: {@code filesystem} (under {@code path}) or {@code s3}. */
    public record Storage(String type, Path path, S3 s3) {
        public boolean isS3() {
            return type.equals("s3");
        }
    }

    /**
     * An S3-compatible blob store. {@code endpoint} empty: AWS's endpoint of {@code region}; {@code accessKey} empty:
     * the AWS SDK's default credential chain. {@code prefix} is empty or ends with {@code /}.
     */
    public record S3(String bucket, String prefix, String region, String endpoint, boolean pathStyle, String accessKey,
                     String secretKey, long partSize, int maxConnections, boolean redirect, Duration redirectExpiry) {
        @Override
        public String toString() { // never print the secret key
            return "S3[bucket=" + bucket + ", prefix=" + prefix + ", region=" + region + ", endpoint=" + endpoint
                    + ", pathStyle=" + pathStyle + ", accessKey=" + accessKey + ", partSize=" + partSize
                    + ", maxConnections=" + maxConnections + ", redirect=" + redirect + ", redirectExpiry="
                    + redirectExpiry + "]";
        }
    }

    /** The metadata database (H2 embedded by default). */
    public record Database(String url, String username, String password, int maxPoolSize) {
        @Override
        public String toString() { // never print the password
            return "Database[url=" + url + ", username=" + username + ", maxPoolSize=" + maxPoolSize + "]";
        }
    }

    /** Upload sessions: how long an idle one lives and how often expired ones are swept. */
    public record Uploads(Path stagingPath, Duration expiry, Duration cleanupInterval) {
    }

    /** Behaviour of the distribution API. */
    public record Registry(boolean deleteEnabled, long maxManifestBytes, int maxOpenUploadsPerRepository) {
    }

    /**
     * Identities and access control. {@code realm} empty: derived from each request's scheme and Host.
     * {@code enabled=false} opens the registry to anyone who can reach it.
     */
    public record Auth(boolean enabled, boolean anonymousPull, String service, String issuer, String realm,
                       Duration tokenExpiry, int maxLoginFailures, Duration lockout, boolean createOnPush,
                       Duration refreshTokenIdleTimeout, Duration passwordCacheTtl,
                       KeyEncryption keyEncryption) {
        /** The same settings with access control switched on or off. */
        public Auth withEnabled(boolean on) {
            return new Auth(on, anonymousPull, service, issuer, realm, tokenExpiry, maxLoginFailures, lockout,
                    createOnPush, refreshTokenIdleTimeout, passwordCacheTtl, keyEncryption);
        }
    }

    /**
     * Where the key-encryption key that seals the token signing keys in the database comes from: {@code key} (base64
     * of 32 bytes) when set, else the file, which is created when it is the default one and absent.
     * {@code previousFiles} hold keys that may still have sealed some rows (a rotation in progress).
     */
    public record KeyEncryption(String key, Path file, boolean createFile, List<Path> previousFiles) {
        public KeyEncryption {
            previousFiles = List.copyOf(previousFiles);
        }

        @Override
        public String toString() { // never print the key
            return "KeyEncryption[" + (key.isEmpty() ? "file " + file : "key from configuration")
                    + ", previous " + previousFiles + "]";
        }
    }

    /** The audit log: how long entries are kept, and how many pull events may wait for their batched write. */
    public record Audit(Duration retention, int queueSize) {
    }

    /**
     * Logs and traces: {@code logFormat} {@code text} or {@code json}; traces exported over OTLP/HTTP to
     * {@code tracingEndpoint} when {@code tracingEnabled}, a {@code sampleRatio} share of them. {@code metricsPort}
     * of -1: no separate metrics listener ({@code /metrics} on the main port, for superusers only).
     */
    public record Telemetry(String logFormat, boolean tracingEnabled, String tracingEndpoint, double sampleRatio,
                            String metricsHost, int metricsPort) {
        public boolean hasMetricsListener() {
            return metricsPort >= 0;
        }
    }

    /**
     * The image life cycle: the online garbage collector ({@code gcEnabled}, every {@code gcInterval}, leaving
     * unreferenced manifests, links and blobs alone for {@code gcGracePeriod}), the time machine's default window,
     * and how often retention policies are applied.
     */
    public record Lifecycle(boolean gcEnabled, Duration gcInterval, Duration gcGracePeriod, Duration historyWindow,
                            Duration retentionInterval) {
    }

    /**
     * The web UI at {@code /}: on or off, and how long a sign-in lasts (idle, and at most). It needs access control
     * ({@code auth.enabled}); without it there is nobody to sign in.
     */
    public record Ui(boolean enabled, Duration sessionIdleTimeout, Duration sessionMaxAge) {
    }

    /**
     * Events and webhooks (docs/events.md): how often new changes are published and deliveries looked for, how long
     * events and the delivery log are kept, and the webhooks' delivery policy — attempts per event, the back-off
     * between them, the failed attempts in a row that disable a webhook, and whether targets on loopback, link-local
     * and private addresses are allowed (the SSRF guard; off by default).
     */
    public record Events(Duration pollInterval, Duration retention, int maxAttempts, Duration firstRetry,
                         Duration maxRetry, int disableAfterFailures, boolean allowPrivateTargets) {
        /** The same settings with private targets allowed or refused. */
        public Events withPrivateTargets(boolean allowed) {
            return new Events(pollInterval, retention, maxAttempts, firstRetry, maxRetry, disableAfterFailures, allowed);
        }
    }

    /**
     * Vulnerability scanning (docs/scanning.md): the URLs the vulnerability data is refreshed from (OSV zip archives or
     * JSON files; none, the default, for sites fed only by {@code bollard vulndb import}) and how often.
     */
    public record Scan(List<java.net.URI> vulndbUrls, Duration vulndbRefreshInterval) {
        public Scan {
            vulndbUrls = List.copyOf(vulndbUrls);
        }
    }

    /** This configuration with other auth settings. */
    public BollardConfig withAuth(Auth other) {
        return new BollardConfig(dataDir, server, storage, database, uploads, registry, other, audit, telemetry,
                lifecycle, ui, events, scan);
    }

    /** This configuration with other audit settings. */
    public BollardConfig withAudit(Audit other) {
        return new BollardConfig(dataDir, server, storage, database, uploads, registry, auth, other, telemetry,
                lifecycle, ui, events, scan);
    }

    /** This configuration with other web UI settings. */
    public BollardConfig withUi(Ui other) {
        return new BollardConfig(dataDir, server, storage, database, uploads, registry, auth, audit, telemetry,
                lifecycle, other, events, scan);
    }

    /** This configuration with other event settings. */
    public BollardConfig withEvents(Events other) {
        return new BollardConfig(dataDir, server, storage, database, uploads, registry, auth, audit, telemetry,
                lifecycle, ui, other, scan);
    }

    /** The embedded defaults with all data under {@code dataDir}, listening on {@code host:port}. */
    public static BollardConfig defaults(Path dataDir, String host, int port) {
        String listenHost = host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
        return ConfigLoader.builder().set("data-dir", dataDir.toString())
                .set("server.listen", listenHost + ":" + port).load();
    }
}
