package dev.bollard.http.ui;

import static dev.bollard.clients.Exec.ok;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.bollard.auth.Identities;
import dev.bollard.clients.OciLayout;
import dev.bollard.clients.Skopeo;
import dev.bollard.config.BollardConfig;
import dev.bollard.json.Json;
import dev.bollard.testing.Requirements;
import dev.bollard.testing.TestDatabase;
import dev.bollard.testing.TestRegistry;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The usage charts with real pushes and pulls (skopeo), on H2 and PostgreSQL (the day is counted in SQL, so both
 * must agree): the repository's overview, its organization's Usage tab and the registry's usage page (superusers
 * only) each draw tags pushed and pulls per day as inline SVG with a title, a description in words and a table
 * beside it, and their figures are the registry's own: pulls as {@code /api/v1}'s pull counts, pushes as the tag
 * history's assignments (pushing what a tag points at already adds none), storage per namespace as the quota's
 * figure.
 */
class UsageChartsTest {
    private static final Pattern TODAY_ROW = Pattern.compile(
            "<tr><td>([0-9-]+)</td><td class=\"num\">([0-9]+)</td><td class=\"num\">([0-9]+)</td></tr>\\s*</tbody>");

    @TempDir
    Path dir;

    private static BollardConfig config(Path data, TestDatabase database) {
        return database.registrySettings(data).set("registry.pull-stats-flush-interval", "1s").load();
    }

    /** The last row of the chart's table {@code id}: today's, as {day, pushes, pulls}. */
    private static List<String> today(String page, String tableId) {
        int table = page.indexOf("<table id=\"" + tableId + "\">");
        assertThat(table).as("table " + tableId).isPositive();
        Matcher m = TODAY_ROW.matcher(page);
        assertThat(m.find(table)).as("the last row of " + tableId).isTrue();
        return List.of(m.group(1), m.group(2), m.group(3));
    }

    @ParameterizedTest
    @ValueSource(strings = {"h2", "postgres"})
    void theUsageChartsShowTagsPushedPullsAndStoragePerNamespace(String kind) throws Exception {
        Requirements.onPath("skopeo");
        OciLayout source = OciLayout.create(dir.resolve("source"));
        source.writeTagged("one", "etc/motd", "one\n");
        source.writeTagged("two", "etc/motd", "two\n".repeat(1000));
        Skopeo skopeo = new Skopeo(dir);
        String today = LocalDate.now(ZoneOffset.UTC).toString();
        try (TestDatabase database = TestDatabase.of(kind, dir);
             TestRegistry r = TestRegistry.start(config(dir.resolve("data"), database))) {
            Identities identities = new Identities(r.server().database());
            identities.users().create("alice", "alice-password", true);
            identities.users().create("bob", "bob-password", false);
            identities.organizations().create("acme", "alice");
            String creds = "alice:alice-password";
            String app = "docker://" + r.hostPort() + "/acme/app";
            ok(skopeo.copy("--dest-creds", creds, "oci:" + source.root() + ":one", app + ":latest"));
            ok(skopeo.copy("--dest-creds", creds, "oci:" + source.root() + ":two", app + ":latest")); // moves it
            ok(skopeo.copy("--dest-creds", creds, "oci:" + source.root() + ":two", app + ":v2"));
            ok(skopeo.copy("--dest-creds", creds, "oci:" + source.root() + ":two", app + ":latest")); // no change
            ok(skopeo.copy("--dest-creds", creds, "oci:" + source.root() + ":one",
                    "docker://" + r.hostPort() + "/acme/lib:1"));
            ok(skopeo.copy("--dest-creds", creds, "oci:" + source.root() + ":two",
                    "docker://" + r.hostPort() + "/bob/tool:1"));
            for (int i = 0; i < 3; i++) {
                ok(skopeo.cmd("inspect", "--creds", creds, "--raw", app + ":latest"));
            }
            ok(skopeo.cmd("inspect", "--creds", creds, "--raw", "docker://" + r.hostPort() + "/acme/lib:1"));

            UiClient alice = new UiClient(r.baseUri()).signIn("alice", "alice-password");
            long appPulls = waitForPulls(alice, "acme/app", 3);
            long libPulls = waitForPulls(alice, "acme/lib", 1);

            // The repository's overview: 3 tags set (latest twice, v2), its pulls.
            String repository = alice.get("/repo/acme/app").body();
            assertThat(today(repository, "activity-table")).containsExactly(today, "3", Long.toString(appPulls));
            assertThat(repository).contains("<svg id=\"activity-chart\"", "role=\"img\"",
                    "aria-labelledby=\"activity-title activity-desc\"",
                    "<title id=\"activity-title\">Tags pushed and pulls per day of acme/app, the last 30 days (UTC)",
                    "3 tags pushed and " + appPulls + " pulls in all; the busiest day was " + today);

            // The organization's Usage tab: its repositories added up (bob's tool is not acme's).
            String usage = alice.get("/org/acme/usage").body();
            assertThat(today(usage, "activity-table")).containsExactly(today, "4",
                    Long.toString(appPulls + libPulls));
            assertThat(usage).contains("Tags pushed and pulls per day of organization acme",
                    "<table id=\"by-repository\">", "<desc id=\"usage-chart-desc\">The 2 largest repositories");

            // The registry's usage page: storage per namespace, as each quota counts it, and every push and pull.
            String registry = alice.get("/admin/usage").body();
            assertThat(today(registry, "activity-table")).containsExactly(today, "5",
                    Long.toString(appPulls + libPulls));
            long acme = quotaUsed(alice, "acme");
            long bob = quotaUsed(alice, "bob");
            assertThat(acme).isGreaterThan(bob).isPositive();
            int acmeRow = registry.indexOf("<tr><td>acme</td><td class=\"num\">2</td><td class=\"num\" data-bytes=\""
                    + acme + "\">");
            int bobRow = registry.indexOf("<tr><td>bob</td><td class=\"num\">1</td><td class=\"num\" data-bytes=\""
                    + bob + "\">");
            assertThat(acmeRow).as(registry).isPositive();
            assertThat(bobRow).as("largest first").isGreaterThan(acmeRow);
            assertThat(registry).contains("<svg id=\"namespaces-chart\"",
                    "<desc id=\"namespaces-chart-desc\">2 namespaces; the largest, acme, uses");
            assertThat(alice.get("/admin").body()).contains("href=\"/admin/usage\"");

            // Only superusers see it.
            UiClient bobUi = new UiClient(r.baseUri()).signIn("bob", "bob-password");
            assertThat(bobUi.get("/admin/usage").statusCode()).isEqualTo(403);
        }
    }

    /** Waits (flushes run every second) until the repository's pulls reach {@code atLeast}; returns them all. */
    private static long waitForPulls(UiClient ui, String repository, long atLeast) throws Exception {
        Instant deadline = Instant.now().plusSeconds(30);
        long pulls = 0;
        while (Instant.now().isBefore(deadline)) {
            JsonNode counts = Json.MAPPER.readTree(ui.get("/api/v1/repositories/" + repository + "/-/pulls").body());
            pulls = counts.path("pulls").asLong();
            if (pulls >= atLeast) { // one flush more: a flush during the pulls may have carried only some of them
                Thread.sleep(1500);
                return Json.MAPPER.readTree(ui.get("/api/v1/repositories/" + repository + "/-/pulls").body())
                        .path("pulls").asLong();
            }
            Thread.sleep(200);
        }
        throw new AssertionError(repository + " counted " + pulls + " pulls, expected at least " + atLeast);
    }

    private static long quotaUsed(UiClient ui, String namespace) throws Exception {
        return Json.MAPPER.readTree(ui.get("/api/v1/namespaces/" + namespace + "/quota").body())
                .path("used_bytes").asLong();
    }
}
