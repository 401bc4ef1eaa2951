package dev.bollard.metadata;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.jdbi.v3.core.Handle;

/** Robot accounts: owned by a user or an organization, one token each, stored as a hash. */
public final class RobotDao {
    private RobotDao() {
    }

    public record Robot(long id, long ownerId, String name, String tokenHash) {
        @Override
        public String toString() { // never print the hash
            return "Robot[" + ownerId + "+" + name + "]";
        }
    }

    public static long insert(Handle h, long ownerId, String name, String tokenHash) {
        return h.createUpdate("""
                        INSERT INTO robot (owner_id, name, token_hash, created_at) VALUES (:owner, :name, :hash, :now)""")
                .bind("owner", ownerId).bind("name", name).bind("hash", tokenHash).bind("now", Instant.now())
                .executeAndReturnGeneratedKeys("id").mapTo(Long.class).one();
    }

    public static Optional<Robot> find(Handle h, long ownerId, String name) {
        return h.createQuery("SELECT id, owner_id, name, token_hash FROM robot WHERE owner_id = :owner AND name = :name")
                .bind("owner", ownerId).bind("name", name)
                .map((rs, ctx) -> new Robot(rs.getLong(1), rs.getLong(2), rs.getString(3), rs.getString(4)))
                .findOne();
    }

    public static void setTokenHash(Handle h, long id, String tokenHash) {
        h.createUpdate("UPDATE robot SET token_hash = :hash WHERE id = :id").bind("hash", tokenHash).bind("id", id)
                .execute();
    }

    /** Deletes the robot and its grants. */
    public static boolean delete(Handle h, long id) {
        GrantDao.removeGrantee(h, "robot", id);
        return h.createUpdate("DELETE FROM robot WHERE id = :id").bind("id", id).execute() > 0;
    }

    /** Names (without the owner) of the owner's robots, in order. */
    public static List<String> names(Handle h, long ownerId) {
        return h.createQuery("SELECT name FROM robot WHERE owner_id = :owner ORDER BY name").bind("owner", ownerId)
                .mapTo(String.class).list();
    }

    /** The robot's full name {@code owner+name}. */
    public static Optional<String> fullName(Handle h, long id) {
        return h.createQuery("SELECT a.name || '+' || r.name FROM robot r JOIN account a ON a.id = r.owner_id WHERE r.id = :id")
                .bind("id", id).mapTo(String.class).findOne();
    }
}
