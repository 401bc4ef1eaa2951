package dev.bollard.auth;

import org.jspecify.annotations.Nullable;

/**
 * A management API request's need for access: the route's {@link Permission} on {@code target}, with the
 * credentials the request brought — the raw Authorization header (Basic, or Bearer with an application token), or a
 * principal a UI session already resolved ({@code session}, null when none) — and where it came from.
 */
public record ApiAccessRequest(Permission permission, @Nullable String target, @Nullable String authorization,
                               @Nullable Principal session, String remoteAddress, @Nullable String userAgent) {
    @Override
    public String toString() { // never print credentials
        return "ApiAccessRequest[" + permission + " " + target + " from " + remoteAddress + "]";
    }
}
