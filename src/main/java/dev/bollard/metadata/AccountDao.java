package dev.bollard.metadata;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.jdbi.v3.core.Handle;

/** Users and organizations (one table: their names share the namespace space) and organization membership. */
public final class AccountDao {
    private AccountDao() {
    }

    /** A user ({@code kind = "user"}) or an organization ({@code "org"}); passwordHash is null for organizations. */
    public record Account(long id, String name, String kind, String passwordHash, boolean superuser) {
        public boolean isUser() {
            return kind.equals("user");
        }

        @Override
        public String toString() { // never print the hash
            return "Account[" + kind + " " + name + (superuser ? ", superuser" : "") + "]";
        }
    }

    private static final String COLUMNS = "id, name, kind, password_hash, superuser";

    public static long insert(Handle h, String name, String kind, String passwordHash, boolean superuser) {
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

    /** A user in an organization with a role. */
    public record Member(String user, String role) {
    }

    /** The members of an organization: owners first, then admins, then members, each by name. */
    public static List<Member> members(Handle h, long orgId) {
        return h.createQuery("""
                        SELECT a.name, om.role FROM org_member om JOIN account a ON a.id = om.user_id
                        WHERE om.org_id = :org
                        ORDER BY CASE om.role WHEN 'owner' THEN 0 WHEN 'admin' THEN 1 ELSE 2 END, a.name""")
                .bind("org", orgId).map((rs, ctx) -> new Member(rs.getString(1), rs.getString(2))).list();
    }

    public static boolean removeMember(Handle h, long orgId, long userId) {
        return h.createUpdate("DELETE FROM org_member WHERE org_id = :org AND user_id = :user")
                .bind("org", orgId).bind("user", userId).execute() > 0;
    }

    /** An organization a user belongs to, with the user's role in it. */
    public record Membership(String organization, String role) {
    }

    /** The organizations the user is a member of, by name. */
    public static List<Membership> memberships(Handle h, long userId) {
        return h.createQuery("""
                        SELECT o.name, om.role FROM org_member om JOIN account o ON o.id = om.org_id
                        WHERE om.user_id = :user ORDER BY o.name""")
                .bind("user", userId).map((rs, ctx) -> new Membership(rs.getString(1), rs.getString(2))).list();
    }

    /** Every account of {@code kind} with its superuser flag, by name. */
    public static List<Account> list(Handle h, String kind) {
        return h.createQuery("SELECT " + COLUMNS + " FROM account WHERE kind = :kind ORDER BY name").bind("kind", kind)
                .map((rs, ctx) -> new Account(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4),
                        rs.getBoolean(5)))
                .list();
    }
}
