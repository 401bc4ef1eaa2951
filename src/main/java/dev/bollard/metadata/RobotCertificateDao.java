package dev.bollard.metadata;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Optional;
import org.jdbi.v3.core.Handle;

/** Client certificates bound to robots ({@code robot_certificate}, V20), by SHA-256 fingerprint. */
public final class RobotCertificateDao {
    private RobotCertificateDao() {
    }

    public record Binding(String fingerprint, long robotId, String subject, Instant notAfter) {
    }

    /** Binds; false when the fingerprint is bound already (to this or another robot). */
    public static boolean insert(Handle h, long robotId, String fingerprint, String subject, Instant notAfter) {
        return h.createUpdate("""
                        INSERT INTO robot_certificate (fingerprint, robot_id, subject, not_after, created_at)
                        VALUES (:fp, :robot, :subject, :notAfter, :now) ON CONFLICT DO NOTHING""")
                .bind("fp", fingerprint).bind("robot", robotId).bind("subject", subject).bind("notAfter", notAfter)
                .bind("now", Instant.now()).execute() > 0;
    }

    public static Optional<Binding> find(Handle h, String fingerprint) {
        return h.createQuery("SELECT fingerprint, robot_id, subject, not_after FROM robot_certificate WHERE fingerprint = :fp")
                .bind("fp", fingerprint).map((rs, ctx) -> new Binding(rs.getString(1), rs.getLong(2), rs.getString(3),
                        rs.getObject(4, OffsetDateTime.class).toInstant())).findOne();
    }

    /** The robot's certificates, in the order they were bound. */
    public static List<Binding> list(Handle h, long robotId) {
        return h.createQuery("""
                        SELECT fingerprint, robot_id, subject, not_after FROM robot_certificate
                        WHERE robot_id = :robot ORDER BY created_at, fingerprint""")
                .bind("robot", robotId).map((rs, ctx) -> new Binding(rs.getString(1), rs.getLong(2), rs.getString(3),
                        rs.getObject(4, OffsetDateTime.class).toInstant())).list();
    }

    public static boolean delete(Handle h, long robotId, String fingerprint) {
        return h.createUpdate("DELETE FROM robot_certificate WHERE robot_id = :robot AND fingerprint = :fp")
                .bind("robot", robotId).bind("fp", fingerprint).execute() > 0;
    }
}
