package dev.bollard.metadata;

import java.time.Instant;
import java.util.List;
import org.jdbi.v3.core.Handle;

/**
 * The trust rules of keyless robots ({@code robot_trust}): which external issuer's ID tokens a robot accepts, for
 * which audience, subject and further claims ({@code claims}: a JSON object of claim name to required value).
 */
public final class RobotTrustDao {
    private RobotTrustDao() {
    }

    public record Rule(long id, long robotId, String issuer, String subject, String audience, String claimsJson) {
    }

    public static long insert(Handle h, long robotId, String issuer, String subject, String audience, String claimsJson) {
        return h.createUpdate("""
                        INSERT INTO robot_trust (robot_id, issuer, subject, audience, claims, created_at)
                        VALUES (:robot, :issuer, :subject, :audience, :claims, :now)""")
                .bind("robot", robotId).bind("issuer", issuer).bind("subject", subject).bind("audience", audience)
                .bind("claims", claimsJson).bind("now", Instant.now())
                .executeAndReturnGeneratedKeys("id").mapTo(Long.class).one();
    }

    /** The robot's rules, oldest first. */
    public static List<Rule> rules(Handle h, long robotId) {
        return h.createQuery("SELECT id, robot_id, issuer, subject, audience, claims FROM robot_trust "
                        + "WHERE robot_id = :robot ORDER BY id").bind("robot", robotId)
                .map((rs, ctx) -> new Rule(rs.getLong(1), rs.getLong(2), rs.getString(3), rs.getString(4),
                        rs.getString(5), rs.getString(6))).list();
    }

    public static boolean delete(Handle h, long robotId, long id) {
        return h.createUpdate("DELETE FROM robot_trust WHERE robot_id = :robot AND id = :id").bind("robot", robotId)
                .bind("id", id).execute() > 0;
    }
}
