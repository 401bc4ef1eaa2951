package dev.bollard.auth;

/** The answer of an {@link AccessPolicy}. */
public sealed interface AccessDecision {

    /** Go ahead, as {@code principal} ("anonymous" when none). */
    record Allow(String principal) implements AccessDecision {
    }

    /** Credentials needed or not valid: 401 with this {@code WWW-Authenticate} challenge. */
    record Challenge(String wwwAuthenticate, String message) implements AccessDecision {
    }

    /** Known caller, not allowed: 403. */
    record Deny(String message) implements AccessDecision {
    }
}
