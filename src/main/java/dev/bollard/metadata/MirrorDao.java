package dev.bollard.metadata;

import java.util.List;
import java.util.Optional;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.mapper.RowMapper;
import org.jspecify.annotations.Nullable;

/**
 * Repository mirrors ({@code V17__mirror.sql}): each mirror's upstream, filters and schedule, and the history of its
 * syncs.
 */
public final class MirrorDao {
    private MirrorDao() {
    }

    /** A mirror as stored: {@code password} sealed, {@code tagGlobs} one a line, {@code architectures} comma-separated. */
    public record Row(long id, String repository, String url, String upstreamRepository, @Nullable String username,
                      @Nullable String password, @Nullable String caBundle, int intervalSeconds, String tagGlobs,
                      @Nullable String tagRegex, @Nullable Integer newest, String architectures,
                      boolean mirrorDeletions, int concurrency, boolean enabled, long nextRunAt, String createdBy,
                      long createdAt, long updatedAt, @Nullable String cron, @Nullable String tagSemver) {
    }

    /** One sync; {@code failures} is JSON, {@code finishedAt} null while it runs. */
    public record Run(long id, long mirrorId, String trigger, String status, long startedAt, @Nullable Long finishedAt,
                      long bytes, int blobsCopied, int blobsMounted, int tagsCopied, int tagsUnchanged, int tagsFailed,
                      int tagsDeleted, int referrers, String failures, @Nullable String message) {
    }

    private static final String COLUMNS = "id, repository, url, upstream_repository, username, password, ca_bundle, "
            + "interval_seconds, tag_globs, tag_regex, newest, architectures, mirror_deletions, concurrency, enabled, "
            + "next_run_at, created_by, created_at, updated_at, cron, tag_semver";
    private static final RowMapper<Row> ROW = (rs, ctx) -> new Row(rs.getLong(1), rs.getString(2), rs.getString(3),
            rs.getString(4), rs.getString(5), rs.getString(6), rs.getString(7), rs.getInt(8), rs.getString(9),
            rs.getString(10), rs.getObject(11, Integer.class), rs.getString(12), rs.getBoolean(13),
            rs.getInt(14), rs.getBoolean(15), rs.getLong(16), rs.getString(17), rs.getLong(18), rs.getLong(19), rs.getString(20), rs.getString(21));
    private static final String RUN_COLUMNS = "id, mirror_id, trigger_kind, status, started_at, finished_at, bytes, "
            + "blobs_copied, blobs_mounted, tags_copied, tags_unchanged, tags_failed, tags_deleted, referrers, failures, "
            + "message";
    private static final RowMapper<Run> RUN = (rs, ctx) -> new Run(rs.getLong(1), rs.getLong(2), rs.getString(3),
            rs.getString(4), rs.getLong(5), rs.getObject(6, Long.class), rs.getLong(7), rs.getInt(8),
            rs.getInt(9), rs.getInt(10), rs.getInt(11), rs.getInt(12), rs.getInt(13), rs.getInt(14), rs.getString(15),
            rs.getString(16));

    public static Optional<Row> find(Handle h, String repository) {
        return h.createQuery("SELECT " + COLUMNS + " FROM mirror WHERE repository = :r").bind("r", repository)
                .map(ROW).findOne();
    }

    public static Optional<Row> byId(Handle h, long id) {
        return h.createQuery("SELECT " + COLUMNS + " FROM mirror WHERE id = :id").bind("id", id).map(ROW).findOne();
    }

    public static List<Row> all(Handle h) {
        return h.createQuery("SELECT " + COLUMNS + " FROM mirror ORDER BY repository").map(ROW).list();
    }

    /** The ids of the enabled mirrors whose next sync is due at {@code now}, the longest overdue first. */
    public static List<Long> due(Handle h, long now) {
        return h.createQuery("SELECT id FROM mirror WHERE enabled = TRUE AND next_run_at <= :now ORDER BY next_run_at")
                .bind("now", now).mapTo(Long.class).list();
    }

    public static void insert(Handle h, Row r) {
        h.createUpdate("INSERT INTO mirror (repository, url, upstream_repository, username, password, ca_bundle, "
                        + "interval_seconds, tag_globs, tag_regex, newest, architectures, mirror_deletions, concurrency, "
                        + "enabled, next_run_at, requested, created_by, created_at, updated_at, cron, tag_semver) VALUES "
                        + "(:repository, :url, :upstream, :username, :password, :ca, :interval, :globs, :regex, :newest, "
                        + ":arches, :deletions, :concurrency, :enabled, :next, FALSE, :createdBy, :created, :updated, "
                        + ":cron, :semver)")
                .bind("repository", r.repository()).bind("url", r.url()).bind("upstream", r.upstreamRepository())
                .bind("username", r.username()).bind("password", r.password()).bind("ca", r.caBundle())
                .bind("interval", r.intervalSeconds()).bind("globs", r.tagGlobs()).bind("regex", r.tagRegex())
                .bind("newest", r.newest()).bind("arches", r.architectures()).bind("deletions", r.mirrorDeletions())
                .bind("concurrency", r.concurrency()).bind("enabled", r.enabled()).bind("next", r.nextRunAt())
                .bind("createdBy", r.createdBy()).bind("created", r.createdAt()).bind("updated", r.updatedAt())
                .bind("cron", r.cron()).bind("semver", r.tagSemver()).execute();
    }

    /** Replaces what may change of a mirror (all but its repository, id and creation). */
    public static void update(Handle h, Row r) {
        h.createUpdate("UPDATE mirror SET url = :url, upstream_repository = :upstream, username = :username, "
                        + "password = :password, ca_bundle = :ca, interval_seconds = :interval, tag_globs = :globs, "
                        + "tag_regex = :regex, newest = :newest, architectures = :arches, mirror_deletions = :deletions, "
                        + "concurrency = :concurrency, enabled = :enabled, next_run_at = :next, updated_at = :updated, "
                        + "cron = :cron, tag_semver = :semver WHERE id = :id")
                .bind("id", r.id()).bind("url", r.url()).bind("upstream", r.upstreamRepository())
                .bind("username", r.username()).bind("password", r.password()).bind("ca", r.caBundle())
                .bind("interval", r.intervalSeconds()).bind("globs", r.tagGlobs()).bind("regex", r.tagRegex())
                .bind("newest", r.newest()).bind("arches", r.architectures()).bind("deletions", r.mirrorDeletions())
                .bind("concurrency", r.concurrency()).bind("enabled", r.enabled()).bind("next", r.nextRunAt())
                .bind("updated", r.updatedAt()).bind("cron", r.cron()).bind("semver", r.tagSemver()).execute();
    }

    public static boolean delete(Handle h, String repository) {
        return h.createUpdate("DELETE FROM mirror WHERE repository = :r").bind("r", repository).execute() > 0;
    }

    /** When the mirror syncs next; {@code requested}: someone asked for it ("sync now"), it is not the schedule. */
    public static void scheduleAt(Handle h, long id, long at, boolean requested) {
        h.createUpdate("UPDATE mirror SET next_run_at = :at, requested = :requested WHERE id = :id").bind("id", id)
                .bind("at", at).bind("requested", requested).execute();
    }

    /**
     * After a run that started when the mirror was due at {@code consumed}: the next run at {@code at}, unless the
     * mirror was made due again meanwhile ("sync now", a change), which stays.
     */
    public static void scheduleAfterRun(Handle h, long id, long consumed, long at) {
        h.createUpdate("UPDATE mirror SET next_run_at = :at, requested = FALSE WHERE id = :id AND next_run_at = :consumed")
                .bind("id", id).bind("at", at).bind("consumed", consumed).execute();
    }

    /** Whether the mirror's next sync was asked for. */
    public static boolean requested(Handle h, long id) {
        return h.createQuery("SELECT requested FROM mirror WHERE id = :id").bind("id", id).mapTo(Boolean.class)
                .findOne().orElse(false);
    }

    // ---- runs ----

    /** Starts a run: 'running', nothing counted yet; its id. */
    public static long startRun(Handle h, long mirrorId, String trigger, long at) {
        return h.createUpdate("INSERT INTO mirror_run (mirror_id, trigger_kind, status, started_at, bytes, blobs_copied, "
                        + "blobs_mounted, tags_copied, tags_unchanged, tags_failed, tags_deleted, referrers, failures) "
                        + "VALUES (:m, :t, 'running', :at, 0, 0, 0, 0, 0, 0, 0, 0, '[]')")
                .bind("m", mirrorId).bind("t", trigger).bind("at", at)
                .executeAndReturnGeneratedKeys("id").mapTo(Long.class).one();
    }

    /** Marks runs a dead node left 'running' as interrupted; how many. */
    public static int interruptRunning(Handle h, long mirrorId, long at) {
        return h.createUpdate("UPDATE mirror_run SET status = 'interrupted', finished_at = :at, "
                        + "message = 'the node running it stopped before it ended; the next run went on from what it "
                        + "had stored' WHERE mirror_id = :m AND status = 'running'")
                .bind("m", mirrorId).bind("at", at).execute();
    }

    /** Writes a run's counts and, when {@code status} is not 'running', its end. */
    public static void updateRun(Handle h, Run r) {
        h.createUpdate("UPDATE mirror_run SET status = :status, finished_at = :finished, bytes = :bytes, "
                        + "blobs_copied = :copied, blobs_mounted = :mounted, tags_copied = :tagsCopied, "
                        + "tags_unchanged = :unchanged, tags_failed = :failed, tags_deleted = :deleted, "
                        + "referrers = :referrers, failures = :failures, message = :message WHERE id = :id")
                .bind("id", r.id()).bind("status", r.status()).bind("finished", r.finishedAt()).bind("bytes", r.bytes())
                .bind("copied", r.blobsCopied()).bind("mounted", r.blobsMounted()).bind("tagsCopied", r.tagsCopied())
                .bind("unchanged", r.tagsUnchanged()).bind("failed", r.tagsFailed()).bind("deleted", r.tagsDeleted())
                .bind("referrers", r.referrers()).bind("failures", r.failures()).bind("message", r.message())
                .execute();
    }

    /** The mirror's runs, the newest first. */
    public static List<Run> runs(Handle h, long mirrorId, int limit) {
        return h.createQuery("SELECT " + RUN_COLUMNS + " FROM mirror_run WHERE mirror_id = :m ORDER BY id DESC "
                        + "LIMIT :limit")
                .bind("m", mirrorId).bind("limit", limit).map(RUN).list();
    }

    /** A repository other than {@code except} that links the blob: where a sync mounts it from. */
    public static Optional<String> repositoryHolding(Handle h, String digest, String except) {
        return h.createQuery("SELECT r.name FROM repository_blob rb JOIN repository r ON r.id = rb.repository_id "
                        + "WHERE rb.digest = :d AND r.name <> :except ORDER BY r.id LIMIT 1")
                .bind("d", digest).bind("except", except).mapTo(String.class).findOne();
    }
}
