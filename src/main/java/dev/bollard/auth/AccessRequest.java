package dev.bollard.auth;

import org.jspecify.annotations.Nullable;

/**
 * One request's need for access: the repository (null for registry-wide actions), the action, the credentials it
 * brought (the raw Authorization header, or null), where it came from, the base URL it was sent to
 * ({@code scheme://host[:port]}, for the token realm of a challenge), the client's User-Agent (for the audit log) and
 * the SHA-256 fingerprint of the client certificate the TLS handshake verified (null without one).
 */
public record AccessRequest(@Nullable String repository, Action action, @Nullable String authorization,
                            String remoteAddress, String baseUrl, @Nullable String userAgent,
                            @Nullable String clientCertificate) {

    public AccessRequest(@Nullable String repository, Action action, @Nullable String authorization,
                         String remoteAddress, String baseUrl, @Nullable String userAgent) {
        this(repository, action, authorization, remoteAddress, baseUrl, userAgent, null);
    }

    public AccessRequest(@Nullable String repository, Action action, @Nullable String authorization,
                         String remoteAddress) {
        this(repository, action, authorization, remoteAddress, "http://localhost", null);
    }

    @Override
    public String toString() { // never print credentials
        return "AccessRequest[" + action + " " + (repository == null ? "registry" : repository) + " from "
                + remoteAddress + "]";
    }
}
