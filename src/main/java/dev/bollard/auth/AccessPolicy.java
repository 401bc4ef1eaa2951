package dev.bollard.auth;

import dev.bollard.metadata.RepositoryFilter;

/**
 * Decides whether a request may proceed. The HTTP layer asks it exactly once per request, before any work is
 * done; identities, tokens and permissions plug in here.
 */
public interface AccessPolicy {
    AccessDecision decide(AccessRequest request);

    /**
     * The management API's question, asked once per request before the route's handler runs. An {@link
     * AccessDecision.Allow} names the caller ({@link AccessDecision.Allow#caller()}). Without identities (this default)
     * everything is allowed to an anonymous caller.
     */
    default AccessDecision decide(ApiAccessRequest request) {
        return new AccessDecision.Allow("anonymous", RepositoryFilter.ALL, Principal.ANONYMOUS);
    }

    /** Everything allowed: the registry before identities exist. Bind it only to trusted networks. */
    AccessPolicy OPEN = request -> new AccessDecision.Allow("anonymous");
}
