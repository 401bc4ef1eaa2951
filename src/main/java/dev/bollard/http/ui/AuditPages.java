package dev.bollard.http.ui;

import dev.bollard.audit.AuditActions;
import dev.bollard.auth.Permission;
import dev.bollard.http.Exchange;
import dev.bollard.metadata.AuditDao;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/** The audit log with filters, newest first, a page at a time: the registry's, or one organization's. */
final class AuditPages {
    private static final int AUDIT_PAGE = 100;

    private final Ui ui;

    AuditPages(Ui ui) {
        this.ui = ui;
    }

    /**
     * The registry's audit log (superusers) or, for {@code org}, that organization's (the caller checked that the user
     * manages it).
     */
    void auditLog(Call call, @Nullable String org) throws IOException {
        if (org == null && !ui.permits(call, Permission.SUPERUSER, null)) {
            ui.problem(call, 403, "Only superusers may read the registry's audit log; owners and "
                    + "administrators of an organization read its own on the organization's page.");
            return;
        }
        Exchange ex = call.ex();
        String actor = blankToNull(ex.query("actor"));
        String action = blankToNull(ex.query("action"));
        String repository = blankToNull(ex.query("repository"));
        String since = blankToNull(ex.query("since"));
        String until = blankToNull(ex.query("until"));
        boolean everything = "1".equals(ex.query("all"));
        Frame frame = call.frame().titled(org == null ? "Audit log" : "Audit log of " + org,
                org == null ? "audit" : "organizations");
        Long sinceMillis;
        Long untilMillis;
        Long before;
        try {
            sinceMillis = since == null ? null : day(since).toEpochMilli();
            untilMillis = until == null ? null : day(until).plus(Duration.ofDays(1)).toEpochMilli();
            before = blankToNull(ex.query("before")) == null ? null : Long.parseLong(ex.query("before"));
        } catch (DateTimeParseException | NumberFormatException e) {
            ui.render(call, 400, "audit.jte", frame.withError("Dates are written as 2026-01-31."),
                    new Pages.Audit(org, actor, action, repository, since, until, everything, 0, List.of(), null));
            return;
        }
        List<AuditDao.Entry> entries = ui.audit.query(new AuditDao.Filter(actor, action, org, repository, sinceMillis,
                untilMillis), before, AUDIT_PAGE + 1);
        Long next = entries.size() > AUDIT_PAGE ? entries.get(AUDIT_PAGE - 1).seq() : null;
        List<Pages.AuditEntry> page = entries.subList(0, Math.min(AUDIT_PAGE, entries.size())).stream()
                .map(AuditPages::entry).toList();
        // The quiet view: every client login is a login.success followed by a token.issued; the pairs flood the
        // log. Unless asked for (the action filter, or "every entry"), token.issued is left out and repeats are
        // grouped into one row with their count.
        boolean hideTokens = !everything && !AuditActions.TOKEN_ISSUED.equals(action);
        List<Pages.AuditEntry> kept = hideTokens ? page.stream()
                .filter(e -> !e.action().equals(AuditActions.TOKEN_ISSUED)).toList() : page;
        List<Pages.AuditEntry> shown = everything ? page : group(kept);
        int hidden = page.size() - kept.size();
        ui.render(call, 200, "audit.jte", frame, new Pages.Audit(org, actor, action, repository, since, until,
                everything, hidden, shown, next));
    }

    /** Consecutive entries of the same actor, action, target and address as one, with their count. */
    static List<Pages.AuditEntry> group(List<Pages.AuditEntry> entries) {
        List<Pages.AuditEntry> grouped = new ArrayList<>();
        for (Pages.AuditEntry e : entries) {
            Pages.AuditEntry last = grouped.isEmpty() ? null : grouped.getLast();
            if (last != null && last.who().equals(e.who()) && last.action().equals(e.action())
                    && last.on().equals(e.on()) && last.from().equals(e.from())) {
                grouped.set(grouped.size() - 1, last.times(last.count() + 1, e.at()));
            } else {
                grouped.add(e);
            }
        }
        return grouped;
    }

    // The audit log answers with the database's rows; the template gets the UI's own record.
    private static Pages.AuditEntry entry(AuditDao.Entry e) {
        String on = e.repository() != null ? e.repository() : e.namespace() != null ? e.namespace() : "—";
        Instant at = Instant.ofEpochMilli(e.occurredAt());
        return new Pages.AuditEntry(at, e.actor().isEmpty() ? e.actorKind().toLowerCase(Locale.ROOT) : e.actor(),
                e.action(), on, e.details(), e.ip(), 1, at);
    }

    private static Instant day(String date) {
        return LocalDate.parse(date).atStartOfDay(ZoneOffset.UTC).toInstant();
    }

    private static @Nullable String blankToNull(@Nullable String s) {
        return s == null || s.isBlank() ? null : s.trim();
    }
}
