package dev.bollard.metadata;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Optional;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.statement.Query;
import org.jspecify.annotations.Nullable;

/** Repositories: created on first push, listed by the catalog. */
public final class RepositoryDao {
    private RepositoryDao() {
    }

    public static Optional<Long> findId(Handle h, String name) {
        return h.createQuery("SELECT id FROM repository WHERE name = :name")
                .bind("name", name).mapTo(Long.class).findOne();
    }

    /**
     * The id of the repository, created when it does not exist (a concurrent creator makes the transaction retry).
     * A new repository in an organization's namespace gets the organization's default permissions.
     */
    public static long findOrCreate(Handle h, String name) {
        return findId(h, name).orElseGet(() -> create(h, name));
    }

    /** Creates the repository (it must not exist) with its organization's default permissions; returns its id. */
    public static long create(Handle h, String name) {
        long id = h.createUpdate("INSERT INTO repository (name, created_at) VALUES (:name, :now)")
                .bind("name", name).bind("now", Instant.now())
                .executeAndReturnGeneratedKeys("id").mapTo(Long.class).one();
        GrantDao.applyDefaults(h, id, name);
        return id;
    }

    /** A repository as the management API describes it. */
    public record Described(long id, String name, String visibility, Instant createdAt, int tags, int manifests) {
    }

    private static final String DESCRIBE = """
            SELECT r.id, r.name, r.visibility, r.created_at,
                   (SELECT COUNT(*) FROM tag t WHERE t.repository_id = r.id),
                   (SELECT COUNT(*) FROM manifest m WHERE m.repository_id = r.id)
            FROM repository r""";

    private static Described described(ResultSet rs) throws SQLException {
        return new Described(rs.getLong(1), rs.getString(2), rs.getString(3),
                rs.getObject(4, OffsetDateTime.class).toInstant(), rs.getInt(5), rs.getInt(6));
    }

    public static Optional<Described> describe(Handle h, String name) {
        return h.createQuery(DESCRIBE + " WHERE r.name = :name").bind("name", name)
                .map((rs, ctx) -> described(rs)).findOne();
    }

    /**
     * Repositories (empty ones too) the filter lets the caller see, after {@code after} in byte order, at most
     * {@code limit}, optionally only those of one namespace, and only those with a label: {@code key=value} exactly,
     * or {@code key} (a plain word, or a key whatever its value). The label is matched in the query, so that a page
     * holds {@code limit} matching repositories.
     */
    public static List<Described> list(Handle h, @Nullable String after, int limit, RepositoryFilter filter,
                                      @Nullable String namespace, @Nullable String label) {
        String key = label == null ? "" : label.contains("=") ? label.substring(0, label.indexOf('=')) : label;
        String value = label != null && label.contains("=") ? label.substring(label.indexOf('=') + 1) : null;
        return bindVisible(h.createQuery(DESCRIBE + " WHERE r.name > :last AND (:ns = '' OR LEFT(r.name, LENGTH(:ns) + 1) = :ns || '/') AND "
                        + "(:lk = '' OR EXISTS (SELECT 1 FROM repository_label l WHERE l.repository_id = r.id"
                        + " AND l.name = :lk AND (:anyValue OR l.label_value = :lv))) AND "
                        + VISIBLE + " ORDER BY r.name LIMIT :limit"), filter)
                .bind("last", after == null ? "" : after).bind("limit", limit)
                .bind("ns", namespace == null ? "" : namespace)
                .bind("lk", key).bind("anyValue", value == null).bind("lv", value == null ? "" : value)
                .map((rs, ctx) -> described(rs)).list();
    }

    /** Deletes the repository with its manifests, tags, history, blob links, uploads and grants. */
    public static boolean delete(Handle h, long id) {
        h.createUpdate("DELETE FROM repository_grant WHERE repository_id = :id").bind("id", id).execute();
        return h.createUpdate("DELETE FROM repository WHERE id = :id").bind("id", id).execute() > 0;
    }

    /** True when a repository exists in the namespace. */
    public static boolean anyIn(Handle h, String namespace) {
        return h.createQuery("SELECT COUNT(*) FROM repository WHERE LEFT(name, LENGTH(:ns) + 1) = :ns || '/'")
                .bind("ns", namespace).mapTo(Integer.class).one() > 0;
    }

    /**
     * The visibility condition of a repository {@code r} for the filter's binds {@code :all}, {@code :public},
     * {@code :user} and {@code :robot}: public ones, the user's namespace, organizations the user belongs to, the
     * organizations whose admin team the user or robot is in, and explicit grants to the user, the robot or their
     * teams.
     */
    private static final String VISIBLE = """
            (:all
              OR (:public AND r.visibility = 'public')
              OR EXISTS (SELECT 1 FROM account a WHERE a.id = :user
                         AND LEFT(r.name, LENGTH(a.name) + 1) = a.name || '/')
              OR EXISTS (SELECT 1 FROM org_member om JOIN account o ON o.id = om.org_id
                         WHERE om.user_id = :user AND LEFT(r.name, LENGTH(o.name) + 1) = o.name || '/')
              OR EXISTS (SELECT 1 FROM team t JOIN team_member tm ON tm.team_id = t.id JOIN account o ON o.id = t.org_id
                         WHERE tm.user_id = :user AND t.role = 'admin' AND LEFT(r.name, LENGTH(o.name) + 1) = o.name || '/')
              OR EXISTS (SELECT 1 FROM team t JOIN team_robot tr ON tr.team_id = t.id JOIN account o ON o.id = t.org_id
                         WHERE tr.robot_id = :robot AND t.role = 'admin' AND LEFT(r.name, LENGTH(o.name) + 1) = o.name || '/')
              OR EXISTS (SELECT 1 FROM repository_grant g WHERE g.repository_id = r.id
                         AND ((g.grantee_type = 'user' AND g.grantee_id = :user)
                           OR (g.grantee_type = 'robot' AND g.grantee_id = :robot)
                           OR (g.grantee_type = 'team' AND g.grantee_id IN
                               (SELECT tm.team_id FROM team_member tm WHERE tm.user_id = :user))
                           OR (g.grantee_type = 'team' AND g.grantee_id IN
                               (SELECT tr.team_id FROM team_robot tr WHERE tr.robot_id = :robot)))))""";

    /**
     * Names of repositories holding at least one manifest, after {@code last} in byte order, at most {@code limit}.
     */
    public static List<String> listWithContent(Handle h, @Nullable String last, int limit) {
        return listWithContent(h, last, limit, RepositoryFilter.ALL);
    }

    /**
     * As {@link #listWithContent(Handle, String, int)}, only the repositories {@code filter} lets the caller see; the
     * filter applies before the limit, so pages stay full and continue correctly.
     */
    public static List<String> listWithContent(Handle h, @Nullable String last, int limit,
                                               RepositoryFilter filter) {
        return bindVisible(h.createQuery("""
                        SELECT r.name FROM repository r
                        WHERE r.name > :last
                          AND EXISTS (SELECT 1 FROM manifest m WHERE m.repository_id = r.id)
                          AND""" + VISIBLE + """
                        ORDER BY r.name
                        LIMIT :limit"""), filter)
                .bind("last", last == null ? "" : last).bind("limit", limit)
                .mapTo(String.class).list();
    }

    private static Query bindVisible(Query q, RepositoryFilter filter) {
        return q.bind("all", filter.all()).bind("public", filter.publicRepositories())
                .bind("user", filter.userId() == null ? -1L : filter.userId())
                .bind("robot", filter.robotId() == null ? -1L : filter.robotId());
    }

    /**
     * A repository as a listing shows it: visibility, number of tags, the bytes of the blobs linked to it and of its
     * manifests, and when a tag was last pushed (or, for none, when it was created).
     */
    public record Summary(String name, boolean isPublic, int tags, long size, Instant lastPush) {
    }

    /**
     * The repositories {@code filter} lets the caller see whose name contains {@code search} (empty: all), by name,
     * at most {@code limit}.
     */
    public static List<Summary> summaries(Handle h, RepositoryFilter filter, String search, int limit) {
        return summaries(h, filter, search, null, limit);
    }

    /** The repository named {@code name}, when it exists (whoever may see it). */
    public static Optional<Summary> summary(Handle h, String name) {
        return summaries(h, RepositoryFilter.ALL, "", name, 1).stream().findFirst();
    }

    private static List<Summary> summaries(Handle h, RepositoryFilter filter, String search, @Nullable String exact,
                                           int limit) {
        return bindVisible(h.createQuery("""
                        SELECT r.name, r.visibility,
                          (SELECT COUNT(*) FROM tag t WHERE t.repository_id = r.id) AS tags,
                          (SELECT COALESCE(SUM(b.size), 0) FROM repository_blob rb JOIN blob b ON b.digest = rb.digest
                            WHERE rb.repository_id = r.id)
                          + (SELECT COALESCE(SUM(m.size), 0) FROM manifest m WHERE m.repository_id = r.id) AS size,
                          COALESCE((SELECT MAX(th.lifetime_start) FROM tag_history th WHERE th.repository_id = r.id),
                                   r.created_at) AS last_push
                        FROM repository r
                        WHERE POSITION(:search IN r.name) > 0 AND (:any OR r.name = :exact)
                          AND""" + VISIBLE + """
                        ORDER BY r.name
                        LIMIT :limit"""), filter)
                .bind("search", search == null ? "" : search).bind("limit", limit)
                .bind("any", exact == null).bind("exact", exact == null ? "" : exact)
                .map((rs, ctx) -> new Summary(rs.getString(1), "public".equals(rs.getString(2)), rs.getInt(3),
                        rs.getLong(4), rs.getObject(5, OffsetDateTime.class).toInstant()))
                .list();
    }
}
