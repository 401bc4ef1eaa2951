package dev.bollard.http;

import dev.bollard.config.BollardConfig;
import java.net.URI;

/** A running Bollard: the HTTP server and everything behind it. Stub until the implementation lands. */
public final class BollardServer implements AutoCloseable {
    private BollardServer() {
    }

    /** Starts a registry with {@code config}; port 0 picks a free port. */
    public static BollardServer start(BollardConfig config) throws Exception {
        throw new UnsupportedOperationException("not yet");
    }

    /** {@code http://host:port} of the running server. */
    public URI baseUri() {
        throw new UnsupportedOperationException("not yet");
    }

    @Override
    public void close() {
    }
}
