package dev.bollard.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Bollard's whole configuration, typed and validated. Built by {@link ConfigLoader} from defaults, an optional
 * YAML file, {@code BOLLARD_*} environment variables and command-line flags, in that order of precedence.
 */
public record BollardConfig(Path dataDir, Server server, Storage storage, Database database, Uploads uploads,
                            Registry registry, Auth auth, Audit audit, Telemetry telemetry,
                            Lifecycle lifecycle, Ui ui, Events events, Scan scan) {

    /**
     * Where the HTTP server listens; a request unanswered after {@code requestWarningAfter} is logged. {@code tls}
     * switched on: the listener speaks TLS (HTTP/2 or HTTP/1.1); off, plain HTTP, which {@link ConfigLoader} allows
     * on a non-loopback address only with {@code allowPlainHttp}.
     */
    public record Server(String host, int port, Duration requestWarningAfter, Tls tls, boolean allowPlainHttp) {
        /** Plain HTTP on {@code host:port}, as the embedded defaults and tests want it. */
        public Server(String host, int port, Duration requestWarningAfter) {
            this(host, port, requestWarningAfter, Tls.OFF, false);
        }

        public boolean isLoopback() {
            return isLoopback(host);
        }

        /** Whether {@code host} names only this machine (clients elsewhere cannot reach a listener on it). */
        public static boolean isLoopback(String host) {
            return host.equals("localhost") || host.startsWith("127.") || host.equals("::1") || host.equals("[::1]");
        }
    }

    /**
     * Native TLS (docs/tls.md): the server's key and certificate chain from PEM files ({@code certificate} and
     * {@code privateKey}) or from a PKCS#12 file ({@code pkcs12}, its password as text or on the first line of
     * {@code pkcs12PasswordFile}); all null: no TLS. The files are checked for changes every {@code reloadInterval}.
     * {@code hstsMaxAge} zero: no Strict-Transport-Security header.
     */
    public record Tls(@Nullable Path certificate, @Nullable Path privateKey, @Nullable Path pkcs12,
                      String pkcs12Password, @Nullable Path pkcs12PasswordFile, Duration reloadInterval,
                      Duration hstsMaxAge, String clientAuth, @Nullable Path clientCa) {
        /** TLS without client certificates. */
        public Tls(@Nullable Path certificate, @Nullable Path privateKey, @Nullable Path pkcs12, String pkcs12Password,
                   @Nullable Path pkcs12PasswordFile, Duration reloadInterval, Duration hstsMaxAge) {
            this(certificate, privateKey, pkcs12, pkcs12Password, pkcs12PasswordFile, reloadInterval, hstsMaxAge,
                    "none", null);
        }

        /** No TLS. */
        public static final Tls OFF = new Tls(null, null, null, "", null, Duration.ofSeconds(10),
                Duration.ofDays(365));

        public boolean enabled() {
            return certificate != null || pkcs12 != null;
        }

        /** The files whose change means new key material: what the reload watches. */
        public List<Path> files() {
            List<Path> files = new ArrayList<>();
            for (Path p : Arrays.asList(certificate, privateKey, pkcs12, pkcs12PasswordFile, clientCa)) {
                if (p != null && !files.contains(p)) {
                    files.add(p);
                }
            }
            return List.copyOf(files);
        }

        @Override
        public String toString() { // never print the password
            return "Tls[" + (pkcs12 != null ? "pkcs12=" + pkcs12 + (pkcs12PasswordFile != null ? ", password file "
                    + pkcs12PasswordFile : "") : "certificate=" + certificate + ", privateKey=" + privateKey)
                    + ", reloadInterval=" + reloadInterval + ", hstsMaxAge=" + hstsMaxAge
                    + (clientAuth.equals("none") ? "" : ", clientAuth=" + clientAuth + ", clientCa=" + clientCa) + "]";
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

    /**
     * The metadata database (H2 embedded by default); a request waits at most {@code connectionTimeout} for a
     * connection, so that an outage answers 503 soon rather than holding every request.
     */
    public record Database(String url, String username, String password, int maxPoolSize, Duration connectionTimeout) {
        /** The default of {@code database.connection-timeout}. */
        public static final Duration DEFAULT_CONNECTION_TIMEOUT = Duration.ofSeconds(10);

        public Database(String url, String username, String password, int maxPoolSize) {
            this(url, username, password, maxPoolSize, DEFAULT_CONNECTION_TIMEOUT);
        }

        @Override
        public String toString() { // never print the password
            return "Database[url=" + url + ", username=" + username + ", maxPoolSize=" + maxPoolSize
                    + ", connectionTimeout=" + connectionTimeout + "]";
        }
    }

    /** Upload sessions: how long an idle one lives and how often expired ones are swept. */
    public record Uploads(Path stagingPath, Duration expiry, Duration cleanupInterval) {
    }

    /**
     * Behaviour of the distribution API. {@code pullStatsFlushInterval}: how often a node adds the pulls it counted in
     * memory to the database's pull counts.
     */
    public record Registry(boolean deleteEnabled, long maxManifestBytes, int maxOpenUploadsPerRepository,
                           Duration pullStatsFlushInterval) {
        public Registry(boolean deleteEnabled, long maxManifestBytes, int maxOpenUploadsPerRepository) {
            this(deleteEnabled, maxManifestBytes, maxOpenUploadsPerRepository, Duration.ofSeconds(30));
        }
    }

    /**
     * Identities and access control. {@code realm} empty: derived from each request's scheme and Host.
     * {@code enabled=false} opens the registry to anyone who can reach it.
     */
    public record Auth(boolean enabled, boolean anonymousPull, String service, String issuer, String realm,
                       Duration tokenExpiry, int maxLoginFailures, int maxLoginFailuresPerAddress, Duration lockout,
                       boolean createOnPush,
                       Duration refreshTokenIdleTimeout, Duration passwordCacheTtl,
                       KeyEncryption keyEncryption, Ldap ldap, Oidc oidc) {
        /** The same settings with access control switched on or off. */
        public Auth withEnabled(boolean on) {
            return new Auth(on, anonymousPull, service, issuer, realm, tokenExpiry, maxLoginFailures,
                    maxLoginFailuresPerAddress, lockout, createOnPush, refreshTokenIdleTimeout, passwordCacheTtl,
                    keyEncryption, ldap, oidc);
        }

        /** The same settings with this directory. */
        public Auth withLdap(Ldap directory) {
            return new Auth(enabled, anonymousPull, service, issuer, realm, tokenExpiry, maxLoginFailures,
                    maxLoginFailuresPerAddress, lockout, createOnPush, refreshTokenIdleTimeout, passwordCacheTtl,
                    keyEncryption, directory, oidc);
        }

        /** The same settings with these OIDC providers and workload-identity issuers. */
        public Auth withOidc(Oidc other) {
            return new Auth(enabled, anonymousPull, service, issuer, realm, tokenExpiry, maxLoginFailures,
                    maxLoginFailuresPerAddress, lockout, createOnPush, refreshTokenIdleTimeout, passwordCacheTtl,
                    keyEncryption, ldap, other);
        }
    }

    /**
     * OIDC ({@code auth.oidc.*}): the providers people sign in to the web UI through, the external URL the providers
     * send browsers back to ({@code redirectBase}, empty: derived from each request's scheme and Host), and the issuers
     * whose ID tokens keyless robots may accept ({@code workloadIssuers}, empty: any https:// issuer).
     */
    public record Oidc(List<OidcProvider> providers, String redirectBase, List<String> workloadIssuers,
                       Duration httpTimeout) {
        public Oidc {
            providers = List.copyOf(providers);
            workloadIssuers = List.copyOf(workloadIssuers);
        }

        /** No providers; keyless robots may trust any https:// issuer. */
        public static final Oidc NONE = new Oidc(List.of(), "", List.of(), Duration.ofSeconds(10));
    }

    /**
     * An OIDC provider ({@code auth.oidc.providers[N].*}): its {@code id} (in URLs, on accounts as
     * {@code oidc:<id>} and in team bindings), the name on the sign-in button, the issuer (discovery at
     * {@code <issuer>/.well-known/openid-configuration}), the client's id and secret, the scopes asked for, which claims
     * hold the user name, e-mail and groups, and the group whose members are superusers (empty: the provider does
     * not decide).
     */
    public record OidcProvider(String id, String displayName, String issuer, String clientId, String clientSecret,
                               List<String> scopes, String usernameClaim, String emailClaim, String groupsClaim,
                               String adminGroup, boolean linkLocalUsers) {
        public OidcProvider {
            scopes = List.copyOf(scopes);
        }

        /** A provider that does not link local users (link-local-users: false, the default). */
        public OidcProvider(String id, String displayName, String issuer, String clientId, String clientSecret,
                            List<String> scopes, String usernameClaim, String emailClaim, String groupsClaim,
                            String adminGroup) {
            this(id, displayName, issuer, clientId, clientSecret, scopes, usernameClaim, emailClaim, groupsClaim,
                    adminGroup, false);
        }

        @Override
        public String toString() { // never print the client secret
            return "OidcProvider[" + id + ", issuer=" + issuer + ", clientId=" + clientId + "]";
        }
    }

    /**
     * An LDAP / Active Directory directory users sign in through ({@code auth.ldap.*}): its servers ({@code urls},
     * {@code ldap://} or {@code ldaps://}, tried in order), the account that searches it ({@code bindDn} and
     * {@code bindPassword}), where and how users are found ({@code userBase}, {@code userFilter} with {@code {0}} for
     * the user name, the {@code uidAttribute} and {@code mailAttribute}), TLS ({@code startTls}, the {@code caFile}
     * of PEM certificates to trust, empty: the JDK's), timeouts, the pool size, who is a superuser
     * ({@code superuserFilter}, {@code adminGroup}), how nested groups are followed ({@code nestedGroups}:
     * {@code recursive} or Active Directory's {@code in-chain} rule), and how often bound teams are synced.
     */
    public record Ldap(boolean enabled, List<String> urls, String bindDn, String bindPassword, String userBase,
                       String userFilter, String uidAttribute, String mailAttribute, boolean startTls, Path caFile,
                       Duration connectTimeout, Duration responseTimeout, int poolSize, String superuserFilter,
                       String adminGroup, String groupMemberAttribute, String nestedGroups, Duration syncInterval) {
        public Ldap {
            urls = List.copyOf(urls);
        }

        /** No directory. */
        public static final Ldap NONE = new Ldap(false, List.of(), "", "", "", "(uid={0})", "uid", "mail", false,
                Path.of(""), Duration.ofSeconds(5), Duration.ofSeconds(10), 4, "", "", "member", "recursive",
                Duration.ofMinutes(15));

        /** True when the directory decides who is a superuser. */
        public boolean decidesSuperusers() {
            return !superuserFilter.isEmpty() || !adminGroup.isEmpty();
        }

        @Override
        public String toString() { // never print the bind password
            return "Ldap[enabled=" + enabled + ", urls=" + urls + ", bindDn=" + bindDn + ", userBase=" + userBase
                    + ", userFilter=" + userFilter + ", startTls=" + startTls + ", caFile=" + caFile + "]";
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

    /**
     * The audit log: how long entries are kept, how many pull events may wait for their batched write, and how often
     * the entries past their retention are pruned.
     */
    public record Audit(Duration retention, int queueSize, Duration pruneInterval) {
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
     * how often retention policies are applied, and the shortest lease of a turn of a worker run by one node at a
     * time ({@code workersMinLease}: how long a node killed in a turn holds up the others); how long an upstream
     * registry of a proxy or mirror may take to answer ({@code proxyUpstreamTimeout}) and a mirror sync's lease
     * ({@code mirrorSyncLease}: how long a node killed mid-sync holds that mirror up).
     */
    public record Lifecycle(boolean gcEnabled, Duration gcInterval, Duration gcGracePeriod, Duration historyWindow,
                            Duration retentionInterval, Duration workersMinLease, Duration proxyEvictionInterval,
                            Duration proxyEvictionRecentlyPulled, Duration proxyUpstreamTimeout,
                            Duration mirrorSyncLease) {
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
                         Duration maxRetry, int disableAfterFailures, boolean allowPrivateTargets,
                         Duration watchPollInterval, Duration watchHeartbeat, Smtp smtp) {
        /**
         * The webhook settings with the watch API's defaults (250 ms between looks for new events, 15 s heartbeats) and
         * no SMTP server.
         */
        public Events(Duration pollInterval, Duration retention, int maxAttempts, Duration firstRetry,
                      Duration maxRetry, int disableAfterFailures, boolean allowPrivateTargets) {
            this(pollInterval, retention, maxAttempts, firstRetry, maxRetry, disableAfterFailures, allowPrivateTargets,
                    Duration.ofMillis(250), Duration.ofSeconds(15), Smtp.OFF);
        }

        /** The same settings with private targets allowed or refused. */
        public Events withPrivateTargets(boolean allowed) {
            return new Events(pollInterval, retention, maxAttempts, firstRetry, maxRetry, disableAfterFailures, allowed,
                    watchPollInterval, watchHeartbeat, smtp);
        }

        /** The same settings with another heartbeat interval of the watch API's streams. */
        public Events withWatchHeartbeat(Duration heartbeat) {
            return new Events(pollInterval, retention, maxAttempts, firstRetry, maxRetry, disableAfterFailures,
                    allowPrivateTargets, watchPollInterval, heartbeat, smtp);
        }

        /** The same settings with another SMTP server. */
        public Events withSmtp(Smtp other) {
            return new Events(pollInterval, retention, maxAttempts, firstRetry, maxRetry, disableAfterFailures,
                    allowPrivateTargets, watchPollInterval, watchHeartbeat, other);
        }
    }

    /**
     * The SMTP server of e-mail notifications ({@code notifications.smtp.*}, docs/events.md): none when {@code host}
     * is empty. {@code security}: {@code starttls} (upgrade a plain connection, required), {@code tls} (TLS from the
     * first byte, port 465) or {@code none}; the server's certificate is checked against {@code caFile} (PEM) when set,
     * else the JDK's trust store, and its name always. {@code username} empty: no AUTH. Events of one webhook within
     * {@code batchWindow} go in one message; {@code subjectTemplate} and {@code bodyTemplate} shape it.
     */
    public record Smtp(String host, int port, String security, String username, String password, String from,
                       Duration timeout, Duration batchWindow, @Nullable Path caFile, String subjectTemplate,
                       String bodyTemplate) {
        public static final String DEFAULT_SUBJECT = "[Bollard] {summary}";
        public static final String DEFAULT_BODY = "{events}\n\n-- \nSent by Bollard for webhook {webhook} ({scope}).\n";
        public static final Smtp OFF = new Smtp("", 587, "starttls", "", "", "", Duration.ofSeconds(10),
                Duration.ofMinutes(1), null, DEFAULT_SUBJECT, DEFAULT_BODY);

        public boolean enabled() {
            return !host.isEmpty();
        }

        @Override
        public String toString() { // never print the password
            return "Smtp[" + host + ":" + port + " " + security + (username.isEmpty() ? "" : " as " + username) + "]";
        }
    }

    /**
     * Vulnerability scanning (docs/scanning.md): the URLs the vulnerability data is refreshed from (OSV zip archives or
     * JSON files; none, the default, for sites fed only by {@code bollard vulndb import}) and how often; whether pushed
     * images are scanned, how often the scan queue is polled and stored results checked against new data, and whether
     * a scan stores its SBOMs as referrers of the image; where external scanner adapters pull images from (empty:
     * derived from the listen address) and how long a request to one may take.
     */
    public record Scan(List<java.net.URI> vulndbUrls, Duration vulndbRefreshInterval, boolean onPush,
                       Duration pollInterval, Duration rematchInterval, boolean sbomReferrers,
                       String adapterRegistryUrl, Duration adapterTimeout) {
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
