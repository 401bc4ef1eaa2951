package dev.bollard.http.api;

import static dev.bollard.auth.Permission.ORG_ADMIN;
import static dev.bollard.auth.Permission.ORG_MEMBER;
import static dev.bollard.http.api.ManagementApi.PREFIX;

import dev.bollard.auth.DirectoryTeams;
import dev.bollard.auth.RepositoryAccess;
import dev.bollard.auth.Teams;
import dev.bollard.error.BollardException;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Teams of an organization, their members, and the organization's default permissions for new repositories. */
final class TeamEndpoints implements ApiEndpoints {
    static final List<String> GRANTEE_KINDS = List.of("user", "robot", "team");
    static final List<String> ROLES = List.of("read", "write", "admin");

    private final ApiServices services;

    TeamEndpoints(ApiServices services) {
        this.services = services;
    }

    @Override
    public List<ApiRoute> routes() {
        String teams = PREFIX + "/organizations/{org}/teams";
        String defaults = PREFIX + "/organizations/{org}/default-permissions";
        return List.of(
                ApiRoute.get(teams, ORG_MEMBER, "List an organization's teams", this::list),
                ApiRoute.post(teams, ORG_ADMIN, "Create a team: {name, role: member|creator|admin, description}",
                        this::create),
                ApiRoute.get(teams + "/{team}", ORG_MEMBER, "Describe a team", this::describe),
                ApiRoute.patch(teams + "/{team}", ORG_ADMIN, "Change a team: {role, description}", this::update),
                ApiRoute.delete(teams + "/{team}", ORG_ADMIN, "Delete a team and what is granted to it", this::delete),
                ApiRoute.get(teams + "/{team}/members", ORG_MEMBER, "List a team's members", this::listMembers),
                ApiRoute.put(teams + "/{team}/members/{user}", ORG_ADMIN,
                        "Add a user (made an organization member) or a robot of the organization to a team",
                        this::addMember),
                ApiRoute.delete(teams + "/{team}/members/{user}", ORG_ADMIN, "Remove a user or robot from a team",
                        this::removeMember),
                ApiRoute.get(teams + "/{team}/directory-group", ORG_MEMBER,
                        "The LDAP group the team follows (404 when it follows none)", this::describeGroup),
                ApiRoute.put(teams + "/{team}/directory-group", ORG_ADMIN,
                        "Bind the team to an LDAP group: {group_dn, member_attribute: member|uniqueMember|memberUid}; "
                                + "its directory users follow the group (nested groups included) from each login and sync",
                        this::bindGroup),
                ApiRoute.delete(teams + "/{team}/directory-group", ORG_ADMIN,
                        "Unbind the team from its LDAP group (its members stay, managed by hand)", this::unbindGroup),
                ApiRoute.get(teams + "/{team}/oidc-group", ORG_MEMBER,
                        "The OIDC groups claim value the team follows, and its provider (404 when it follows none)",
                        this::describeOidcGroup),
                ApiRoute.put(teams + "/{team}/oidc-group", ORG_ADMIN,
                        "Bind the team to a value of an OIDC provider's groups claim: {provider, group}; the provider's "
                                + "users join and leave the team at each sign-in through it", this::bindOidcGroup),
                ApiRoute.delete(teams + "/{team}/oidc-group", ORG_ADMIN,
                        "Unbind the team from its OIDC group (its members stay, managed by hand)", this::unbindOidcGroup),
                ApiRoute.get(defaults, ORG_ADMIN, "List the organization's default permissions for new repositories",
                        this::listDefaults),
                ApiRoute.put(defaults + "/{kind}/{grantee}", ORG_ADMIN,
                        "Set a default permission: {role: read|write|admin} for a user, robot or team", this::setDefault),
                ApiRoute.delete(defaults + "/{kind}/{grantee}", ORG_ADMIN, "Remove a default permission",
                        this::removeDefault));
    }

    static Map<String, Object> team(Teams.TeamInfo t) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", t.name());
        m.put("role", t.role());
        m.put("description", t.description());
        return m;
    }

    static Map<String, Object> grant(RepositoryAccess.GrantInfo g) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("kind", g.kind());
        m.put("name", g.name());
        m.put("role", g.role());
        return m;
    }

    /** The grantee kind of a path, one of {@link #GRANTEE_KINDS}. */
    static String kind(ApiCall call) {
        String kind = call.param("kind");
        if (!GRANTEE_KINDS.contains(kind)) {
            throw BollardException.invalid("a grantee kind is user, robot or team, not '" + kind + "'");
        }
        return kind;
    }

    private void list(ApiCall call) throws IOException {
        call.sendPage(services.identities().teams().list(call.param("org"), call.cursor(), call.limit() + 1),
                Teams.TeamInfo::name, TeamEndpoints::team);
    }

    private void create(ApiCall call) throws IOException {
        String name = call.text("name");
        String role = call.oneOf("role", List.of("member", "creator", "admin"));
        String description = call.optionalText("description");
        services.identitiesAs(call).teams().create(call.param("org"), name, role, description);
        call.send(201, team(services.identities().teams().get(call.param("org"), name)));
    }

    private void describe(ApiCall call) throws IOException {
        call.send(200, team(services.identities().teams().get(call.param("org"), call.param("team"))));
    }

    private void update(ApiCall call) throws IOException {
        String role = call.optionalText("role");
        services.identitiesAs(call).teams().update(call.param("org"), call.param("team"), role,
                call.optionalText("description"));
        call.send(200, team(services.identities().teams().get(call.param("org"), call.param("team"))));
    }

    private void delete(ApiCall call) {
        services.identitiesAs(call).teams().delete(call.param("org"), call.param("team"));
        call.noContent();
    }

    private void listMembers(ApiCall call) throws IOException {
        call.sendPage(services.identities().teams().members(call.param("org"), call.param("team"), call.cursor(),
                call.limit() + 1), m -> m, m -> Map.of("name", m));
    }

    private void addMember(ApiCall call) {
        services.identitiesAs(call).teams().addMember(call.param("org"), call.param("team"), call.param("user"));
        call.noContent();
    }

    private void removeMember(ApiCall call) {
        if (!services.identitiesAs(call).teams().removeMember(call.param("org"), call.param("team"),
                call.param("user"))) {
            throw BollardException.notFound(call.param("user") + " is not in team " + call.param("team"));
        }
        call.noContent();
    }

    static Map<String, Object> binding(DirectoryTeams.Binding b) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("team", b.team());
        m.put("group_dn", b.groupDn());
        m.put("member_attribute", b.memberAttribute());
        return m;
    }

    private void describeGroup(ApiCall call) throws IOException {
        call.send(200, binding(services.identities().directoryTeams().binding(call.param("org"), call.param("team"))
                .orElseThrow(() -> BollardException.notFound("team " + call.param("team")
                        + " is not bound to a directory group"))));
    }

    private void bindGroup(ApiCall call) throws IOException {
        String groupDn = call.text("group_dn");
        String attribute = call.optionalText("member_attribute");
        services.identitiesAs(call).directoryTeams().bind(call.param("org"), call.param("team"), groupDn,
                attribute == null ? "member" : attribute);
        describeGroup(call);
    }

    private void unbindGroup(ApiCall call) {
        if (!services.identitiesAs(call).directoryTeams().unbind(call.param("org"), call.param("team"))) {
            throw BollardException.notFound("team " + call.param("team") + " is not bound to a directory group");
        }
        call.noContent();
    }

    private void describeOidcGroup(ApiCall call) throws IOException {
        DirectoryTeams.Binding b = services.identities().directoryTeams().claimBinding(call.param("org"),
                call.param("team")).orElseThrow(() -> BollardException.notFound("team " + call.param("team")
                        + " is not bound to an OIDC group"));
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("team", b.team());
        m.put("provider", b.memberAttribute()); // a claim binding holds the provider where an LDAP one has the attribute
        m.put("group", b.groupDn());
        call.send(200, m);
    }

    private void bindOidcGroup(ApiCall call) throws IOException {
        // A provider not configured (yet) is accepted, as by the CLI: teams can be bound before a provider is enabled.
        services.identitiesAs(call).directoryTeams().bindClaim(call.param("org"), call.param("team"),
                call.text("provider"), call.text("group"));
        describeOidcGroup(call);
    }

    private void unbindOidcGroup(ApiCall call) {
        if (!services.identitiesAs(call).directoryTeams().unbindClaim(call.param("org"), call.param("team"))) {
            throw BollardException.notFound("team " + call.param("team") + " is not bound to an OIDC group");
        }
        call.noContent();
    }

    private void listDefaults(ApiCall call) throws IOException {
        call.sendAll(services.identities().repositories().defaultPermissions(call.param("org")),
                g -> g.kind() + "/" + g.name(), TeamEndpoints::grant);
    }

    private void setDefault(ApiCall call) throws IOException {
        String role = call.oneOf("role", ROLES);
        services.identitiesAs(call).repositories().setDefaultPermission(call.param("org"), kind(call),
                call.param("grantee"), role);
        call.send(200, grant(new RepositoryAccess.GrantInfo(kind(call), call.param("grantee"), role)));
    }

    private void removeDefault(ApiCall call) {
        if (!services.identitiesAs(call).repositories().removeDefaultPermission(call.param("org"), kind(call),
                call.param("grantee"))) {
            throw BollardException.notFound("no default permission for " + kind(call) + " " + call.param("grantee"));
        }
        call.noContent();
    }
}
