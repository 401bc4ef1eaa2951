package dev.bollard.auth;

import dev.bollard.metadata.RepositoryFilter;
import org.jspecify.annotations.Nullable;

/** The answer of an {@link AccessPolicy}. */
public sealed interface AccessDecision {

    /**
     * Go ahead, as {@code principal} ("anonymous" when none), who may see the repositories {@code visible} lets
     * through (the catalog's filter); {@code caller} is who that is, when the policy resolved it (null otherwise).
     */
    record Allow(String principal, RepositoryFilter visible, @Nullable Principal caller) implements AccessDecision {
        public Allow(String principal) {
            this(principal, RepositoryFilter.ALL);
        }

        public Allow(String principal, RepositoryFilter visible) {
            this(principal, visible, null);
        }
    }

    /** Credentials needed or not valid: 401 with this {@code WWW-Authenticate} challenge. */
    record Challenge(String wwwAuthenticate, @Nullable String message) implements AccessDecision {
    }

    /** Known caller, not allowed: 403. */
    record Deny(String message) implements AccessDecision {
    }

    /** Too many failed logins of this user from this address: 429, try again after {@code retryAfterSeconds}. */
    record Throttled(String message, long retryAfterSeconds) implements AccessDecision {
    }
}
