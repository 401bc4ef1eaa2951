package dev.bollard.http.api;

import static dev.bollard.auth.Permission.AUTHENTICATED;
import static dev.bollard.auth.Permission.ORG_ADMIN;
import static dev.bollard.auth.Permission.ORG_MEMBER;
import static dev.bollard.auth.Permission.SELF;
import static dev.bollard.auth.Permission.SUPERUSER;
import static dev.bollard.auth.Permission.USER;
import static dev.bollard.http.api.ManagementApi.PREFIX;

import dev.bollard.auth.Auth;
import dev.bollard.auth.Organizations;
import dev.bollard.auth.Principal;
import dev.bollard.auth.Users;
import dev.bollard.error.BollardException;
import dev.bollard.error.ErrorCode;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Users, their application tokens, organizations and their members. */
final class AccountEndpoints implements ApiEndpoints {
    private final ApiServices services;

    AccountEndpoints(ApiServices services) {
        this.services = services;
    }

    @Override
    public List<ApiRoute> routes() {
        return List.of(
                ApiRoute.get(PREFIX + "/me", AUTHENTICATED, "Who the caller is", this::me),
                ApiRoute.get(PREFIX + "/users", SUPERUSER, "List users", this::listUsers),
                ApiRoute.post(PREFIX + "/users", SUPERUSER, "Create a user: {name, password, superuser}", this::createUser),
                ApiRoute.get(PREFIX + "/users/{user}", SELF, "Describe a user", this::describeUser),
                ApiRoute.patch(PREFIX + "/users/{user}", SUPERUSER, "Change a user: {superuser}", this::updateUser),
                ApiRoute.delete(PREFIX + "/users/{user}", SUPERUSER, "Delete a user", this::deleteUser),
                ApiRoute.put(PREFIX + "/users/{user}/password", SELF,
                        "Set a user's password: {password, current_password}", this::setPassword),
                ApiRoute.get(PREFIX + "/users/{user}/tokens", SELF, "List a user's application tokens", this::listTokens),
                ApiRoute.post(PREFIX + "/users/{user}/tokens", SELF,
                        "Create an application token: {name}; the token is in the answer, once", this::createToken),
                ApiRoute.delete(PREFIX + "/users/{user}/tokens/{token}", SELF, "Revoke an application token",
                        this::revokeToken),
                ApiRoute.get(PREFIX + "/organizations", USER,
                        "List organizations (the caller's; a superuser's: all)", this::listOrganizations),
                ApiRoute.post(PREFIX + "/organizations", USER, "Create an organization owned by the caller: {name}",
                        this::createOrganization),
                ApiRoute.get(PREFIX + "/organizations/{org}", ORG_MEMBER, "Describe an organization",
                        this::describeOrganization),
                ApiRoute.delete(PREFIX + "/organizations/{org}", ORG_ADMIN,
                        "Delete an organization (it must have no repositories)", this::deleteOrganization),
                ApiRoute.get(PREFIX + "/organizations/{org}/members", ORG_MEMBER, "List an organization's members",
                        this::listMembers),
                ApiRoute.put(PREFIX + "/organizations/{org}/members/{user}", ORG_ADMIN,
                        "Add a member or change their role: {role: owner|admin|member}", this::setMember),
                ApiRoute.delete(PREFIX + "/organizations/{org}/members/{user}", ORG_ADMIN,
                        "Remove a member (and from the organization's teams)", this::removeMember));
    }

    private void me(ApiCall call) throws IOException {
        Map<String, Object> me = new LinkedHashMap<>();
        switch (call.caller()) {
            case Principal.User u -> {
                me.put("kind", "user");
                me.put("name", u.name());
                me.put("superuser", u.superuser());
            }
            case Principal.Robot r -> {
                me.put("kind", "robot");
                me.put("name", r.name());
            }
            case Principal.Anonymous a -> me.put("kind", "anonymous");
        }
        call.send(200, me);
    }

    static Map<String, Object> user(Users.AccountInfo u) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", u.name());
        m.put("superuser", u.superuser());
        return m;
    }

    private void listUsers(ApiCall call) throws IOException {
        call.sendPage(services.identities().users().list(call.cursor(), call.limit() + 1), Users.AccountInfo::name,
                AccountEndpoints::user);
    }

    private void createUser(ApiCall call) throws IOException {
        String name = call.text("name");
        String password = call.text("password");
        boolean superuser = Boolean.TRUE.equals(call.optionalBoolean("superuser"));
        services.identitiesAs(call).users().create(name, password, superuser);
        call.send(201, user(new Users.AccountInfo(name, superuser)));
    }

    private Users.AccountInfo requireUser(String name) {
        return services.identities().users().find(name)
                .orElseThrow(() -> BollardException.notFound("no user '" + name + "'"));
    }

    private void describeUser(ApiCall call) throws IOException {
        call.send(200, user(requireUser(call.param("user"))));
    }

    private void updateUser(ApiCall call) throws IOException {
        String name = call.param("user");
        Boolean superuser = call.optionalBoolean("superuser");
        requireUser(name);
        if (superuser != null) {
            services.identitiesAs(call).users().setSuperuser(name, superuser);
        }
        call.send(200, user(requireUser(name)));
    }

    private void deleteUser(ApiCall call) {
        String name = call.param("user");
        if (call.caller() instanceof Principal.User u && u.name().equals(name)) {
            throw BollardException.conflict("a superuser cannot delete their own account");
        }
        services.identitiesAs(call).users().delete(name);
        call.noContent();
    }

    /**
     * A user changing their own password proves they know the current one: an application token (what scripts hold)
     * must not be enough to take the account over.
     */
    private void setPassword(ApiCall call) throws IOException {
        String password = call.text("password");
        if (!call.user().superuser() && services.auth() != null) {
            String current = call.text("current_password");
            switch (services.auth().confirmPassword(call.param("user"), current, call.exchange().remoteAddress(),
                    call.exchange().header("User-Agent"))) {
                case Auth.LoginResult.Ok ok -> { }
                case Auth.LoginResult.Failed f -> throw new BollardException(ErrorCode.DENIED, f.message());
                case Auth.LoginResult.Locked l -> throw BollardException.throttled(ErrorCode.TOO_MANY_REQUESTS,
                        l.message(), l.retryAfterSeconds());
            }
        }
        services.identitiesAs(call).users().resetPassword(call.param("user"), password);
        call.noContent();
    }

    private void listTokens(ApiCall call) throws IOException {
        call.sendAll(services.identities().appTokens().list(call.param("user")), t -> t, t -> Map.of("name", t));
    }

    private void createToken(ApiCall call) throws IOException {
        String name = call.text("name");
        String token = services.identitiesAs(call).appTokens().create(call.param("user"), name);
        call.send(201, Map.of("name", name, "token", token));
    }

    private void revokeToken(ApiCall call) {
        if (!services.identitiesAs(call).appTokens().revoke(call.param("user"), call.param("token"))) {
            throw BollardException.notFound("no application token '" + call.param("token") + "'");
        }
        call.noContent();
    }

    private void listOrganizations(ApiCall call) throws IOException {
        Principal.User u = call.user();
        call.sendPage(services.identities().organizations().list(u.superuser() ? null : u.name(), call.cursor(),
                call.limit() + 1), o -> o, o -> Map.of("name", o));
    }

    private void createOrganization(ApiCall call) throws IOException {
        String name = call.text("name");
        services.identitiesAs(call).organizations().create(name, call.user().name());
        call.send(201, Map.of("name", name));
    }

    private String requireOrganization(ApiCall call) {
        String org = call.param("org");
        if (!services.identities().organizations().exists(org)) {
            throw BollardException.notFound("no organization '" + org + "'");
        }
        return org;
    }

    private void describeOrganization(ApiCall call) throws IOException {
        call.send(200, Map.of("name", requireOrganization(call)));
    }

    private void deleteOrganization(ApiCall call) {
        services.identitiesAs(call).organizations().delete(requireOrganization(call));
        call.noContent();
    }

    private void listMembers(ApiCall call) throws IOException {
        call.sendPage(services.identities().organizations().members(call.param("org"), call.cursor(), call.limit() + 1),
                Organizations.MemberInfo::name, m -> Map.of("name", m.name(), "role", m.role()));
    }

    private void setMember(ApiCall call) throws IOException {
        String role = call.oneOf("role", List.of("owner", "admin", "member"));
        services.identitiesAs(call).organizations().setMember(call.param("org"), call.param("user"), role);
        call.send(200, Map.of("name", call.param("user"), "role", role));
    }

    private void removeMember(ApiCall call) {
        if (!services.identitiesAs(call).organizations().removeMember(call.param("org"), call.param("user"))) {
            throw BollardException.notFound(call.param("user") + " is not a member of " + call.param("org"));
        }
        call.noContent();
    }
}
