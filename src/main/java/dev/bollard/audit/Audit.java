package dev.bollard.audit;

import java.util.List;

/**
 * Where the registry reports what happened. The domain calls it; {@link AuditLog} stores it as a tamper-evident
 * chain. Recording never throws to the caller: an action that succeeded is not undone because its audit entry
 * could not be written (that failure is logged and counted instead).
 */
public interface Audit {

    /** Records the event durably before returning (one short transaction). */
    void record(AuditEvent event);

    /** Records events that happened together (a push and the tag it set) in one write, in order. */
    default void recordAll(List<AuditEvent> events) {
        events.forEach(this::record);
    }

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
