package dev.bollard.http.ui;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.bollard.auth.Identities;
import dev.bollard.config.BollardConfig;
import dev.bollard.json.Json;
import dev.bollard.testing.Cli;
import dev.bollard.testing.TestRegistry;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A repository's description and labels: set through /api/v1 by its administrators (not its readers), through the
 * settings tab of the UI and through {@code bollard repo describe|label} while the registry runs; shown on the
 * repository's overview and the organization's repository list, which filters by label; XSS attempts in either
 * render as text; bad input is a 400 naming the problem; each change is in the audit log.
 */
class RepositoryAboutTest {
    @TempDir
    static Path dir;
    static TestRegistry registry;
    static Identities identities;
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    @BeforeAll
    static void start() throws Exception {
        registry = TestRegistry.start(BollardConfig.defaults(dir, "127.0.0.1", 0));
        identities = new Identities(registry.server().database());
        identities.users().create("alice", "alice-password", false);
        identities.users().create("carol", "carol-password", false);
        identities.organizations().create("acme", "alice");
        identities.organizations().setMember("acme", "carol", "member");
        identities.repositories().setVisibility("acme/app", false);
        identities.repositories().setVisibility("acme/other", false);
    }

    @AfterAll
    static void stop() {
        registry.close();
    }

    private static HttpResponse<String> api(String user, String method, String path, String json) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(registry.uri(path)).method(method, json == null
                        ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(json))
                .header("Authorization", "Basic " + Base64.getEncoder().encodeToString((user + ":" + user
                        + "-password").getBytes(StandardCharsets.UTF_8)));
        if (json != null) {
            b.header("Content-Type", "application/json");
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode json(HttpResponse<String> r) throws Exception {
        return Json.MAPPER.readTree(r.body());
    }

    @Test
    void theApiSetsDescriptionAndLabelsForAdministratorsAndRefusesBadInput() throws Exception {
        String repo = "/api/v1/repositories/acme/app/-/";
        HttpResponse<String> set = api("alice", "PUT", repo + "description", "{\"description\":\"# App\\n\\nThe *app*.\"}");
        assertThat(set.statusCode()).as(set.body()).isEqualTo(200);
        assertThat(json(set).path("description").asText()).isEqualTo("# App\n\nThe *app*.");
        assertThat(json(api("carol", "GET", repo + "description", null)).path("description").asText())
                .isEqualTo("# App\n\nThe *app*.");
        HttpResponse<String> byReader = api("carol", "PUT", repo + "description", "{\"description\":\"mine\"}");
        assertThat(byReader.statusCode()).isEqualTo(403);

        HttpResponse<String> tooLong = api("alice", "PUT", repo + "description",
                "{\"description\":\"" + "x".repeat(32769) + "\"}");
        assertThat(tooLong.statusCode()).isEqualTo(400);
        assertThat(json(tooLong).path("message").asText())
                .isEqualTo("the description has 32769 characters; at most 32768 are allowed");

        HttpResponse<String> labels = api("alice", "PUT", repo + "labels", "{\"labels\":[\"team=payments\",\"tier=1\",\"deprecated\"]}");
        assertThat(labels.statusCode()).as(labels.body()).isEqualTo(200);
        assertThat(json(labels).path("labels").toString()).isEqualTo("[\"deprecated\",\"team=payments\",\"tier=1\"]");
        JsonNode described = json(api("carol", "GET", "/api/v1/repositories/acme/app", null));
        assertThat(described.path("labels").toString()).isEqualTo("[\"deprecated\",\"team=payments\",\"tier=1\"]");
        assertThat(described.path("pulls").asLong()).isZero();
        assertThat(described.path("last_pulled_at").isNull()).isTrue();

        // The list filters by label: key=value exactly (the '=' escaped or not), a key or word whatever its value.
        for (String query : List.of("team=payments", "team%3Dpayments", "team", "deprecated")) {
            JsonNode found = json(api("carol", "GET", "/api/v1/repositories?namespace=acme&label=" + query, null));
            assertThat(found.path("items").findValuesAsText("name")).as(query).containsExactly("acme/app");
        }
        assertThat(json(api("carol", "GET", "/api/v1/repositories?label=tier=2", null)).path("items")).isEmpty();
        assertThat(json(api("carol", "GET", "/api/v1/repositories?label=payments", null)).path("items")).isEmpty();
        HttpResponse<String> badFilter = api("carol", "GET", "/api/v1/repositories?label=%3Cb%3E", null);
        assertThat(badFilter.statusCode()).isEqualTo(400);
        assertThat(json(badFilter).path("message").asText()).startsWith("label key '<b>' is not valid");

        HttpResponse<String> badKey = api("alice", "PUT", repo + "labels", "{\"labels\":[\"<b>=x\"]}");
        assertThat(badKey.statusCode()).isEqualTo(400);
        assertThat(json(badKey).path("message").asText()).startsWith("label key '<b>' is not valid");
        HttpResponse<String> twice = api("alice", "PUT", repo + "labels", "{\"labels\":[\"a=1\",\"a=2\"]}");
        assertThat(json(twice).path("message").asText()).isEqualTo("label 'a' is given twice");
        StringBuilder many = new StringBuilder("{\"labels\":[");
        for (int i = 0; i < 21; i++) {
            many.append(i == 0 ? "" : ",").append("\"l").append(i).append('"');
        }
        HttpResponse<String> tooMany = api("alice", "PUT", repo + "labels", many.append("]}").toString());
        assertThat(json(tooMany).path("message").asText()).isEqualTo("21 labels given; a repository has at most 20");
        HttpResponse<String> missing = api("alice", "PUT", repo + "labels", "{}");
        assertThat(missing.statusCode()).isEqualTo(400);
        assertThat(json(api("alice", "GET", repo + "labels", null)).path("labels")).hasSize(3);
        HttpResponse<String> unknown = api("alice", "PUT", "/api/v1/repositories/acme/nothing/-/labels", "{\"labels\":[]}");
        assertThat(unknown.statusCode()).isEqualTo(404);

        JsonNode audit = json(api("alice", "GET", "/api/v1/organizations/acme/audit?action=repository.labels", null));
        assertThat(audit.path("items").toString()).contains("team=payments");
    }

    @Test
    void xssInDescriptionsAndLabelsRendersAsTextAndTheListFiltersByLabel() throws Exception {
        UiClient alice = new UiClient(registry.baseUri()).signIn("alice", "alice-password");
        String xss = "Hello <script>alert('d')</script> <img src=x onerror=alert(1)>\n\n"
                + "[click](javascript:alert(2)) [data](data:text/html;base64,PHNjcmlwdD4=) [tab](java\tscript:alert(3))"
                + " [ok](https://example.com/docs) [rel](/repo/acme/other)\n\n**bold** `code`";
        HttpResponse<String> saved = alice.post("/repo/acme/other/-/settings", "action", "describe", "description", xss);
        assertThat(saved.statusCode()).as(saved.body()).isEqualTo(200);
        assertThat(saved.body()).contains("The description of acme/other was saved.");
        HttpResponse<String> labelled = alice.post("/repo/acme/other/-/settings", "action", "label", "labels",
                "team=<script>alert(4)</script>\r\nbeta");
        assertThat(labelled.statusCode()).as(labelled.body()).isEqualTo(200);
        HttpResponse<String> refused = alice.post("/repo/acme/other/-/settings", "action", "label", "labels", "a b=c");
        assertThat(refused.statusCode()).isEqualTo(400);
        assertThat(refused.body()).contains("label key 'a b' is not valid");

        String page = alice.get("/repo/acme/other").body();
        String description = page.substring(page.indexOf("<div id=\"description\""), page.indexOf("</div>",
                page.indexOf("<div id=\"description\"")));
        assertThat(description).doesNotContain("<script", "<img", "javascript:", "data:text", "href=\"java")
                .contains("&lt;script&gt;alert(", "&lt;img src=x onerror=alert(1)&gt;", "<strong>bold</strong>",
                        "<code>code</code>", "href=\"https://example.com/docs\"", "href=\"/repo/acme/other\"",
                        "rel=\"nofollow noopener noreferrer\"");
        assertThat(page).doesNotContain("<script>alert(4)").contains("team=&lt;script&gt;alert(4)&lt;/script&gt;")
                .contains("id=\"pull-count\"", "id=\"activity-chart\"", "id=\"activity-table\"");
        // The settings tab shows what is stored, as text in the form's fields.
        String settings = alice.get("/repo/acme/other/-/settings").body();
        assertThat(settings).contains("&lt;script&gt;alert('d')&lt;/script&gt;").doesNotContain("<script>alert");

        // The organization's list shows labels and filters by them.
        String list = alice.get("/org/acme").body();
        assertThat(list).contains("acme/app", "acme/other", "team=&lt;script&gt;", "href=\"/org/acme?label=beta\"");
        String filtered = alice.get("/org/acme?label=beta").body();
        assertThat(filtered).contains("/repo/acme/other").doesNotContain("/repo/acme/app\"");
        String byKey = alice.get("/org/acme?label=team").body();
        assertThat(byKey).contains("/repo/acme/other");
        assertThat(alice.get("/org/acme?label=nothing").body()).contains("No repository of acme is labelled nothing.");

        // A reader sees the overview, not the settings.
        UiClient carol = new UiClient(registry.baseUri()).signIn("carol", "carol-password");
        assertThat(carol.get("/repo/acme/other").body()).contains("<strong>bold</strong>");
        assertThat(carol.post("/repo/acme/other/-/settings", "action", "describe", "description", "x").statusCode())
                .isEqualTo(403);
    }

    @Test
    void theCommandLineDescribesAndLabelsWhileTheRegistryRuns() throws Exception {
        Path readme = dir.resolve("README.md");
        Files.writeString(readme, "# Tools\n\nUseful tools.\n");
        Cli.Result set = Cli.run("repo", "describe", "acme/tools", "--file", readme.toString(), "--data", dir.toString());
        assertThat(set.exit()).as(set.err()).isEqualTo(1);
        assertThat(set.err()).isEqualTo("bollard: repository acme/tools not known to registry\n"
                + "  a repository is created by the first push to it, or by granting on it: bollard repo grant "
                + "acme/tools USER|OWNER+ROBOT read|write|admin\n");
        Cli.Result pullsOfNothing = Cli.run("repo", "pulls", "acme/tools", "--data", dir.toString());
        assertThat(pullsOfNothing.exit()).isEqualTo(1);
        assertThat(pullsOfNothing.err()).startsWith("bollard: repository acme/tools not known to registry\n"
                + "  a repository is created by the first push to it");
        identities.repositories().setVisibility("acme/tools", false);
        set = Cli.run("repo", "describe", "acme/tools", "--file", readme.toString(), "--data", dir.toString());
        assertThat(set.exit()).as(set.err()).isZero();
        assertThat(set.out()).isEqualTo("set the description of acme/tools (23 characters)\n");
        assertThat(Cli.run("repo", "describe", "acme/tools", "--data", dir.toString()).out())
                .isEqualTo("# Tools\n\nUseful tools.\n\n");
        assertThat(Cli.run("repo", "pulls", "acme/tools", "--data", dir.toString()).out())
                .isEqualTo("acme/tools: never pulled\n");
        Cli.Result labelled = Cli.run("repo", "label", "acme/tools", "team=platform", "stable", "--data", dir.toString());
        assertThat(labelled.exit()).as(labelled.err()).isZero();
        assertThat(labelled.out()).isEqualTo("acme/tools is labelled team=platform, stable\n");
        assertThat(Cli.run("repo", "label", "acme/tools", "--data", dir.toString()).out())
                .isEqualTo("stable\nteam=platform\n");
        Cli.Result bad = Cli.run("repo", "label", "acme/tools", "=x", "--data", dir.toString());
        assertThat(bad.exit()).isEqualTo(1);
        assertThat(bad.err()).startsWith("bollard: label key '' is not valid");
        assertThat(json(api("alice", "GET", "/api/v1/repositories/acme/tools/-/description", null))
                .path("description").asText()).isEqualTo("# Tools\n\nUseful tools.\n");
        assertThat(Cli.run("repo", "label", "acme/tools", "--clear", "--data", dir.toString()).out())
                .isEqualTo("removed the labels of acme/tools\n");
        assertThat(Cli.run("repo", "describe", "acme/tools", "--clear", "--data", dir.toString()).out())
                .isEqualTo("removed the description of acme/tools\n");
        assertThat(Cli.run("repo", "describe", "acme/tools", "--data", dir.toString()).out())
                .isEqualTo("acme/tools has no description\n");
    }
}
