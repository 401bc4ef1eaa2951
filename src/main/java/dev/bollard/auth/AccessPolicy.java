package dev.bollard.auth;

/**
 * Decides whether a request may proceed. The HTTP layer asks it exactly once per request, before any work is
 * done; identities, tokens and permissions plug in here.
 */
public interface AccessPolicy {
    AccessDecision decide(AccessRequest request);

    /** Everything allowed: the registry before identities exist. Bind it only to trusted networks. */
    AccessPolicy OPEN = request -> new AccessDecision.Allow("anonymous");
}
