package dev.bollard.http.api;

import static dev.bollard.auth.Permission.PUBLIC;
import static dev.bollard.auth.Permission.REPO_ADMIN;
import static dev.bollard.auth.Permission.REPO_CREATE;
import static dev.bollard.auth.Permission.REPO_READ;
import static dev.bollard.http.api.ManagementApi.PREFIX;

import dev.bollard.auth.RepositoryAccess;
import dev.bollard.error.BollardException;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Repositories (create, describe, list, visibility, delete) and their permissions. */
final class RepositoryEndpoints implements ApiEndpoints {
    private final ApiServices services;

    RepositoryEndpoints(ApiServices services) {
        this.services = services;
    }

    @Override
    public List<ApiRoute> routes() {
        String repo = PREFIX + "/repositories/{repository*}";
        return List.of(
                ApiRoute.get(PREFIX + "/repositories", PUBLIC,
                        "List the repositories the caller may see (empty ones too); ?namespace= narrows", this::list),
                ApiRoute.put(repo, REPO_CREATE, "Create an empty repository: {visibility: private|public}; 201",
                        this::create),
                ApiRoute.get(repo, REPO_READ, "Describe a repository", this::describe),
                ApiRoute.patch(repo, REPO_ADMIN, "Change a repository: {visibility: private|public}", this::update),
                ApiRoute.delete(repo, REPO_ADMIN, "Delete a repository with all its tags and manifests", this::delete),
                ApiRoute.get(repo + "/-/permissions", REPO_ADMIN, "List who is granted what on a repository",
                        this::listPermissions),
                ApiRoute.put(repo + "/-/permissions/{kind}/{grantee}", REPO_ADMIN,
                        "Grant {role: read|write|admin} to a user, robot (owner+name) or team of the namespace",
                        this::grant),
                ApiRoute.delete(repo + "/-/permissions/{kind}/{grantee}", REPO_ADMIN, "Revoke a grant", this::revoke));
    }

    static Map<String, Object> repository(RepositoryAccess.RepositoryInfo r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", r.name());
        m.put("visibility", r.visibility());
        m.put("created_at", r.createdAt().toString());
        m.put("tags", r.tags());
        m.put("manifests", r.manifests());
        return m;
    }

    private RepositoryAccess.RepositoryInfo require(ApiCall call) {
        String name = call.param("repository");
        return services.identities().repositories().find(name)
                .orElseThrow(() -> BollardException.notFound("no repository '" + name + "'"));
    }

    private static boolean visibility(ApiCall call, boolean required) throws IOException {
        String v = required ? call.oneOf("visibility", List.of("private", "public")) : call.optionalText("visibility");
        if (v == null) {
            return false;
        }
        if (!v.equals("private") && !v.equals("public")) {
            throw BollardException.invalid("visibility must be private or public, not \"" + v + "\"");
        }
        return v.equals("public");
    }

    private void list(ApiCall call) throws IOException {
        call.sendPage(services.identities().repositories().list(call.visible(), call.query("namespace"), call.cursor(),
                call.limit() + 1), RepositoryAccess.RepositoryInfo::name,
                RepositoryEndpoints::repository);
    }

    private void create(ApiCall call) throws IOException {
        boolean isPublic = visibility(call, false);
        call.send(201, repository(services.identitiesAs(call).repositories().create(call.caller(),
                call.param("repository"), isPublic)));
    }

    private void describe(ApiCall call) throws IOException {
        call.send(200, repository(require(call)));
    }

    private void update(ApiCall call) throws IOException {
        require(call);
        boolean isPublic = visibility(call, true);
        services.identitiesAs(call).repositories().changeVisibility(call.param("repository"), isPublic);
        call.send(200, repository(require(call)));
    }

    private void delete(ApiCall call) {
        services.identitiesAs(call).repositories().delete(call.param("repository"));
        call.noContent();
    }

    private void listPermissions(ApiCall call) throws IOException {
        call.sendAll(services.identities().repositories().grants(call.param("repository")),
                g -> g.kind() + "/" + g.name(), TeamEndpoints::grant);
    }

    private void grant(ApiCall call) throws IOException {
        String role = call.oneOf("role", TeamEndpoints.ROLES);
        String kind = TeamEndpoints.kind(call);
        services.identitiesAs(call).repositories().grant(call.param("repository"), kind, call.param("grantee"), role);
        call.send(200, TeamEndpoints.grant(new RepositoryAccess.GrantInfo(kind, call.param("grantee"), role)));
    }

    private void revoke(ApiCall call) {
        if (!services.identitiesAs(call).repositories().revoke(call.param("repository"), TeamEndpoints.kind(call),
                call.param("grantee"))) {
            throw BollardException.notFound("no grant to " + call.param("kind") + " " + call.param("grantee"));
        }
        call.noContent();
    }
}
