package dev.bollard.http.api;

import static dev.bollard.auth.Permission.PUBLIC;
import static dev.bollard.auth.Permission.REPO_ADMIN;
import static dev.bollard.auth.Permission.REPO_CREATE;
import static dev.bollard.auth.Permission.REPO_READ;
import static dev.bollard.http.api.ManagementApi.PREFIX;

import dev.bollard.auth.RepositoryAccess;
import dev.bollard.error.BollardException;
import dev.bollard.oci.RepositoryName;
import dev.bollard.registry.PullStats;
import dev.bollard.registry.RepositoryAbout;
import java.io.IOException;
import java.time.LocalDate;
import java.time.ZoneOffset;
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
                        "List the repositories the caller may see (empty ones too); ?namespace= narrows to a namespace, "
                                + "?label=key=value (or ?label=key, a key or plain word) to those with the label",
                        this::list),
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
                ApiRoute.delete(repo + "/-/permissions/{kind}/{grantee}", REPO_ADMIN, "Revoke a grant", this::revoke),
                ApiRoute.get(repo + "/-/description", REPO_READ, "A repository's description (Markdown)",
                        this::description),
                ApiRoute.put(repo + "/-/description", REPO_ADMIN,
                        "Set a repository's description: {description: Markdown, at most 32768 characters}",
                        this::setDescription),
                ApiRoute.get(repo + "/-/labels", REPO_READ, "A repository's labels", this::labels),
                ApiRoute.put(repo + "/-/labels", REPO_ADMIN,
                        "Replace a repository's labels: {labels: [\"key=value\" or \"word\", …]}, at most 20",
                        this::setLabels),
                ApiRoute.get(repo + "/-/pulls", REPO_READ,
                        "Pull counts: the repository's, its tags', and per day for the last 30 days", this::pulls));
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

    /** A repository with its labels and pull count (flushed so far), as listed and described. */
    private static Map<String, Object> repository(RepositoryAccess.RepositoryInfo r, List<RepositoryAbout.Label> labels,
                                                  PullStats.Count pulls) {
        Map<String, Object> m = repository(r);
        m.put("labels", labels.stream().map(RepositoryAbout.Label::toString).toList());
        m.put("pulls", pulls.pulls());
        m.put("last_pulled_at", pulls.lastPulledAt() == null ? null : pulls.lastPulledAt().toString());
        return m;
    }

    private static Map<String, Object> count(PullStats.Count c) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("pulls", c.pulls());
        m.put("last_pulled_at", c.lastPulledAt() == null ? null : c.lastPulledAt().toString());
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
        String label = call.query("label");
        if (label != null) { // the label's own rules: a bad key is a 400 saying why, not an empty list
            RepositoryAbout.Label.parse(label);
        }
        List<RepositoryAccess.RepositoryInfo> page = services.identities().repositories().list(call.visible(),
                call.query("namespace"), label == null ? null : label.strip(), call.cursor(), call.limit() + 1);
        List<String> names = page.stream().map(RepositoryAccess.RepositoryInfo::name).toList();
        Map<String, List<RepositoryAbout.Label>> labels = services.registry().about().labelsOf(names);
        Map<String, PullStats.Count> pulls = services.registry().pulls().ofRepositories(names);
        call.sendPage(page, RepositoryAccess.RepositoryInfo::name, r -> repository(r,
                labels.getOrDefault(r.name(), List.of()), pulls.getOrDefault(r.name(), PullStats.Count.NONE)));
    }

    private void create(ApiCall call) throws IOException {
        boolean isPublic = visibility(call, false);
        call.send(201, repository(services.identitiesAs(call).repositories().create(call.caller(),
                call.param("repository"), isPublic)));
    }

    private void describe(ApiCall call) throws IOException {
        RepositoryAccess.RepositoryInfo r = require(call);
        call.send(200, repository(r, services.registry().about().labelsOf(List.of(r.name())).getOrDefault(r.name(),
                List.of()), services.registry().pulls().ofRepository(r.name())));
    }

    private RepositoryName repositoryName(ApiCall call) {
        return new RepositoryName(require(call).name());
    }

    private void description(ApiCall call) throws IOException {
        call.send(200, Map.of("description", services.registry().about().of(repositoryName(call)).description()));
    }

    private void setDescription(ApiCall call) throws IOException {
        RepositoryName name = repositoryName(call);
        services.registry().about().describe(call.actor(), name, call.text("description"));
        description(call);
    }

    private void labels(ApiCall call) throws IOException {
        call.send(200, Map.of("labels", services.registry().about().of(repositoryName(call)).labels().stream()
                .map(RepositoryAbout.Label::toString).toList()));
    }

    private void setLabels(ApiCall call) throws IOException {
        RepositoryName name = repositoryName(call);
        if (call.body().get("labels") == null) {
            throw BollardException.invalid("the body needs the field \"labels\", a list of strings");
        }
        services.registry().about().label(call.actor(), name,
                RepositoryAbout.parseLabels(call.optionalStrings("labels")));
        labels(call);
    }

    private void pulls(ApiCall call) throws IOException {
        String name = require(call).name();
        PullStats stats = services.registry().pulls();
        Map<String, Object> m = count(stats.ofRepository(name));
        Map<String, Object> tags = new LinkedHashMap<>();
        stats.ofTags(name).forEach((tag, c) -> tags.put(tag, count(c)));
        m.put("tags", tags);
        m.put("daily", stats.daily(name, LocalDate.now(ZoneOffset.UTC)).stream()
                .map(d -> Map.of("day", d.day().toString(), "pulls", d.pulls())).toList());
        call.send(200, m);
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
