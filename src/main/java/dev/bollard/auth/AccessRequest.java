package dev.bollard.auth;

/**
 * One request's need for access: the repository (null for registry-wide actions), the action, the credentials it
 * brought (the raw Authorization header, or null), where it came from, the base URL it was sent to
 * ({@code scheme://host[:port]}, for the token realm of a challenge) and the client's User-Agent (for the audit log).
 */
public record AccessRequest(String repository, Action action, String authorization, String remoteAddress,
                            String baseUrl, String userAgent) {

    public AccessRequest(String repository, Action action, String authorization, String remoteAddress) {
        this(repository, action, authorization, remoteAddress, "http://localhost", null);
    }

    @Override
    public String toString() { // never print credentials
        return "AccessRequest[" + action + " " + (repository == null ? "registry" : repository) + " from "
                + remoteAddress + "]";
    }
}
