package dev.bollard.metadata;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.mapper.RowMapper;
import org.jspecify.annotations.Nullable;

/**
 * What the directory (LDAP) adds to accounts and teams: where a user signs in ({@code account.source}) with their
 * entry and e-mail, and the teams bound to directory groups ({@code team_directory_group}).
 */
public final class DirectoryDao {
    private DirectoryDao() {
    }

    /** A team bound to a directory group, with its organization's and its own name. */
    public record Binding(long teamId, long orgId, String organization, String team, String groupDn,
                          String memberAttribute) {
    }

    /** A user who signs in through the directory. */
    public record DirectoryUser(long id, String name, boolean superuser) {
    }

    /** {@code local} or {@code ldap}; empty when there is no such user. */
    public static Optional<String> source(Handle h, long accountId) {
        return h.createQuery("SELECT source FROM account WHERE id = :id").bind("id", accountId).mapTo(String.class)
                .findOne();
    }

    /** Marks the user as signing in through the directory, with their entry and e-mail as last seen. */
    public static void linkToDirectory(Handle h, long accountId, String source, String dn, @Nullable String email) {
        h.createUpdate("UPDATE account SET source = :source, directory_dn = :dn, email = :email WHERE id = :id")
                .bind("source", source).bind("dn", dn).bind("email", email).bind("id", accountId).execute();
    }

    /** The e-mail address of user {@code name} (as the directory last gave it); empty when none is known. */
    public static Optional<String> email(Handle h, String name) {
        return h.createQuery("SELECT email FROM account WHERE name = :name AND kind = 'user' AND email IS NOT NULL")
                .bind("name", name).mapTo(String.class).findOne().filter(e -> !e.isBlank());
    }

    /** Removes a local password (a user linked to the directory signs in there only). */
    public static void clearPassword(Handle h, long accountId) {
        h.createUpdate("UPDATE account SET password_hash = NULL WHERE id = :id").bind("id", accountId).execute();
    }

    /** The users of {@code source}, in name order. */
    public static List<DirectoryUser> users(Handle h, String source) {
        return h.createQuery("SELECT id, name, superuser FROM account WHERE kind = 'user' AND source = :source ORDER BY name")
                .bind("source", source)
                .map((rs, ctx) -> new DirectoryUser(rs.getLong(1), rs.getString(2), rs.getBoolean(3))).list();
    }

    /** Binds the team to a group, replacing an earlier binding. */
    public static void bind(Handle h, long teamId, String groupDn, String memberAttribute) {
        h.createUpdate("DELETE FROM team_directory_group WHERE team_id = :team").bind("team", teamId).execute();
        h.createUpdate("""
                        INSERT INTO team_directory_group (team_id, group_dn, member_attribute, created_at)
                        VALUES (:team, :dn, :attr, :now)""")
                .bind("team", teamId).bind("dn", groupDn).bind("attr", memberAttribute).bind("now", Instant.now())
                .execute();
    }

    public static boolean unbind(Handle h, long teamId) {
        return h.createUpdate("DELETE FROM team_directory_group WHERE team_id = :team").bind("team", teamId)
                .execute() > 0;
    }

    /** A row of {@link #BINDINGS} or {@link #CLAIM_BINDINGS}: both select their columns in this order. */
    private static final RowMapper<Binding> BINDING = (rs, ctx) -> new Binding(rs.getLong(1), rs.getLong(2),
            rs.getString(3), rs.getString(4), rs.getString(5), rs.getString(6));

    private static final String BINDINGS = """
            SELECT b.team_id, t.org_id, o.name, t.name, b.group_dn, b.member_attribute
            FROM team_directory_group b JOIN team t ON t.id = b.team_id JOIN account o ON o.id = t.org_id""";

    /** Every team bound to a group. */
    public static List<Binding> bindings(Handle h) {
        return h.createQuery(BINDINGS + " ORDER BY o.name, t.name").map(BINDING).list();
    }

    public static Optional<Binding> binding(Handle h, long teamId) {
        return h.createQuery(BINDINGS + " WHERE b.team_id = :team").bind("team", teamId)
                .map(BINDING).findOne();
    }

    // ---- teams bound to a value of an OIDC provider's groups claim (team_oidc_group) ----

    /** Binds the team to a value of {@code provider}'s groups claim, replacing an earlier such binding. */
    public static void bindClaim(Handle h, long teamId, String provider, String groupValue) {
        h.createUpdate("DELETE FROM team_oidc_group WHERE team_id = :team").bind("team", teamId).execute();
        h.createUpdate("""
                        INSERT INTO team_oidc_group (team_id, provider, group_value, created_at)
                        VALUES (:team, :provider, :value, :now)""")
                .bind("team", teamId).bind("provider", provider).bind("value", groupValue).bind("now", Instant.now())
                .execute();
    }

    public static boolean unbindClaim(Handle h, long teamId) {
        return h.createUpdate("DELETE FROM team_oidc_group WHERE team_id = :team").bind("team", teamId)
                .execute() > 0;
    }

    private static final String CLAIM_BINDINGS = """
            SELECT b.team_id, t.org_id, o.name, t.name, b.group_value, b.provider
            FROM team_oidc_group b JOIN team t ON t.id = b.team_id JOIN account o ON o.id = t.org_id""";

    /**
     * The teams bound to values of a provider's groups claim ({@code provider} null: of every provider), as
     * {@link Binding}s whose {@code groupDn} is the claim value and {@code memberAttribute} the provider.
     */
    public static List<Binding> claimBindings(Handle h, @Nullable String provider) {
        // Bound only when named: JDBI refuses a parameter the statement does not use (every provider: no WHERE).
        var query = h.createQuery(CLAIM_BINDINGS + (provider == null ? "" : " WHERE b.provider = :provider")
                + " ORDER BY o.name, t.name");
        if (provider != null) {
            query.bind("provider", provider);
        }
        return query.map(BINDING).list();
    }

    public static Optional<Binding> claimBinding(Handle h, long teamId) {
        return h.createQuery(CLAIM_BINDINGS + " WHERE b.team_id = :team").bind("team", teamId)
                .map(BINDING).findOne();
    }
}
