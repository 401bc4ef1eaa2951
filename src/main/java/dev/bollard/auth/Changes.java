package dev.bollard.auth;

import dev.bollard.audit.Actor;
import dev.bollard.audit.AuditEvent;
import dev.bollard.events.Outbox;
import java.util.Map;
import org.jdbi.v3.core.Handle;
import org.jspecify.annotations.Nullable;

/**
 * Where administration records what it changes: in the outbox, with the caller's transaction, as made by
 * {@code actor}. {@link Identities} holds one per actor and hands it to every aggregate it gives out.
 */
record Changes(Outbox outbox, Actor actor) {

    /** The same outbox, with the changes recorded as made by {@code who}. */
    Changes as(Actor who) {
        return new Changes(outbox, who);
    }

    /** A change to a namespace (a user or an organization), or to the registry as a whole when null. */
    void onNamespace(Handle h, @Nullable String namespace, String action, Map<String, ?> details) {
        outbox.record(h, AuditEvent.onNamespace(actor, action, namespace, details));
    }

    void onRepository(Handle h, String repository, String action, Map<String, ?> details) {
        outbox.record(h, AuditEvent.onRepository(actor, action, repository, details));
    }
}
