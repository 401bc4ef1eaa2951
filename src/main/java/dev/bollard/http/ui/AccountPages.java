package dev.bollard.http.ui;

import dev.bollard.auth.Auth;
import dev.bollard.auth.Identities;
import dev.bollard.auth.Permission;
import dev.bollard.error.BollardException;
import dev.bollard.registry.Activity;
import java.io.IOException;

/** A user's own settings, and the administration of users (superusers). */
final class AccountPages {
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
                        RobotChange change = RobotChange.apply(identities, user, call);
                        secret = change.token();
                        secretFor = change.robot();
                        frame = frame.withNotice(change.notice());
                    }
                    case "password" -> {
                        if (!(ui.auth.signIn(user, call.field("current"), call.ex().remoteAddress(), call.userAgent())
                                instanceof Auth.SignIn.Ok)) {
                            throw BollardException.invalid("the current password is not right");
                        }
                        identities.users().changeOwnPassword(user, call.field("password"),
                                call.ex().cookie(UiHandler.SESSION_COOKIE));
                        frame = frame.withNotice("Your password was changed; you were signed out everywhere else.");
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
            ui.problem(call, 403, "Only superusers may administer users.");
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
                        frame = frame.withNotice("The password of " + user + " was reset; they were signed out "
                                + "everywhere and their refresh tokens were revoked.");
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

    /** The registry's usage, for superusers: storage per namespace, and pushes and pulls of the whole registry. */
    void usage(Call call) throws IOException {
        if (!ui.permits(call, Permission.SUPERUSER, null)) {
            ui.problem(call, 403, "Only superusers may see the registry's usage.");
            return;
        }
        Activity activity = ui.registry.activity();
        ui.render(call, 200, "admin_usage.jte", call.frame().titled("Usage of the registry", "admin"),
                new Pages.RegistryUsage(activity.storageByNamespace(),
                        new Pages.ActivityChart("activity", "the registry", activity.daily(Activity.Scope.REGISTRY))));
    }
}
