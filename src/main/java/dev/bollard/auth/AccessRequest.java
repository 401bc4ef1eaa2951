package dev.bollard.auth;

/**
 * One request's need for access: the repository (null for registry-wide actions), the action, the credentials it
 * brought (the raw Authorization header, or null) and where it came from.
 */
public record AccessRequest(String repository, Action action, String authorization, String remoteAddress) {
    @Override
    public String toString() { // never print credentials
        return "AccessRequest[" + action + " " + (repository == null ? "registry" : repository) + " from "
                + remoteAddress + "]";
    }
}
