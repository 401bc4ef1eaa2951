package dev.bollard.http.api;

import static dev.bollard.auth.Permission.REPO_ADMIN;
import static dev.bollard.auth.Permission.SUPERUSER;
import static dev.bollard.http.api.ManagementApi.PREFIX;

import com.fasterxml.jackson.databind.JsonNode;
import dev.bollard.error.BollardException;
import dev.bollard.mirror.Mirror;
import dev.bollard.mirror.MirrorRun;
import dev.bollard.mirror.Mirrors;
import dev.bollard.oci.RepositoryName;
import java.io.IOException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Repository mirrors (docs/proxy-and-mirroring.md): a repository kept in sync with an upstream repository. Setting the
 * upstream is for superusers, as a proxy organization's: its URL is where the registry itself connects to. The
 * repository's administrators see the mirror, its syncs, and may ask for a sync now. The password is write-only.
 */
final class MirrorEndpoints implements ApiEndpoints {
    private final ApiServices services;

    MirrorEndpoints(ApiServices services) {
        this.services = services;
    }

    @Override
    public List<ApiRoute> routes() {
        String one = PREFIX + "/repositories/{repository*}/-/mirror";
        return List.of(
                ApiRoute.get(PREFIX + "/mirrors", SUPERUSER, "List the mirrored repositories and their upstreams",
                        this::list),
                ApiRoute.get(one, REPO_ADMIN, "Describe a repository's mirror and its last sync (the password never)",
                        this::get),
                ApiRoute.put(one, SUPERUSER, "Make a repository a mirror of an upstream repository, or replace its "
                        + "settings: {url, upstream_repository, username?, password?, ca_bundle?, interval_seconds?, cron?, "
                        + "tag_globs?, tag_regex?, tag_semver?, newest?, architectures?, mirror_deletions?, concurrency?, enabled?}",
                        this::put),
                ApiRoute.patch(one, SUPERUSER, "Change a mirror: the fields of PUT, an absent one kept (credentials: "
                        + "username null for anonymous pulls)", this::patch),
                ApiRoute.delete(one, SUPERUSER, "Stop mirroring a repository (what it copied stays; it takes pushes "
                        + "again)", this::delete),
                ApiRoute.get(one + "/runs", REPO_ADMIN, "List a mirror's syncs, newest first (?limit=)", this::runs),
                ApiRoute.post(one + "/sync", REPO_ADMIN, "Sync a mirror now (202; its run appears under runs)",
                        this::syncNow));
    }

    private Mirrors mirrors() {
        return services.mirrors();
    }

    private static RepositoryName repository(ApiCall call) {
        return BollardException.parsed(() -> new RepositoryName(call.param("repository")));
    }

    private void list(ApiCall call) throws IOException {
        call.sendAll(mirrors().list(), Mirror::repository, Mirror::describe);
    }

    private Map<String, Object> status(RepositoryName repository) {
        Map<String, Object> m = new LinkedHashMap<>(mirrors().get(repository).describe());
        List<MirrorRun> last = mirrors().runs(repository, 1);
        m.put("last_run", last.isEmpty() ? null : last.getFirst().describe());
        return m;
    }

    private void get(ApiCall call) throws IOException {
        call.send(200, status(repository(call)));
    }

    private void put(ApiCall call) throws IOException {
        JsonNode body = call.body();
        Mirrors.Spec spec = new Mirrors.Spec(call.text("url"), call.text("upstream_repository"),
                call.optionalText("username"), call.optionalText("password"), call.optionalText("ca_bundle"),
                seconds(body, "interval_seconds", null), call.optionalStrings("tag_globs"),
                call.optionalText("tag_regex"), integer(body, "newest", null), call.optionalStrings("architectures"),
                Boolean.TRUE.equals(call.optionalBoolean("mirror_deletions")), integer(body, "concurrency", null),
                !Boolean.FALSE.equals(call.optionalBoolean("enabled")), call.optionalText("cron"),
                call.optionalText("tag_semver"));
        RepositoryName repository = repository(call);
        mirrors().set(call.actor(), repository, spec);
        call.send(200, status(repository));
    }

    private void patch(ApiCall call) throws IOException {
        RepositoryName repository = repository(call);
        Mirror was = mirrors().get(repository);
        JsonNode body = call.body();
        Mirrors.Spec spec = new Mirrors.Spec(
                body.has("url") ? call.text("url") : was.url().toString(),
                body.has("upstream_repository") ? call.text("upstream_repository") : was.upstreamRepository(),
                body.has("username") ? call.optionalText("username") : was.username(),
                call.optionalText("password"),
                body.has("ca_bundle") ? call.optionalText("ca_bundle") : was.caBundle(),
                seconds(body, "interval_seconds", was.interval()),
                body.has("tag_globs") ? call.optionalStrings("tag_globs")
                        : was.filter().globs().stream().map(g -> g.glob()).toList(),
                body.has("tag_regex") ? call.optionalText("tag_regex")
                        : was.filter().regex() == null ? null : was.filter().regex().pattern(),
                body.has("newest") ? integer(body, "newest", null) : was.filter().newest(),
                body.has("architectures") ? call.optionalStrings("architectures") : was.architectures(),
                body.has("mirror_deletions") ? Boolean.TRUE.equals(call.optionalBoolean("mirror_deletions"))
                        : was.mirrorDeletions(),
                integer(body, "concurrency", was.concurrency()),
                body.has("enabled") ? !Boolean.FALSE.equals(call.optionalBoolean("enabled")) : was.enabled(),
                body.has("cron") ? call.optionalText("cron") : was.cron(),
                body.has("tag_semver") ? call.optionalText("tag_semver")
                        : was.filter().semver() == null ? null : was.filter().semver().text());
        mirrors().set(call.actor(), repository, spec);
        call.send(200, status(repository));
    }

    private void delete(ApiCall call) {
        mirrors().delete(call.actor(), repository(call));
        call.noContent();
    }

    private void runs(ApiCall call) throws IOException {
        List<MirrorRun> runs = mirrors().runs(repository(call), call.limit());
        call.send(200, Map.of("items", runs.stream().map(MirrorRun::describe).toList()));
    }

    private void syncNow(ApiCall call) throws IOException {
        RepositoryName repository = repository(call);
        mirrors().syncNow(call.actor(), repository);
        call.send(202, status(repository));
    }

    private static @Nullable Integer integer(JsonNode body, String field, @Nullable Integer otherwise) {
        JsonNode n = body.get(field);
        if (n == null || n.isNull()) {
            return n == null ? otherwise : null;
        }
        if (!n.isIntegralNumber() || !n.canConvertToInt()) {
            throw BollardException.invalid("the field \"" + field + "\" must be a whole number");
        }
        return n.asInt();
    }

    private static @Nullable Duration seconds(JsonNode body, String field, @Nullable Duration otherwise) {
        Integer n = integer(body, field, null);
        return n == null ? otherwise : Duration.ofSeconds(n);
    }
}
