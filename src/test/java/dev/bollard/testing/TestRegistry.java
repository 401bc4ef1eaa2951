package dev.bollard.testing;

import dev.bollard.app.Bollard;
import dev.bollard.auth.Identities;
import dev.bollard.config.BollardConfig;
import java.net.URI;
import java.nio.file.Path;

/**
 * A registry started in this JVM on embedded defaults under a temporary directory, on a free loopback port.
 * <pre>
 * try (TestRegistry r = TestRegistry.start(tempDir)) { r.uri("/v2/") ... }
 * </pre>
 */
public final class TestRegistry implements AutoCloseable {
    private final Bollard server;
    private final Path dataDir;

    private TestRegistry(Bollard server, Path dataDir) {
        this.server = server;
        this.dataDir = dataDir;
    }

    /** A registry without access control (auth.enabled=false): anonymous clients may push. */
    public static TestRegistry start(Path dataDir) throws Exception {
        BollardConfig defaults = BollardConfig.defaults(dataDir, "127.0.0.1", 0);
        return start(defaults.withAuth(defaults.auth().withEnabled(false)));
    }

    /** A registry with {@code config} as it is (access control on unless it sets auth.enabled=false). */
    public static TestRegistry start(BollardConfig config) throws Exception {
        return new TestRegistry(Bollard.start(config), config.dataDir());
    }

    /** A registry with the product's defaults, access control on. */
    public static TestRegistry startWithAuth(Path dataDir) throws Exception {
        return start(BollardConfig.defaults(dataDir, "127.0.0.1", 0));
    }

    /**
     * A registry with access control on, a superuser and an organization owned by it: how the proxy and mirror tests
     * start the registry whose organization pulls from an upstream.
     */
    public static TestRegistry startWithOrganization(Path dataDir, String superuser, String password,
                                                     String organization) throws Exception {
        TestRegistry registry = startWithAuth(dataDir);
        Identities ids = new Identities(registry.server().database());
        ids.users().create(superuser, password, true);
        ids.organizations().create(organization, superuser);
        return registry;
    }

    /** {@code http://127.0.0.1:PORT} */
    public URI baseUri() {
        return server.baseUri();
    }

    /** {@code host:port}, as skopeo and podman want it in image references. */
    public String hostPort() {
        return baseUri().getHost() + ":" + baseUri().getPort();
    }

    public URI uri(String pathAndQuery) {
        return baseUri().resolve(pathAndQuery);
    }

    public Path dataDir() {
        return dataDir;
    }

    public Bollard server() {
        return server;
    }

    @Override
    public void close() {
        server.close();
    }
}
