package dev.bollard.metadata;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.jdbi.v3.core.Handle;
import org.jspecify.annotations.Nullable;

/** Users and organizations (one table: their names share the namespace space) and organization membership. */
public final class AccountDao {
    private AccountDao() {
    }

    /** A user ({@code kind = "user"}) or an organization ({@code "org"}); passwordHash is null for organizations. */
    public record Account(long id, String name, String kind, @Nullable String passwordHash, boolean superuser) {
        public boolean isUser() {
            return kind.equals("user");
        }

        @Override
        public String toString() { // never print the hash
            return "Account[" + kind + " " + name + (superuser ? ", superuser" : "") + "]";
        }
    }

    private static final String COLUMNS = "id, name, kind, password_hash, superuser";

    public static long insert(Handle h, String name, String kind, @Nullable String passwordHash, boolean superuser) {
        return h.createUpdate("""
                        INSERT INTO account (name, kind, password_hash, superuser, created_at)
                        VALUES (:name, :kind, :hash, :superuser, :now)""")
                .bind("name", name).bind("kind", kind).bind("hash", passwordHash).bind("superuser", superuser)
                .bind("now", Instant.now())
                .executeAndReturnGeneratedKeys("id").mapTo(Long.class).one();
    }

    public static Optional<Account> find(Handle h, String name) {
        return h.createQuery("SELECT " + COLUMNS + " FROM account WHERE name = :name").bind("name", name)
                .map((rs, ctx) -> new Account(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4),
                        rs.getBoolean(5)))
                .findOne();
    }

    public static Optional<Account> findById(Handle h, long id) {
        return h.createQuery("SELECT " + COLUMNS + " FROM account WHERE id = :id").bind("id", id)
                .map((rs, ctx) -> new Account(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4),
                        rs.getBoolean(5)))
                .findOne();
    }

    public static void setPassword(Handle h, long id, String passwordHash) {
        h.createUpdate("UPDATE account SET password_hash = :hash WHERE id = :id")
                .bind("hash", passwordHash).bind("id", id).execute();
    }

    public static void setSuperuser(Handle h, long id, boolean superuser) {
        h.createUpdate("UPDATE account SET superuser = :s WHERE id = :id").bind("s", superuser).bind("id", id).execute();
    }

    /** Makes the user a member of the organization with {@code role}, replacing an earlier role. */
    public static void putMember(Handle h, long orgId, long userId, String role) {
        h.createUpdate("DELETE FROM org_member WHERE org_id = :org AND user_id = :user")
                .bind("org", orgId).bind("user", userId).execute();
        h.createUpdate("INSERT INTO org_member (org_id, user_id, role) VALUES (:org, :user, :role)")
                .bind("org", orgId).bind("user", userId).bind("role", role).execute();
    }

    public static Optional<String> memberRole(Handle h, long orgId, long userId) {
        return h.createQuery("SELECT role FROM org_member WHERE org_id = :org AND user_id = :user")
                .bind("org", orgId).bind("user", userId).mapTo(String.class).findOne();
    }

    /** Names of all accounts of {@code kind}, in order. */
    public static List<String> names(Handle h, String kind) {
        return h.createQuery("SELECT name FROM account WHERE kind = :kind ORDER BY name").bind("kind", kind)
                .mapTo(String.class).list();
    }

    /** Accounts of {@code kind} after {@code after} in name order, at most {@code limit}. */
    public static List<Account> list(Handle h, String kind, @Nullable String after, int limit) {
        return h.createQuery("SELECT " + COLUMNS + " FROM account WHERE kind = :kind AND name > :after ORDER BY name LIMIT :limit")
                .bind("kind", kind).bind("after", after == null ? "" : after).bind("limit", limit)
                .map((rs, ctx) -> new Account(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4),
                        rs.getBoolean(5)))
                .list();
    }

    /** Organizations the user is a member of, after {@code after} in name order, at most {@code limit}. */
    public static List<Account> organizationsOf(Handle h, long userId, @Nullable String after, int limit) {
        return h.createQuery("SELECT a.id, a.name, a.kind, a.password_hash, a.superuser FROM account a "
                        + "JOIN org_member om ON om.org_id = a.id WHERE om.user_id = :user AND a.name > :after "
                        + "ORDER BY a.name LIMIT :limit")
                .bind("user", userId).bind("after", after == null ? "" : after).bind("limit", limit)
                .map((rs, ctx) -> new Account(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4),
                        rs.getBoolean(5)))
                .list();
    }

    /** A member of an organization with their role. */
    public record Member(String name, String role) {
    }

    public static List<Member> members(Handle h, long orgId, @Nullable String after, int limit) {
        return h.createQuery("""
                        SELECT a.name, om.role FROM org_member om JOIN account a ON a.id = om.user_id
                        WHERE om.org_id = :org AND a.name > :after ORDER BY a.name LIMIT :limit""")
                .bind("org", orgId).bind("after", after == null ? "" : after).bind("limit", limit)
                .map((rs, ctx) -> new Member(rs.getString(1), rs.getString(2))).list();
    }

    public static int countRole(Handle h, long orgId, String role) {
        return h.createQuery("SELECT COUNT(*) FROM org_member WHERE org_id = :org AND role = :role")
                .bind("org", orgId).bind("role", role).mapTo(Integer.class).one();
    }

    /** Removes the user from the organization and from its teams. */
    public static boolean removeMember(Handle h, long orgId, long userId) {
        h.createUpdate("DELETE FROM team_member WHERE user_id = :user AND team_id IN (SELECT id FROM team WHERE org_id = :org)")
                .bind("org", orgId).bind("user", userId).execute();
        return h.createUpdate("DELETE FROM org_member WHERE org_id = :org AND user_id = :user")
                .bind("org", orgId).bind("user", userId).execute() > 0;
    }

    /**
     * Deletes the account with what hangs on it (memberships, tokens, teams, robots) and every grant to it or to
     * its robots and teams.
     */
    public static boolean delete(Handle h, long id) {
        for (Long robot : h.createQuery("SELECT id FROM robot WHERE owner_id = :id").bind("id", id).mapTo(Long.class).list()) {
            GrantDao.removeGrantee(h, "robot", robot);
        }
        for (Long team : h.createQuery("SELECT id FROM team WHERE org_id = :id").bind("id", id).mapTo(Long.class).list()) {
            GrantDao.removeGrantee(h, "team", team);
        }
        GrantDao.removeGrantee(h, "user", id);
        return h.createUpdate("DELETE FROM account WHERE id = :id").bind("id", id).execute() > 0;
    }
}
