package dev.bollard.http.api;

import static dev.bollard.auth.Permission.ORG_ADMIN;
import static dev.bollard.auth.Permission.SUPERUSER;
import static dev.bollard.http.api.ManagementApi.PREFIX;

import dev.bollard.audit.AuditExport;
import dev.bollard.audit.AuditLog;
import dev.bollard.error.BollardException;
import dev.bollard.error.ErrorCode;
import dev.bollard.metadata.AuditDao;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The audit log: queries with filters and pagination (newest first), exports as JSON lines or CSV, and the chain's
 * verification. Superusers see everything; an organization's administrators see its namespace.
 */
final class AuditEndpoints implements ApiEndpoints {
    private final ApiServices services;

    AuditEndpoints(ApiServices services) {
        this.services = services;
    }

    @Override
    public List<ApiRoute> routes() {
        return List.of(
                ApiRoute.get(PREFIX + "/audit", SUPERUSER, "List audit log entries, newest first; filters: actor, "
                        + "action (a prefix when it ends in '.'), namespace, repository, since, until (ISO-8601)",
                        this::query),
                ApiRoute.get(PREFIX + "/audit/export", SUPERUSER,
                        "Export audit log entries (same filters), oldest first: ?format=jsonl (default) or csv",
                        this::export),
                ApiRoute.get(PREFIX + "/audit/verify", SUPERUSER, "Verify the audit log's hash chain", this::verify),
                ApiRoute.get(PREFIX + "/organizations/{org}/audit", ORG_ADMIN,
                        "List the audit log entries of an organization's namespace, newest first (same filters)",
                        this::queryOrganization));
    }

    private static AuditDao.Filter filter(ApiCall call, @Nullable String forcedNamespace) {
        return new AuditDao.Filter(call.query("actor"), call.query("action"),
                forcedNamespace != null ? forcedNamespace : call.query("namespace"), call.query("repository"),
                millis(call, "since"), millis(call, "until"));
    }

    private static @Nullable Long millis(ApiCall call, String name) {
        String v = call.query(name);
        if (v == null || v.isEmpty()) {
            return null;
        }
        try {
            return Instant.parse(v).toEpochMilli();
        } catch (DateTimeParseException e) {
            throw BollardException.invalid(name + " must be an ISO-8601 instant such as 2026-01-31T12:00:00Z, not '" + v + "'");
        }
    }

    private void query(ApiCall call) throws IOException {
        page(call, filter(call, null));
    }

    private void queryOrganization(ApiCall call) throws IOException {
        page(call, filter(call, call.param("org")));
    }

    private void page(ApiCall call, AuditDao.Filter filter) throws IOException {
        Long before = null;
        String cursor = call.cursor();
        if (cursor != null) {
            try {
                before = Long.parseLong(cursor);
            } catch (NumberFormatException e) {
                throw new BollardException(ErrorCode.INVALID_PAGINATION, "cursor is not one this API handed out");
            }
        }
        call.sendPage(services.audit().query(filter, before, call.limit() + 1), e -> Long.toString(e.seq()),
                AuditExport::toMap);
    }

    /** Streams every matching entry, oldest first, page by page (never the whole log in memory). */
    private void export(ApiCall call) throws IOException {
        String given = call.query("format");
        String format = given == null ? "jsonl" : given;
        if (!format.equals("jsonl") && !format.equals("csv")) {
            throw BollardException.invalid("format must be jsonl or csv, not '" + format + "'");
        }
        AuditDao.Filter filter = filter(call, null);
        boolean csv = format.equals("csv");
        var ex = call.exchange();
        ex.setHeader("Content-Type", csv ? "text/csv; charset=utf-8" : "application/x-ndjson");
        ex.setHeader("Content-Disposition", "attachment; filename=\"bollard-audit." + format + "\"");
        ex.setHeader("Cache-Control", "no-store");
        if (csv) {
            ex.writeBlocking(ByteBuffer.wrap(AuditExport.CSV_HEADER.getBytes(StandardCharsets.UTF_8)));
        }
        services.audit().forEachPage(filter, page -> {
            StringBuilder chunk = new StringBuilder();
            for (AuditDao.Entry e : page) {
                chunk.append(csv ? AuditExport.csvRow(e) : AuditExport.jsonLine(e));
            }
            ex.writeBlocking(ByteBuffer.wrap(chunk.toString().getBytes(StandardCharsets.UTF_8)));
        });
        ex.finish();
    }

    private void verify(ApiCall call) throws IOException {
        AuditLog.Verification v = services.audit().verify();
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("intact", v.intact());
        answer.put("checked", v.checked());
        answer.put("first_seq", v.firstSeq());
        answer.put("last_seq", v.lastSeq());
        answer.put("problems", v.problems());
        call.send(200, answer);
    }
}
