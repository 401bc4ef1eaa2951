package dev.bollard.audit;

/**
 * Where the registry reports what happened that is not a change: sign-ins, tokens issued, pulls (changes are recorded
 * in the outbox, with their transaction, by {@code events.Outbox}). {@link AuditLog} stores both in one
 * tamper-evident chain. Recording never throws to the caller: an action that succeeded is not undone because its
 * audit entry could not be written (that failure is logged and counted instead).
 */
public interface Audit {

    /** Records the event durably before returning (one short transaction). */
    void record(AuditEvent event);

    /**
     * Queues the event for a batched write off the caller's thread, for frequent events on hot paths (pulls). When the
     * queue is full the event is dropped and counted ({@code bollard_audit_dropped_total}).
     */
    void recordAsync(AuditEvent event);

    /** Records nothing: for tools and tests that have no audit log. */
    Audit NONE = new Audit() {
        @Override
        public void record(AuditEvent event) {
        }

        @Override
        public void recordAsync(AuditEvent event) {
        }
    };
}
