package dev.bollard.http.ui;

import dev.bollard.auth.Identities;
import dev.bollard.auth.Organizations;
import dev.bollard.auth.Permission;
import dev.bollard.auth.Principal;
import dev.bollard.auth.Teams;
import dev.bollard.error.BollardException;
import dev.bollard.events.WebhookScope;
import dev.bollard.registry.Activity;
import dev.bollard.registry.Retention;
import dev.bollard.scan.policy.PolicyScope;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Map;

/** The dashboard and the organization pages: members, teams, default permissions, robots. */
final class OrganizationPages {
    /** The tabs of an organization's page after its name; the repositories are at the name itself. */
    private static final List<String> TABS = List.of("teams", "robots", "usage", "settings", "audit");
    /** The tabs only owners and administrators see. */
    private static final List<String> MANAGERS_TABS = List.of("robots", "usage", "settings", "audit");
    private final Ui ui;
    private final LifecycleForms lifecycle;
    private final AuditPages audit;
    private final WebhookPages webhooks;
    private final ScanPages scans;
    private final RobotPages robots;
    private final UpstreamPages upstreams;

    OrganizationPages(Ui ui, LifecycleForms lifecycle, AuditPages audit, WebhookPages webhooks, ScanPages scans,
                      RobotPages robots, UpstreamPages upstreams) {
        this.ui = ui;
        this.upstreams = upstreams;
        this.robots = robots;
        this.scans = scans;
        this.webhooks = webhooks;
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

    /**
     * The organizations the user can see (a superuser: all of them), with the user's role, the number of
     * repositories and their size; a POST creates one.
     */
    void organizations(Call call) throws IOException {
        if (call.isPost()) {
            createOrganization(call);
            return;
        }
        Principal.User user = call.user();
        List<Pages.RepositoryRow> visible = ui.repositories(user, "", Ui.LIST_LIMIT * 5);
        List<Pages.OrganizationRow> rows = new ArrayList<>();
        for (String org : ui.auth.identities().organizations().list(user.superuser() ? null : user.name(), null,
                Ui.LIST_LIMIT)) {
            List<Pages.RepositoryRow> repos = visible.stream().filter(r -> r.name().startsWith(org + "/")).toList();
            rows.add(new Pages.OrganizationRow(org, roleIn(org, user), repos.size(),
                    repos.stream().mapToLong(Pages.RepositoryRow::size).sum()));
        }
        ui.render(call, 200, "organizations.jte", call.frame().titled("Organizations", "organizations"),
                new Pages.OrganizationList(rows));
    }

    private String roleIn(String org, Principal.User user) {
        return ui.auth.identities().organizations().members(org, null, Ui.LIST_LIMIT).stream()
                .filter(m -> m.name().equals(user.name())).map(Organizations.MemberInfo::role).findFirst()
                .orElse(user.superuser() ? "superuser" : "member through a team");
    }

    void organization(Call call, String rest) throws IOException {
        String path = Ui.stripSlash(rest);
        int slash = path.indexOf('/');
        String name = slash < 0 ? path : path.substring(0, slash);
        String tab = slash < 0 ? "" : path.substring(slash + 1);
        if (!ui.auth.identities().organizations().exists(name) || !ui.permits(call, Permission.ORG_MEMBER, name)) {
            ui.problem(call, 404, "There is no organization " + name + ", or you are not a member.");
            return;
        }
        if (tab.equals("webhooks") || tab.startsWith("webhooks/")) {
            // The permission of /api/v1/namespaces/{namespace}/webhooks, whose service the page uses.
            if (!ui.permits(call, Permission.NAMESPACE_ADMIN, name)) {
                ui.problem(call, 403, "Only owners and administrators of " + name + " may see its webhooks.");
                return;
            }
            webhooks.page(call, new WebhookPages.Place(WebhookScope.namespace(name), name,
                    Pages.organizationTabs(name, true, "webhooks"), "/org/" + Format.url(name) + "/webhooks",
                    "organizations"), tab.substring("webhooks".length()));
            return;
        }
        if (tab.equals("proxy")) {
            // The permission of GET /api/v1/organizations/{org}/proxy; changing it is for superusers (checked there).
            if (!ui.permits(call, Permission.ORG_ADMIN, name)) {
                ui.problem(call, 403, "Only owners and administrators of " + name + " may see its upstream.");
                return;
            }
            upstreams.proxy(call, name);
            return;
        }
        if (tab.startsWith("robots/")) { // one robot's page: its trusted issuers and client certificates
            robots.page(call, new RobotPages.Place(name, Pages.organizationTabs(name, true, "robots"),
                    "/org/" + Format.url(name) + "/robots", "organizations"), tab.substring("robots/".length()));
            return;
        }
        if (!tab.isEmpty() && !TABS.contains(tab)) {
            ui.problem(call, 404, "There is no page at " + call.path() + ".");
            return;
        }
        boolean manages = ui.permits(call, Permission.ORG_ADMIN, name);
        if (!manages && (MANAGERS_TABS.contains(tab) || call.isPost())) {
            ui.problem(call, 403, "Only owners and administrators of " + name + (tab.equals("audit")
                    ? " may read its audit log." : call.isPost() ? " may change it." : " may see its " + tab + "."));
            return;
        }
        if (tab.equals("audit")) {
            audit.auditLog(call, name);
            return;
        }
        if (tab.isEmpty()) { // a form sent to the organization's own address: the tab that holds it
            tab = call.isPost() ? tabOf(call.field("action")) : "repositories";
        }
        Frame frame = call.frame().titled(name, "organizations");
        String secret = null;
        String secretFor = null;
        int status = 200;
        if (call.isPost()) {
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
                    case String a when ScanPages.isPolicyAction(a) -> frame = frame.withNotice(
                            scans.change(call, PolicyScope.organization(name)));
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
                    case "bind-ldap-group" -> {
                        identities.directoryTeams().bind(name, team, call.field("group_dn"),
                                call.field("member_attribute").isEmpty() ? "member" : call.field("member_attribute"));
                        frame = frame.withNotice("Team " + team + " now follows the LDAP group " + call.field("group_dn")
                                + ": its directory users join and leave it at each login and sync.");
                    }
                    case "unbind-ldap-group" -> {
                        if (!identities.directoryTeams().unbind(name, team)) {
                            throw BollardException.notFound("team " + team + " is not bound to a directory group");
                        }
                        frame = frame.withNotice("Team " + team + " no longer follows an LDAP group; its members stay.");
                    }
                    case "bind-oidc-group" -> {
                        identities.directoryTeams().bindClaim(name, team, call.field("provider"), call.field("group"));
                        frame = frame.withNotice("Team " + team + " now follows the group " + call.field("group")
                                + " of OIDC provider " + call.field("provider") + ": its users join and leave it at "
                                + "each sign-in through it.");
                    }
                    case "unbind-oidc-group" -> {
                        if (!identities.directoryTeams().unbindClaim(name, team)) {
                            throw BollardException.notFound("team " + team + " is not bound to an OIDC group");
                        }
                        frame = frame.withNotice("Team " + team + " no longer follows an OIDC group; its members stay.");
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
        String role = roleIn(name, call.user());
        List<Pages.Team> teams = new ArrayList<>();
        for (Teams.TeamInfo t : ui.auth.identities().teams().list(name, null, Ui.LIST_LIMIT)) {
            teams.add(new Pages.Team(t, ui.auth.identities().teams().members(name, t.name(), null, Ui.LIST_LIMIT),
                    ui.auth.identities().directoryTeams().binding(name, t.name()).orElse(null),
                    ui.auth.identities().directoryTeams().claimBinding(name, t.name()).orElse(null)));
        }
        // ?label=key=value (or a word, or a key) narrows the list to the repositories that have the label.
        String label = Optional.ofNullable(call.ex().query("label")).map(String::strip).orElse("");
        List<Pages.RepositoryRow> repositories = ui.repositories(call.user(), name + "/", Ui.LIST_LIMIT).stream()
                .filter(r -> r.name().startsWith(name + "/"))
                .filter(r -> label.isEmpty() || r.labels().stream().anyMatch(l -> l.equals(label)
                        || l.startsWith(label + "=")))
                .toList();
        ui.render(call, status, "organization.jte", frame, new Pages.Organization(name, tab, role, manages, members, teams,
                manages ? ui.auth.identities().repositories().defaultPermissions(name) : List.of(),
                manages ? ui.auth.identities().robots().list(name) : List.of(), repositories,
                manages ? lifecycle.of(name) : null, manages ? scans.policy(PolicyScope.organization(name)) : null,
                secret, secretFor, label, tab.equals("usage") ? new Pages.ActivityChart("activity",
                "organization " + name, ui.registry.activity().daily(Activity.Scope.namespace(name))) : null));
    }

    /** The tab whose forms send {@code action}. */
    private static String tabOf(String action) {
        return switch (action) {
            case "set-quota", "set-window", "add-retention", "delete-retention", "delete-organization" -> "settings";
            case String a when ScanPages.isPolicyAction(a) -> "settings";
            case "create-robot", "regenerate-robot", "delete-robot" -> "robots";
            default -> "teams";
        };
    }

    /** "an owner", "an admin", "a member". */
    private static String article(String role) {
        return (role.startsWith("a") || role.startsWith("o") ? "an " : "a ") + role;
    }
}
