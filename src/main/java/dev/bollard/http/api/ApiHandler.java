package dev.bollard.http.api;

import java.io.IOException;

/** Serves one route of the management API; the caller's access was decided before it runs. */
@FunctionalInterface
public interface ApiHandler {
    void handle(ApiCall call) throws IOException;
}
