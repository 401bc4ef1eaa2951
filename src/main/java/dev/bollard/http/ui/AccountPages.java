package dev.bollard.http.ui;

import dev.bollard.auth.Auth;
import dev.bollard.auth.Identities;
import dev.bollard.auth.Permission;
import dev.bollard.error.BollardException;
import dev.bollard.http.Exchange;
import dev.bollard.metadata.AuditDao;
import java.io.IOException;
import java.util.List;
import org.jspecify.annotations.Nullable;

/** A user's own settings, the administration of users (superusers), and the audit log. */
final class AccountPages {
    static final int AUDIT_PAGE = 100;

    private final Ui ui;

    AccountPages(Ui ui) {
        this.ui = ui;
    }

    void settings(Call call) throws IOException {
        String user = call.user().name();
        Frame frame = call.frame().titled("Your settings", "settings");
        String secret = null;
        String secretFor = null;
        int status = 200;
        if (call.isPost()) {
            Identities identities = ui.identities(call);
            String tokenName = call.field("name");
            try {
                switch (call.field("action")) {
                    case "create-token" -> {
                        secret = identities.appTokens().create(user, tokenName);
                        secretFor = tokenName;
                        frame = frame.withNotice("Application token " + tokenName + " was created.");
                    }
                    case "revoke-token" -> {
                        identities.appTokens().revoke(user, tokenName);
                        frame = frame.withNotice("Application token " + tokenName + " was revoked.");
                    }
                    case "create-robot", "regenerate-robot", "delete-robot" -> {
                        OrganizationPages.RobotChange change = OrganizationPages.changeRobot(identities, user, call);
                        secret = change.token();
                        secretFor = change.robot();
                        frame = frame.withNotice(change.notice());
                    }
                    case "password" -> {
                        if (!(ui.auth.signIn(user, call.field("current"), call.ex().remoteAddress(), call.userAgent())
                                instanceof Auth.SignIn.Ok)) {
                            throw BollardException.invalid("the current password is not right");
                        }
                        identities.users().resetPassword(user, call.field("password"));
                        frame = frame.withNotice("Your password was changed.");
                    }
                    default -> throw BollardException.invalid("unknown action");
                }
            } catch (BollardException e) {
                frame = Ui.refused(frame, e, call.form());
                status = 400;
            }
        }
        ui.render(call, status, "settings.jte", frame, new Pages.Settings(user, ui.auth.identities().appTokens().list(user),
                ui.auth.identities().robots().list(user), ui.auth.identities().organizations().list(user, null, Ui.LIST_LIMIT),
                secret,
                secretFor));
    }

    void admin(Call call) throws IOException {
        if (!ui.permits(call, Permission.SUPERUSER, null)) {
            ui.problem(call.ex(), call.frame(), 403, "Only superusers may administer users.");
            return;
        }
        Frame frame = call.frame().titled("Administration", "admin");
        int status = 200;
        if (call.isPost()) {
            Identities identities = ui.identities(call);
            String user = call.field("user");
            try {
                switch (call.field("action")) {
                    case "create-user" -> {
                        identities.users().create(user, call.field("password"), call.field("superuser").equals("on"));
                        frame = frame.withNotice("User " + user + " was created.");
                    }
                    case "superuser" -> {
                        boolean on = call.field("superuser").equals("true");
                        if (!on && user.equals(call.user().name())) {
                            throw BollardException.invalid("you cannot take away your own superuser role; "
                                    + "ask another superuser");
                        }
                        identities.users().setSuperuser(user, on);
                        frame = frame.withNotice(user + (on ? " is now a superuser." : " is no longer a superuser."));
                    }
                    case "delete-user" -> {
                        if (user.equals(call.user().name())) {
                            throw BollardException.invalid("you cannot delete yourself; ask another superuser");
                        }
                        identities.users().delete(user);
                        frame = frame.withNotice("User " + user + " was deleted.");
                    }
                    case "password" -> {
                        identities.users().resetPassword(user, call.field("password"));
                        frame = frame.withNotice("The password of " + user + " was reset; their refresh tokens "
                                + "were revoked.");
                    }
                    default -> throw BollardException.invalid("unknown action");
                }
            } catch (BollardException e) {
                frame = Ui.refused(frame, e, call.form());
                status = 400;
            }
        }
        ui.render(call, status, "admin.jte", frame, new Pages.Admin(ui.auth.identities().users().list(null, Ui.LIST_LIMIT),
                ui.auth.identities().organizations().list(null, null, Ui.LIST_LIMIT)));
    }

    /** The audit log with filters, newest first: the registry's (superusers) or one organization's ({@code org}). */
    void auditLog(Call call, @Nullable String org) throws IOException {
        if (org == null && !ui.permits(call, Permission.SUPERUSER, null)) {
            ui.problem(call.ex(), call.frame(), 403, "Only superusers may read the registry's audit log; owners and "
                    + "administrators of an organization read its own on the organization's page.");
            return;
        }
        Exchange ex = call.ex();
        String actor = blankToNull(ex.query("actor"));
        String action = blankToNull(ex.query("action"));
        String repository = blankToNull(ex.query("repository"));
        String since = blankToNull(ex.query("since"));
        String until = blankToNull(ex.query("until"));
        Frame frame = call.frame().titled(org == null ? "Audit log" : "Audit log of " + org,
                org == null ? "audit" : "dashboard");
        Long sinceMillis;
        Long untilMillis;
        Long before;
        try {
            sinceMillis = since == null ? null : day(since).toEpochMilli();
            untilMillis = until == null ? null : day(until).plus(java.time.Duration.ofDays(1)).toEpochMilli();
            before = blankToNull(ex.query("before")) == null ? null : Long.parseLong(ex.query("before"));
        } catch (java.time.format.DateTimeParseException | NumberFormatException e) {
            ui.render(call, 400, "audit.jte", frame.withError("Dates are written as 2026-01-31."),
                    new Pages.Audit(org, actor, action, repository, since, until, List.of(), null));
            return;
        }
        List<AuditDao.Entry> entries = ui.audit.query(new AuditDao.Filter(actor, action, org, repository, sinceMillis,
                untilMillis), before, AccountPages.AUDIT_PAGE + 1);
        Long next = entries.size() > AccountPages.AUDIT_PAGE ? entries.get(AccountPages.AUDIT_PAGE - 1).seq() : null;
        ui.render(call, 200, "audit.jte", frame, new Pages.Audit(org, actor, action, repository, since, until,
                entries.subList(0, Math.min(AccountPages.AUDIT_PAGE, entries.size())), next));
    }

    private static java.time.Instant day(String date) {
        return java.time.LocalDate.parse(date).atStartOfDay(java.time.ZoneOffset.UTC).toInstant();
    }

    private static @Nullable String blankToNull(@Nullable String s) {
        return s == null || s.isBlank() ? null : s.trim();
    }
}
