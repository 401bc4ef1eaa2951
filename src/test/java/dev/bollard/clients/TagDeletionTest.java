package dev.bollard.clients;

import static dev.bollard.clients.Exec.ok;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.bollard.testing.Requirements;
import dev.bollard.config.BollardConfig;
import dev.bollard.config.ConfigLoader;
import dev.bollard.testing.Cli;
import dev.bollard.testing.TestDatabase;
import dev.bollard.testing.TestRegistry;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Deleting a tag, only the tag, with real clients: skopeo pushes one image under two tags; the spec's
 * {@code DELETE /v2/<name>/manifests/<tag>} (sent with Java's HttpClient: {@code skopeo delete} resolves a tag to
 * its digest and deletes the manifest) deletes one; the other still pulls, and the time machine brings the deleted
 * one back. An immutable tag refuses. On H2 and PostgreSQL, since the tag and its history live in the database; and
 * {@code bollard tag delete} from the command line.
 */
class TagDeletionTest {
    private static final String TAG = "v1";

    @TempDir
    static Path classDir;

    private static OciLayout source;
    private static OciLayout.Descriptor image;

    @TempDir
    Path dir;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    @BeforeAll
    static void writeImage() {
        Requirements.onPath("skopeo");
        source = OciLayout.create(classDir.resolve("source"));
        image = source.writeImage("linux", "amd64", List.of(
                Map.of("etc/motd", "an image with two tags\n".getBytes(StandardCharsets.UTF_8))));
        source.tag(image, TAG);
    }

    private static String docker(TestRegistry r, String repositoryAndTag) {
        return "docker://" + r.hostPort() + "/" + repositoryAndTag;
    }

    private void push(Skopeo skopeo, TestRegistry r, String repositoryAndTag) {
        ok(skopeo.copy("oci:" + source.root() + ":" + TAG, docker(r, repositoryAndTag)));
    }

    /** The digest skopeo inspects at {@code repositoryAndTag}, or null when skopeo says "manifest unknown". */
    private static String inspect(Skopeo skopeo, TestRegistry r, String repositoryAndTag) {
        Exec.Result result = skopeo.cmd("inspect", "--raw", docker(r, repositoryAndTag));
        if (!result.ok()) {
            assertThat(result.output()).as("skopeo inspect %s\n%s", repositoryAndTag, result.describe())
                    .contains("manifest unknown");
            return null;
        }
        return OciLayout.sha256(result.stdout().strip().getBytes(StandardCharsets.UTF_8));
    }

    private HttpResponse<String> send(TestRegistry r, String method, String path, String json) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(r.uri(path)).method(method, json == null
                ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(json));
        if (json != null) {
            b.header("Content-Type", "application/json");
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static BollardConfig config(Path data, TestDatabase database) {
        BollardConfig.Database db = database.config(8);
        return ConfigLoader.builder().set("data-dir", data.toString()).set("server.listen", "127.0.0.1:0")
                .set("database.url", db.url()).set("database.username", db.username())
                .set("database.password", db.password()).set("auth.enabled", "false").load();
    }

    @ParameterizedTest
    @ValueSource(strings = {"h2", "postgres"})
    void theSpecsTagDeleteTakesOnlyTheTagAndTheTimeMachineBringsItBack(String kind) throws Exception {
        Skopeo skopeo = new Skopeo(dir);
        try (TestDatabase database = TestDatabase.of(kind, dir);
             TestRegistry r = TestRegistry.start(config(dir.resolve("data"), database))) {
            push(skopeo, r, "acme/app:a");
            push(skopeo, r, "acme/app:b");
            String digest = image.digest();
            assertThat(inspect(skopeo, r, "acme/app:a")).isEqualTo(digest);

            HttpResponse<String> delete = send(r, "DELETE", "/v2/acme/app/manifests/a", null);
            assertThat(delete.statusCode()).as(delete.body()).isEqualTo(202);

            assertThat(inspect(skopeo, r, "acme/app:a")).as("the deleted tag").isNull();
            assertThat(inspect(skopeo, r, "acme/app:b")).as("the other tag").isEqualTo(digest);
            ok(skopeo.copy(docker(r, "acme/app:b"), "oci:" + dir.resolve("pulled") + ":b"));
            assertThat(new OciLayout(dir.resolve("pulled")).resolve("b").digest()).isEqualTo(digest);
            HttpResponse<String> again = send(r, "DELETE", "/v2/acme/app/manifests/a", null);
            assertThat(again.statusCode()).isEqualTo(404);
            assertThat(again.body()).contains("MANIFEST_UNKNOWN");

            // The time machine: the deleted tag's lifetime ended, restorable; a restore brings it back.
            JsonNode history = OciLayout.parse(send(r, "GET", "/api/v1/repositories/acme/app/-/history?tag=a", null).body());
            assertThat(history.path("items")).hasSize(1);
            assertThat(history.path("items").path(0).path("end").isNull()).isFalse();
            assertThat(history.path("items").path(0).path("restorable").asBoolean()).isTrue();
            HttpResponse<String> restore = send(r, "POST", "/api/v1/repositories/acme/app/-/tags/a/restore",
                    "{\"digest\":\"" + digest + "\"}");
            assertThat(restore.statusCode()).as(restore.body()).isEqualTo(200);
            assertThat(inspect(skopeo, r, "acme/app:a")).as("the restored tag").isEqualTo(digest);

            // The same through /api/v1, which answers the digest to restore.
            HttpResponse<String> apiDelete = send(r, "DELETE", "/api/v1/repositories/acme/app/-/tags/b", null);
            assertThat(apiDelete.statusCode()).as(apiDelete.body()).isEqualTo(200);
            assertThat(OciLayout.parse(apiDelete.body()).path("digest").asText()).isEqualTo(digest);
            assertThat(inspect(skopeo, r, "acme/app:b")).isNull();
            assertThat(inspect(skopeo, r, "acme/app:a")).isEqualTo(digest);

            // The changes went through the outbox into the audit log: what each deleted tag pointed at.
            List<JsonNode> deletions = auditOf(r, "tag.delete", 2);
            assertThat(deletions).extracting(e -> e.path("details").path("tag").asText()).containsExactlyInAnyOrder("a", "b");
            assertThat(deletions).allSatisfy(e -> assertThat(e.path("details").path("digest").asText()).isEqualTo(digest));
            assertThat(auditOf(r, "tag.restore", 1)).isNotEmpty();

            // An immutable tag refuses, on /v2 (DENIED, which clients print) and on /api/v1 (409).
            assertThat(send(r, "PUT", "/api/v1/repositories/acme/locked/-/immutable-tags/v*", null).statusCode()).isEqualTo(201);
            push(skopeo, r, "acme/locked:v1");
            HttpResponse<String> refused = send(r, "DELETE", "/v2/acme/locked/manifests/v1", null);
            assertThat(refused.statusCode()).isEqualTo(403);
            assertThat(refused.body()).contains("DENIED", "tag v1 of acme/locked is immutable (rule 'v*'): it cannot be deleted");
            HttpResponse<String> apiRefused = send(r, "DELETE", "/api/v1/repositories/acme/locked/-/tags/v1", null);
            assertThat(apiRefused.statusCode()).isEqualTo(409);
            assertThat(apiRefused.body()).contains("cannot be deleted once pushed");
            assertThat(inspect(skopeo, r, "acme/locked:v1")).isEqualTo(digest);

            // skopeo delete sends DELETE by digest (it resolves the tag first): the manifest goes with every tag on it,
            // which the API's dry run names beforehand, and the time machine cannot bring them back.
            push(skopeo, r, "acme/app:c");
            JsonNode dry = OciLayout.parse(send(r, "DELETE", "/api/v1/repositories/acme/app/-/manifests/" + digest
                    + "?dry_run=true", null).body());
            assertThat(dry.path("tags").toString()).isEqualTo("[\"a\",\"c\"]");
            assertThat(inspect(skopeo, r, "acme/app:a")).as("a dry run deletes nothing").isEqualTo(digest);
            Exec.Result skopeoDelete = ok(skopeo.cmd(List.of("--debug"), "delete", docker(r, "acme/app:c")));
            assertThat(skopeoDelete.output()).contains("DELETE").contains("/manifests/" + digest);
            assertThat(inspect(skopeo, r, "acme/app:a")).isNull();
            assertThat(send(r, "POST", "/api/v1/repositories/acme/app/-/tags/a/restore",
                    "{\"digest\":\"" + digest + "\"}").statusCode()).isEqualTo(404);
            assertThat(auditOf(r, "manifest.delete", 1).getFirst().path("details").path("tags").toString())
                    .isEqualTo("[\"a\",\"c\"]");
        }
    }

    /** The audit entries of {@code action}, waiting until there are at least {@code atLeast} (written from the outbox). */
    private List<JsonNode> auditOf(TestRegistry r, String action, int atLeast) throws Exception {
        Instant deadline = Instant.now().plusSeconds(10);
        while (true) {
            List<JsonNode> found = new ArrayList<>();
            OciLayout.parse(send(r, "GET", "/api/v1/audit?action=" + action, null).body()).path("items").forEach(found::add);
            if (found.size() >= atLeast || Instant.now().isAfter(deadline)) {
                return found;
            }
            Thread.sleep(100);
        }
    }

    @Test
    void theCommandLineDeletesATagAndRestoresIt() throws Exception {
        Skopeo skopeo = new Skopeo(dir);
        Path data = dir.resolve("data");
        try (TestRegistry r = TestRegistry.start(data)) {
            push(skopeo, r, "acme/app:a");
            push(skopeo, r, "acme/app:b");
        }
        Cli.Result deleted = Cli.run("tag", "delete", "acme/app:a", "--data", data.toString());
        assertThat(deleted.exit()).as(deleted.err()).isZero();
        assertThat(deleted.out()).isEqualTo("deleted tag acme/app:a; it pointed at " + image.digest() + "\n"
                + "to restore it: bollard history restore acme/app:a " + image.digest() + "\n");
        Cli.Result unknown = Cli.run("tag", "delete", "acme/app:a", "--data", data.toString());
        assertThat(unknown.exit()).isEqualTo(1);
        assertThat(unknown.err()).isEqualTo("bollard: manifest a is not known in acme/app\n");
        Cli.Result malformed = Cli.run("tag", "delete", "acme/app", "--data", data.toString());
        assertThat(malformed.err()).isEqualTo("bollard: give the tag as REPOSITORY:TAG, not 'acme/app'\n");
        try (TestRegistry r = TestRegistry.start(data)) {
            assertThat(inspect(skopeo, r, "acme/app:a")).isNull();
            assertThat(inspect(skopeo, r, "acme/app:b")).isEqualTo(image.digest());
        }
        Cli.Result restored = Cli.run("history", "restore", "acme/app:a", image.digest(), "--data", data.toString());
        assertThat(restored.exit()).as(restored.err()).isZero();
        try (TestRegistry r = TestRegistry.start(data)) {
            assertThat(inspect(skopeo, r, "acme/app:a")).isEqualTo(image.digest());
        }
    }
}
