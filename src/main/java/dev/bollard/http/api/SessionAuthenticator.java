package dev.bollard.http.api;

import dev.bollard.auth.Principal;
import dev.bollard.http.Exchange;
import java.util.Optional;

/**
 * Resolves the caller of a management API request from a web UI session (its cookie), for requests that carry no
 * Authorization header. The web UI implements it. An implementation must refuse (return empty) a state-changing
 * request (POST, PUT, PATCH, DELETE) that lacks its proof against cross-site request forgery.
 */
@FunctionalInterface
public interface SessionAuthenticator {
    Optional<Principal> authenticate(Exchange exchange);

    /** No UI sessions: only Authorization headers authenticate. */
    SessionAuthenticator NONE = exchange -> Optional.empty();
}
