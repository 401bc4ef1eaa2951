package dev.bollard.testing;

import dev.bollard.config.BollardConfig;
import dev.bollard.http.BollardServer;
import java.net.URI;
import java.nio.file.Path;

/**
 * A registry started in this JVM on embedded defaults under a temporary directory, on a free loopback port.
 * <pre>
 * try (TestRegistry r = TestRegistry.start(tempDir)) { r.uri("/v2/") ... }
 * </pre>
 */
public final class TestRegistry implements AutoCloseable {
    private final BollardServer server;
    private final Path dataDir;

    private TestRegistry(BollardServer server, Path dataDir) {
        this.server = server;
        this.dataDir = dataDir;
    }

    public static TestRegistry start(Path dataDir) throws Exception {
        return start(BollardConfig.defaults(dataDir, "127.0.0.1", 0));
    }

    public static TestRegistry start(BollardConfig config) throws Exception {
        return new TestRegistry(BollardServer.start(config), config.dataDir());
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

    public BollardServer server() {
        return server;
    }

    @Override
    public void close() {
        server.close();
    }
}
