package dev.bollard.registry;

import dev.bollard.audit.Actor;
import dev.bollard.oci.RepositoryName;

/**
 * What may refuse a pull of a stored manifest after access control allowed it: the vulnerability pull policy
 * ({@code dev.bollard.scan.policy}), which the registry does not know. Asked on every manifest {@code GET} and
 * {@code HEAD}, so an implementation must answer from memory when nothing can refuse.
 */
@FunctionalInterface
public interface PullGate {
    /** Refuses nothing. */
    PullGate OPEN = (repository, manifest, actor) -> { };

    /** Throws the spec's {@code DENIED} (a {@code BollardException}) when {@code actor} may not pull {@code manifest}. */
    void check(RepositoryName repository, StoredManifest manifest, Actor actor);
}
