package dev.bollard.config;

import java.nio.file.Path;
import java.time.Duration;

/**
 * Bollard's whole configuration, typed and validated. Built by {@link ConfigLoader} from defaults, an optional
 * YAML file, {@code BOLLARD_*} environment variables and command-line flags, in that order of precedence.
 */
public record BollardConfig(Path dataDir, Server server, Storage storage, Database database, Uploads uploads,
                            Registry registry, Auth auth, Audit audit, Lifecycle lifecycle) {

    /** Where the HTTP server listens. */
    public record Server(String host, int port) {
        public boolean isLoopback() {
            return host.equals("localhost") || host.startsWith("127.") || host.equals("::1") || host.equals("[::1]");
        }
    }

    /** The blob store: only {@code filesystem} for now. */
    public record Storage(String type, Path path) {
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
    public record Registry(boolean deleteEnabled, long maxManifestBytes) {
    }

    /**
     * Identities and access control. {@code realm} empty: derived from each request's scheme and Host.
     * {@code enabled=false} opens the registry to anyone who can reach it.
     */
    public record Auth(boolean enabled, boolean anonymousPull, String service, String issuer, String realm,
                       Duration tokenExpiry, int maxLoginFailures, Duration lockout, boolean createOnPush) {
        /** The same settings with access control switched on or off. */
        public Auth withEnabled(boolean on) {
            return new Auth(on, anonymousPull, service, issuer, realm, tokenExpiry, maxLoginFailures, lockout,
                    createOnPush);
        }
    }

    /** The audit log: how long entries are kept, and how many pull events may wait for their batched write. */
    public record Audit(Duration retention, int queueSize) {
    }

    /**
     * The image life cycle: the online garbage collector ({@code gcEnabled}, every {@code gcInterval}, leaving
     * unreferenced manifests, links and blobs alone for {@code gcGracePeriod}), the time machine's default window,
     * and how often retention policies are applied.
     */
    public record Lifecycle(boolean gcEnabled, Duration gcInterval, Duration gcGracePeriod, Duration historyWindow,
                            Duration retentionInterval) {
    }

    /** This configuration with other auth settings. */
    public BollardConfig withAuth(Auth other) {
        return new BollardConfig(dataDir, server, storage, database, uploads, registry, other, audit, lifecycle);
    }

    /** This configuration with other audit settings. */
    public BollardConfig withAudit(Audit other) {
        return new BollardConfig(dataDir, server, storage, database, uploads, registry, auth, other, lifecycle);
    }

    /** The embedded defaults with all data under {@code dataDir}, listening on {@code host:port}. */
    public static BollardConfig defaults(Path dataDir, String host, int port) {
        String listenHost = host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
        return ConfigLoader.builder().set("data-dir", dataDir.toString())
                .set("server.listen", listenHost + ":" + port).load();
    }
}
