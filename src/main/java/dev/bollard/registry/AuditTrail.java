package dev.bollard.registry;

import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where the life-cycle use cases record what they changed (restores, policy changes, deletions by retention):
 * who, what, on which repository or namespace, with details. {@link #LOG} writes one line per event to the
 * {@code bollard.audit} logger.
 */
@FunctionalInterface
public interface AuditTrail {

    void record(String actor, String action, String target, Map<String, Object> details);

    /** Writes each event to the {@code bollard.audit} logger. */
    AuditTrail LOG = new AuditTrail() {
        private final Logger log = LoggerFactory.getLogger("bollard.audit");

        @Override
        public void record(String actor, String action, String target, Map<String, Object> details) {
            log.info("actor={} action={} target={} details={}", actor, action, target, details);
        }
    };
}
