package dev.bollard.metadata;

import java.util.List;
import java.util.Optional;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.mapper.RowMapper;
import org.jspecify.annotations.Nullable;

/**
 * Webhooks and their delivery log ({@code webhook}, {@code webhook_delivery}, {@code V11__events_webhooks.sql}).
 * Filters are stored as the API takes them: event types comma-separated (empty for all), headers as a JSON object.
 */
public final class WebhookDao {
    private WebhookDao() {
    }

    /** A webhook as stored; {@code scope} is empty for the registry-wide ones. */
    public record Row(long id, String scopeKind, String scope, String method, String url, String format, String secret,
                      String eventTypes, @Nullable String repositoryGlob, @Nullable String tagGlob, String headers,
                      int timeoutMillis, boolean enabled, @Nullable String disabledReason, int consecutiveFailures,
                      String createdBy, long createdAt) {
    }

    /** One attempt to deliver an event ({@code eventSeq} 0 for a test ping) to a webhook. */
    public record Delivery(long id, long webhookId, long eventSeq, String eventType, int attempt, long attemptedAt,
                           String requestHeaders, String requestBody, @Nullable Integer status,
                           @Nullable String responseBody, @Nullable String error, long latencyMillis, boolean success) {
    }

    private static final String COLUMNS = "id, scope_kind, scope, method, url, format, secret, event_types, "
            + "repository_glob, tag_glob, headers, timeout_ms, enabled, disabled_reason, consecutive_failures, "
            + "created_by, created_at";
    private static final RowMapper<Row> ROW = (rs, ctx) -> new Row(rs.getLong(1), rs.getString(2), rs.getString(3),
            rs.getString(4), rs.getString(5), rs.getString(6), rs.getString(7), rs.getString(8), rs.getString(9),
            rs.getString(10), rs.getString(11), rs.getInt(12), rs.getBoolean(13), rs.getString(14), rs.getInt(15),
            rs.getString(16), rs.getLong(17));

    private static final String DELIVERY_COLUMNS = "id, webhook_id, event_seq, event_type, attempt, attempted_at, "
            + "request_headers, request_body, status, response_body, error, latency_ms, success";
    private static final RowMapper<Delivery> DELIVERY = (rs, ctx) -> new Delivery(rs.getLong(1), rs.getLong(2),
            rs.getLong(3), rs.getString(4), rs.getInt(5), rs.getLong(6), rs.getString(7), rs.getString(8),
            rs.getObject(9, Integer.class), rs.getString(10), rs.getString(11), rs.getLong(12), rs.getBoolean(13));

    /** Adds a webhook (its {@code id} is ignored); returns the id given. */
    public static long insert(Handle h, Row r) {
        return h.createUpdate("""
                        INSERT INTO webhook (scope_kind, scope, method, url, format, secret, event_types, repository_glob,
                                             tag_glob, headers, timeout_ms, enabled, disabled_reason,
                                             consecutive_failures, created_by, created_at)
                        VALUES (:kind, :scope, :method, :url, :format, :secret, :types, :repoGlob, :tagGlob, :headers,
                                :timeout, :enabled, :reason, :failures, :by, :at)""")
                .bind("kind", r.scopeKind()).bind("scope", r.scope()).bind("method", r.method()).bind("url", r.url())
                .bind("format", r.format()).bind("secret", r.secret()).bind("types", r.eventTypes())
                .bind("repoGlob", r.repositoryGlob()).bind("tagGlob", r.tagGlob()).bind("headers", r.headers())
                .bind("timeout", r.timeoutMillis()).bind("enabled", r.enabled()).bind("reason", r.disabledReason())
                .bind("failures", r.consecutiveFailures()).bind("by", r.createdBy()).bind("at", r.createdAt())
                .executeAndReturnGeneratedKeys("id").mapTo(Long.class).one();
    }

    /** Replaces what can change of webhook {@code r.id()}: target, format, secret, filters, headers, timeout, state. */
    public static void update(Handle h, Row r) {
        h.createUpdate("""
                        UPDATE webhook SET method = :method, url = :url, format = :format, secret = :secret,
                                           event_types = :types,
                                           repository_glob = :repoGlob, tag_glob = :tagGlob, headers = :headers,
                                           timeout_ms = :timeout, enabled = :enabled, disabled_reason = :reason,
                                           consecutive_failures = :failures
                        WHERE id = :id""")
                .bind("id", r.id()).bind("method", r.method()).bind("url", r.url()).bind("format", r.format())
                .bind("secret", r.secret()).bind("types", r.eventTypes()).bind("repoGlob", r.repositoryGlob()).bind("tagGlob", r.tagGlob())
                .bind("headers", r.headers()).bind("timeout", r.timeoutMillis()).bind("enabled", r.enabled())
                .bind("reason", r.disabledReason()).bind("failures", r.consecutiveFailures()).execute();
    }

    /** Every webhook (to re-seal their secrets). */
    public static List<Row> all(Handle h) {
        return h.createQuery("SELECT " + COLUMNS + " FROM webhook ORDER BY id").map(ROW).list();
    }

    /** Replaces the sealed secret and headers if they are still the {@code expected} ones (nodes re-sealing at once). */
    public static boolean replaceSealed(Handle h, long id, String expectedSecret, String secret, String expectedHeaders,
                                        String headers) {
        return h.createUpdate("""
                        UPDATE webhook SET secret = :secret, headers = :headers
                        WHERE id = :id AND secret = :expectedSecret AND headers = :expectedHeaders""")
                .bind("id", id).bind("secret", secret).bind("headers", headers).bind("expectedSecret", expectedSecret)
                .bind("expectedHeaders", expectedHeaders).execute() == 1;
    }

    public static boolean delete(Handle h, long id) {
        return h.createUpdate("DELETE FROM webhook WHERE id = :id").bind("id", id).execute() > 0;
    }

    public static Optional<Row> find(Handle h, long id) {
        return h.createQuery("SELECT " + COLUMNS + " FROM webhook WHERE id = :id").bind("id", id).map(ROW).findOne();
    }

    /** Locks webhook {@code id}'s row until the transaction ends (counting a delivery's outcome). */
    public static Optional<Row> lock(Handle h, long id) {
        return h.createQuery("SELECT " + COLUMNS + " FROM webhook WHERE id = :id FOR UPDATE").bind("id", id).map(ROW)
                .findOne();
    }

    /** The webhooks of one scope, oldest first. */
    public static List<Row> ofScope(Handle h, String scopeKind, String scope) {
        return h.createQuery("SELECT " + COLUMNS + " FROM webhook WHERE scope_kind = :kind AND scope = :scope ORDER BY id")
                .bind("kind", scopeKind).bind("scope", scope).map(ROW).list();
    }

    /** Every enabled webhook (what the publisher matches events against). */
    public static List<Row> enabled(Handle h) {
        return h.createQuery("SELECT " + COLUMNS + " FROM webhook WHERE enabled = TRUE ORDER BY id").map(ROW).list();
    }

    /**
     * Counts a failed delivery: one more failure in a row; returns the new count. (A success ends the run with
     * {@link #resetFailures}.)
     */
    public static int countFailure(Handle h, long id) {
        h.createUpdate("UPDATE webhook SET consecutive_failures = consecutive_failures + 1 WHERE id = :id")
                .bind("id", id).execute();
        return h.createQuery("SELECT consecutive_failures FROM webhook WHERE id = :id").bind("id", id)
                .mapTo(Integer.class).findOne().orElse(0);
    }

    /**
     * After a successful delivery: the webhook's run of failures ends. Written only when there was one, so that a
     * delivery that succeeds like the one before it leaves the row alone (no lock, no write).
     */
    public static void resetFailures(Handle h, long id) {
        h.createUpdate("UPDATE webhook SET consecutive_failures = 0 WHERE id = :id AND consecutive_failures <> 0")
                .bind("id", id).execute();
    }

    public static void disable(Handle h, long id, String reason) {
        h.createUpdate("UPDATE webhook SET enabled = FALSE, disabled_reason = :reason WHERE id = :id")
                .bind("id", id).bind("reason", reason).execute();
    }

    /** Adds a delivery attempt to the log (its {@code id} is ignored); returns the id given. */
    public static long insertDelivery(Handle h, Delivery d) {
        return h.createUpdate("INSERT INTO webhook_delivery (" + DELIVERY_COLUMNS.substring("id, ".length())
                        + ") VALUES (:hook, :seq, :type, :attempt, :at, :reqHeaders, :reqBody, :status, :respBody, "
                        + ":error, :latency, :success)")
                .bind("hook", d.webhookId()).bind("seq", d.eventSeq()).bind("type", d.eventType())
                .bind("attempt", d.attempt()).bind("at", d.attemptedAt()).bind("reqHeaders", d.requestHeaders())
                .bind("reqBody", d.requestBody()).bind("status", d.status()).bind("respBody", d.responseBody())
                .bind("error", d.error()).bind("latency", d.latencyMillis()).bind("success", d.success())
                .executeAndReturnGeneratedKeys("id").mapTo(Long.class).one();
    }

    /** Webhook {@code webhookId}'s deliveries with an id below {@code beforeId}, newest first. */
    public static List<Delivery> deliveries(Handle h, long webhookId, long beforeId, int limit) {
        return h.createQuery("SELECT " + DELIVERY_COLUMNS + " FROM webhook_delivery WHERE webhook_id = :hook "
                        + "AND id < :before ORDER BY id DESC LIMIT :n")
                .bind("hook", webhookId).bind("before", beforeId).bind("n", limit).map(DELIVERY).list();
    }

    public static Optional<Delivery> delivery(Handle h, long id) {
        return h.createQuery("SELECT " + DELIVERY_COLUMNS + " FROM webhook_delivery WHERE id = :id").bind("id", id)
                .map(DELIVERY).findOne();
    }

    /** Adds event {@code seq} to webhook {@code webhookId}'s next batch (V18); nothing when it is there already. */
    public static void addPending(Handle h, long webhookId, long seq) {
        h.createUpdate("""
                        INSERT INTO notification_pending (webhook_id, event_seq) VALUES (:hook, :seq)
                        ON CONFLICT DO NOTHING""")
                .bind("hook", webhookId).bind("seq", seq).execute();
    }

    /** The events of webhook {@code webhookId}'s next batch, oldest first, at most {@code limit}. */
    public static List<Long> pending(Handle h, long webhookId, int limit) {
        return h.createQuery("""
                        SELECT event_seq FROM notification_pending WHERE webhook_id = :hook
                        ORDER BY event_seq LIMIT :n""")
                .bind("hook", webhookId).bind("n", limit).mapTo(Long.class).list();
    }

    /** Removes events from webhook {@code webhookId}'s batch (sent, or dropped with a disabled webhook). */
    public static int deletePending(Handle h, long webhookId, List<Long> seqs) {
        if (seqs.isEmpty()) {
            return 0;
        }
        return h.createUpdate("DELETE FROM notification_pending WHERE webhook_id = :hook AND event_seq IN (<seqs>)")
                .bind("hook", webhookId).bindList("seqs", seqs).execute();
    }

    /** Deletes delivery attempts made before {@code beforeMillis}; returns how many. */
    public static int deleteDeliveriesBefore(Handle h, long beforeMillis) {
        return h.createUpdate("DELETE FROM webhook_delivery WHERE attempted_at < :before")
                .bind("before", beforeMillis).execute();
    }
}
