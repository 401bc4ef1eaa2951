package dev.bollard.http.ui;

import dev.bollard.auth.Identities;
import dev.bollard.auth.Organizations;
import dev.bollard.auth.Permission;
import dev.bollard.auth.Principal;
import dev.bollard.auth.Teams;
import dev.bollard.error.BollardException;
import dev.bollard.registry.Retention;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The dashboard and the organization pages: members, teams, default permissions, robots. */
final class OrganizationPages {
    private final Ui ui;
    private final LifecycleForms lifecycle;
    private final AuditPages audit;

    OrganizationPages(Ui ui, LifecycleForms lifecycle, AuditPages audit) {
        this.ui = ui;
        this.lifecycle = lifecycle;
        this.audit = audit;
    }

    void dashboard(Call call) throws IOException {
        Principal.User user = call.user();
        List<Pages.Namespace> namespaces = new ArrayList<>();
        namespaces.add(new Pages.Namespace(user.name(), false));
        ui.auth.identities().organizations().list(user.superuser() ? null : user.name(), null, Ui.LIST_LIMIT)
                .forEach(o -> namespaces.add(new Pages.Namespace(o, true)));
        List<Pages.RepositoryRow> recent = new ArrayList<>(ui.repositories(user, "", Ui.LIST_LIMIT));
        recent.sort((a, b) -> b.lastPush().compareTo(a.lastPush()));
        ui.render(call, 200, "dashboard.jte", call.frame().titled("Dashboard", "dashboard"),
                new Pages.Dashboard(namespaces, recent.subList(0, Math.min(10, recent.size()))));
    }

    void createOrganization(Call call) throws IOException {
        if (!call.isPost()) {
            Ui.redirect(call.ex(), "/");
            return;
        }
        String name = call.field("name");
        try {
            ui.identities(call).organizations().create(name, call.user().name());
        } catch (BollardException e) {
            dashboard(call.withFrame(Ui.refused(call.frame(), e, Map.of())));
            return;
        }
        Ui.redirect(call.ex(), "/org/" + Format.url(name));
    }

    void organization(Call call, String rest) throws IOException {
        String path = Ui.stripSlash(rest);
        boolean auditPage = path.endsWith("/audit");
        String name = auditPage ? path.substring(0, path.length() - "/audit".length()) : path;
        if (!ui.auth.identities().organizations().exists(name) || !ui.permits(call, Permission.ORG_MEMBER, name)) {
            ui.problem(call, 404, "There is no organization " + name + ", or you are not a member.");
            return;
        }
        boolean manages = ui.permits(call, Permission.ORG_ADMIN, name);
        if (auditPage) {
            if (!manages) {
                ui.problem(call, 403, "Only owners and administrators of " + name
                        + " may read its audit log.");
                return;
            }
            audit.auditLog(call, name);
            return;
        }
        Frame frame = call.frame().titled(name, "dashboard");
        String secret = null;
        String secretFor = null;
        int status = 200;
        if (call.isPost()) {
            if (!manages) {
                ui.problem(call, 403, "Only owners and administrators of " + name + " may change it.");
                return;
            }
            Identities identities = ui.identities(call);
            String user = call.field("user");
            String team = call.field("team");
            try {
                switch (call.field("action")) {
                    case "add-member" -> {
                        identities.organizations().setMember(name, user, call.field("role"));
                        frame = frame.withNotice(user + " is now " + article(call.field("role")) + " of " + name
                                + ".");
                    }
                    case "remove-member" -> {
                        identities.organizations().removeMember(name, user);
                        frame = frame.withNotice(user + " is no longer a member of " + name + ".");
                    }
                    case "delete-organization" -> {
                        if (!call.field("confirm").equals(name)) {
                            throw BollardException.invalid("type the organization's name, " + name
                                    + ", to confirm its deletion");
                        }
                        identities.organizations().delete(name);
                        Ui.redirect(call.ex(), "/");
                        return;
                    }
                    case "set-quota" -> {
                        if (!ui.permits(call, Permission.SUPERUSER, null)) {
                            throw BollardException.invalid("only superusers set quotas");
                        }
                        frame = frame.withNotice(lifecycle.setQuota(call, name));
                    }
                    case "set-window" -> frame = frame.withNotice(lifecycle.setWindow(call, name));
                    case "add-retention" -> frame = frame.withNotice(
                            lifecycle.addRetention(call, Retention.Scope.NAMESPACE, name));
                    case "delete-retention" -> frame = frame.withNotice(lifecycle.deleteRetention(call, name));
                    case "create-team" -> {
                        identities.teams().create(name, team, call.field("role"), call.field("description"));
                        frame = frame.withNotice("Team " + team + " was created.");
                    }
                    case "delete-team" -> {
                        identities.teams().delete(name, team);
                        frame = frame.withNotice("Team " + team + " was deleted.");
                    }
                    case "add-team-member" -> {
                        identities.teams().addMember(name, team, user);
                        frame = frame.withNotice(user + " is now in team " + team + ".");
                    }
                    case "remove-team-member" -> {
                        identities.teams().removeMember(name, team, user);
                        frame = frame.withNotice(user + " is no longer in team " + team + ".");
                    }
                    case "set-default" -> {
                        identities.repositories().setDefaultPermission(name, call.field("kind"), call.field("grantee"),
                                call.field("role"));
                        frame = frame.withNotice("New repositories of " + name + " will grant " + call.field("role")
                                + " to the " + call.field("kind") + " " + call.field("grantee") + ".");
                    }
                    case "remove-default" -> {
                        identities.repositories().removeDefaultPermission(name, call.field("kind"), call.field("grantee"));
                        frame = frame.withNotice("The default permission of the " + call.field("kind") + " "
                                + call.field("grantee") + " was removed.");
                    }
                    default -> {
                        RobotChange change = RobotChange.apply(identities, name, call);
                        secret = change.token();
                        secretFor = change.robot();
                        frame = frame.withNotice(change.notice());
                    }
                }
            } catch (BollardException e) {
                frame = Ui.refused(frame, e, call.form());
                status = 400;
            }
        }
        List<Organizations.MemberInfo> members = ui.auth.identities().organizations().members(name, null, Ui.LIST_LIMIT);
        String role = members.stream().filter(m -> m.name().equals(call.user().name())).map(Organizations.MemberInfo::role)
                .findFirst().orElse(call.user().superuser() ? "superuser" : "member through a team");
        List<Pages.Team> teams = new ArrayList<>();
        for (Teams.TeamInfo t : ui.auth.identities().teams().list(name, null, Ui.LIST_LIMIT)) {
            teams.add(new Pages.Team(t, ui.auth.identities().teams().members(name, t.name(), null, Ui.LIST_LIMIT)));
        }
        List<Pages.RepositoryRow> repositories = ui.repositories(call.user(), name + "/", Ui.LIST_LIMIT).stream()
                .filter(r -> r.name().startsWith(name + "/")).toList();
        ui.render(call, status, "organization.jte", frame, new Pages.Organization(name, role, manages, members, teams,
                manages ? ui.auth.identities().repositories().defaultPermissions(name) : List.of(),
                manages ? ui.auth.identities().robots().list(name) : List.of(), repositories,
                manages ? lifecycle.of(name) : null, secret, secretFor));
    }

    /** "an owner", "an admin", "a member". */
    private static String article(String role) {
        return (role.startsWith("a") || role.startsWith("o") ? "an " : "a ") + role;
    }
}
