package dev.bollard.auth;

/**
 * A management API request's need for access: the route's {@link Permission} on {@code target}, with the
 * credentials the request brought — the raw Authorization header (Basic, or Bearer with an application token), or a
 * principal a UI session already resolved ({@code session}, null when none) — and where it came from.
 */
public record ApiAccessRequest(Permission permission, String target, String authorization, Principal session,
                               String remoteAddress, String userAgent) {
    @Override
    public String toString() { // never print credentials
        return "ApiAccessRequest[" + permission + " " + target + " from " + remoteAddress + "]";
    }
}
