package dev.bollard.http.ui;

import static dev.bollard.clients.Exec.ok;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.bollard.auth.Identities;
import dev.bollard.clients.Exec;
import dev.bollard.clients.OciLayout;
import dev.bollard.clients.Skopeo;
import dev.bollard.config.BollardConfig;
import dev.bollard.json.Json;
import dev.bollard.testing.Requirements;
import dev.bollard.testing.TestRegistry;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The UI's pages of the pull side: an organization's Proxy tab and a repository's Mirror tab, and the superusers'
 * list of both. The upstream is the registry itself, reached over loopback with a superuser's credentials (the token
 * flow, as from any other Bollard): the proxy caches what skopeo pulls through it, then serves it stale when its
 * upstream is changed to a closed port; the mirror really syncs. What the forms set is read back through /api/v1; bad
 * input is answered in words; members who do not administer get 403, outsiders 404; the changes are in the audit log
 * as the user's.
 */
class UiUpstreamsTest {
    @TempDir
    static Path dir;
    static TestRegistry registry;
    static Identities identities;
    static Skopeo skopeo;
    static String self;

    @BeforeAll
    static void start() throws Exception {
        Requirements.onPath("skopeo");
        BollardConfig config = BollardConfig.defaults(dir, "127.0.0.1", 0)
                .withUi(new BollardConfig.Ui(true, Duration.ofMinutes(5), Duration.ofHours(1)));
        registry = TestRegistry.start(config);
        self = "http://" + registry.hostPort();
        identities = new Identities(registry.server().database());
        identities.users().create("root", "root-password", true);
        identities.users().create("alice", "alice-password", false);
        identities.users().create("bob", "bob-password", false);
        identities.users().create("carol", "carol-password", false);
        identities.organizations().create("acme", "alice");
        identities.organizations().setMember("acme", "carol", "member");
        identities.organizations().create("hub", "alice");
        identities.organizations().setMember("hub", "carol", "member");
        identities.repositories().setVisibility("acme/copy", false); // an empty repository to make a mirror
        identities.repositories().setVisibility("acme/broken", false);
        skopeo = new Skopeo(dir);
        OciLayout layout = OciLayout.create(dir.resolve("layout"));
        layout.writeTagged("v1", "hello.txt", "one");
        layout.writeTagged("v2", "hello.txt", "two");
        layout.writeTagged("dev", "hello.txt", "dev");
        for (String tag : new String[] {"v1", "v2", "dev"}) {
            ok(skopeo.copy("--dest-creds", "root:root-password", "oci:" + layout.root() + ":" + tag,
                    "docker://" + registry.hostPort() + "/acme/app:" + tag));
        }
    }

    @AfterAll
    static void stop() {
        if (registry != null) {
            registry.close();
        }
    }

    private static UiClient signIn(String user) throws Exception {
        return new UiClient(registry.baseUri()).signIn(user, user + "-password");
    }

    /** GET on /api/v1 with the UI session of {@code c}. */
    private static HttpResponse<String> api(UiClient c, String path) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(registry.uri(path))
                .header("Cookie", UiHandler.SESSION_COOKIE + "=" + c.cookies.get(UiHandler.SESSION_COOKIE)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static String[] proxyForm(String url, String username, String password, String tagCheck) {
        return new String[] {"action", "set-proxy", "url", url, "prefix", "acme", "library_names", "off",
                "username", username, "password", password, "fallback_urls", "http://127.0.0.1:8/\r\n\r\nhttp://127.0.0.1:7\r\n",
                "tag_check_seconds", tagCheck, "cache_max", "2GiB", "cache_expiry_days", "30",
                "rate_limit_per_second", "50", "rate_limit_per_minute", "1000", "ca_bundle", ""};
    }

    @Test
    void superusersSetAProxyOrganizationWhoseAdministratorsSeeItAndItsCache() throws Exception {
        UiClient alice = signIn("alice");
        HttpResponse<String> ordinary = alice.get("/org/hub/proxy");
        assertThat(ordinary.statusCode()).isEqualTo(200);
        assertThat(ordinary.body()).contains("aria-current=\"page\">Proxy", "id=\"no-proxy\"",
                "Superusers make an organization a proxy").doesNotContain("id=\"proxy-form\"");
        assertThat(alice.get("/org/hub").body()).contains("href=\"/org/hub/proxy\"");
        // The API's rule: an organization's administrators read the upstream, only superusers set it.
        HttpResponse<String> refused = alice.post("/org/hub/proxy", proxyForm(self, "root", "root-password", "0"));
        assertThat(refused.statusCode()).isEqualTo(403);
        assertThat(refused.body()).contains("Only superusers set, change or remove the upstream of hub");
        UiClient carol = signIn("carol");
        assertThat(carol.get("/org/hub/proxy").statusCode()).isEqualTo(403);
        assertThat(carol.get("/org/hub").body()).doesNotContain("/org/hub/proxy");
        UiClient bob = signIn("bob");
        assertThat(bob.get("/org/hub/proxy").statusCode()).isEqualTo(404);
        assertThat(bob.post("/org/hub/proxy", "action", "delete-proxy").statusCode()).isEqualTo(404);

        UiClient root = signIn("root");
        assertThat(root.get("/org/hub/proxy").body()).contains("id=\"proxy-form\"", "Make it a proxy");
        // Bad input, said in words, changing nothing.
        HttpResponse<String> ftp = root.post("/org/hub/proxy", proxyForm("ftp://mirror.example", "", "", "60"));
        assertThat(ftp.statusCode()).isEqualTo(400);
        assertThat(ftp.body()).contains("must be an http(s) URL of a registry", "value=\"ftp://mirror.example\"")
                .doesNotContain("Exception");
        String[] badSize = proxyForm(self, "", "", "60");
        badSize[17] = "lots";
        HttpResponse<String> size = root.post("/org/hub/proxy", badSize);
        assertThat(size.statusCode()).isEqualTo(400);
        assertThat(size.body()).contains("A size is a number of bytes or one such as 500MiB");
        HttpResponse<String> interval = root.post("/org/hub/proxy", proxyForm(self, "", "", "soon"));
        assertThat(interval.statusCode()).isEqualTo(400);
        assertThat(interval.body()).contains("The tag check interval is a whole number of seconds, not 'soon'");
        assertThat(api(root, "/api/v1/organizations/hub/proxy").statusCode()).isEqualTo(404);

        // The upstream is this registry (acme/app is hub/app with the prefix acme), as root.
        HttpResponse<String> set = root.post("/org/hub/proxy", proxyForm(self, "root", "root-password", "0"));
        assertThat(set.statusCode()).as(set.body()).isEqualTo(200);
        assertThat(set.body()).contains("hub is a proxy of " + self + "/ now.", "password set (never shown)",
                "http://127.0.0.1:7/", "at most 2.0 GiB", "50 requests a second", "1000 requests a minute",
                "value=\"2GiB\"").doesNotContain("root-password");
        JsonNode upstream = Json.MAPPER.readTree(api(root, "/api/v1/organizations/hub/proxy").body());
        assertThat(upstream.get("url").asText()).isEqualTo(self + "/");
        assertThat(upstream.get("prefix").asText()).isEqualTo("acme");
        assertThat(upstream.get("library_names").asBoolean()).isFalse();
        assertThat(upstream.get("username").asText()).isEqualTo("root");
        assertThat(upstream.get("has_password").asBoolean()).isTrue();
        assertThat(upstream.get("tag_check_seconds").asLong()).isZero();
        assertThat(upstream.get("fallback_urls").toString()).isEqualTo("[\"http://127.0.0.1:8/\",\"http://127.0.0.1:7/\"]");
        assertThat(upstream.get("cache_max_bytes").asLong()).isEqualTo(2L << 30);
        assertThat(upstream.get("cache_expiry_days").asInt()).isEqualTo(30);
        assertThat(upstream.get("rate_limit_per_second").asInt()).isEqualTo(50);
        assertThat(upstream.get("rate_limit_per_minute").asInt()).isEqualTo(1000);

        // Pulled through: the tab counts what it caches.
        String pulled = ok(skopeo.cmd("inspect", "--raw", "--creds", "alice:alice-password",
                "docker://" + registry.hostPort() + "/hub/app:v1")).stdout();
        assertThat(pulled).contains("schemaVersion");
        HttpResponse<String> cached = alice.get("/org/hub/proxy");
        assertThat(cached.body()).contains("id=\"proxy-cache-use\">1 image,", "id=\"stale-none\"",
                "id=\"superusers-only\"").doesNotContain("id=\"proxy-form\"", "id=\"delete-proxy\"");

        // The upstream changed to a closed port, password kept (same user, empty password): served stale, counted.
        HttpResponse<String> closed = root.post("/org/hub/proxy", proxyForm("http://127.0.0.1:9", "root", "", "0"));
        assertThat(closed.statusCode()).as(closed.body()).isEqualTo(200);
        assertThat(Json.MAPPER.readTree(api(root, "/api/v1/organizations/hub/proxy").body()).get("has_password")
                .asBoolean()).isTrue();
        Exec.Result stale = skopeo.cmd("inspect", "--raw", "--creds", "alice:alice-password",
                "docker://" + registry.hostPort() + "/hub/app:v1");
        assertThat(stale.ok()).as(stale.describe()).isTrue();
        assertThat(stale.stdout()).isEqualTo(pulled);
        assertThat(alice.get("/org/hub/proxy").body()).containsPattern("<li>unreachable: [1-9]");

        // Anonymous now: the user name emptied, the stored password goes.
        assertThat(root.post("/org/hub/proxy", proxyForm("http://127.0.0.1:9", "", "", "300")).body())
                .contains("anonymous pulls");
        assertThat(Json.MAPPER.readTree(api(root, "/api/v1/organizations/hub/proxy").body()).get("has_password")
                .asBoolean()).isFalse();
        assertThat(root.get("/admin/upstreams").body()).contains("href=\"/org/hub/proxy\">hub</a>",
                "http://127.0.0.1:9/", "unreachable");
        assertThat(alice.get("/admin/upstreams").statusCode()).isEqualTo(403);

        HttpResponse<String> removed = root.post("/org/hub/proxy", "action", "delete-proxy");
        assertThat(removed.body()).contains("hub is an ordinary organization again", "id=\"no-proxy\"");
        assertThat(api(root, "/api/v1/organizations/hub/proxy").statusCode()).isEqualTo(404);
        assertThat(root.post("/org/hub/proxy", "action", "delete-proxy").body()).contains("is no proxy organization");
        registry.server().audit().flush(5_000);
        String audit = root.get("/audit?actor=root&action=proxy.set").body();
        assertThat(audit).contains("proxy.set", "hub").doesNotContain("root-password");
        assertThat(root.get("/audit?actor=root&action=proxy.delete").body()).contains("proxy.delete");
    }

    @Test
    void superusersSetAMirrorWhoseAdministratorsSyncItAndReadItsHistory() throws Exception {
        UiClient alice = signIn("alice");
        HttpResponse<String> ordinary = alice.get("/repo/acme/copy/-/mirror");
        assertThat(ordinary.statusCode()).isEqualTo(200);
        assertThat(ordinary.body()).contains("aria-current=\"page\">Mirror", "id=\"no-mirror\"")
                .doesNotContain("id=\"mirror-form\"", "id=\"sync-mirror\"");
        assertThat(alice.post("/repo/acme/copy/-/mirror", "action", "set-mirror", "url", self,
                "upstream_repository", "acme/app").statusCode()).isEqualTo(403);
        UiClient carol = signIn("carol");
        assertThat(carol.get("/repo/acme/copy/-/mirror").statusCode()).isEqualTo(403);
        assertThat(carol.post("/repo/acme/copy/-/mirror", "action", "sync-mirror").statusCode()).isEqualTo(403);
        UiClient bob = signIn("bob");
        assertThat(bob.get("/repo/acme/copy/-/mirror").statusCode()).isEqualTo(404);

        UiClient root = signIn("root");
        String[] form = {"action", "set-mirror", "url", self, "upstream_repository", "acme/app", "username", "root",
                "password", "root-password", "interval", "6h", "tag_globs", "v*\r\n", "tag_regex", "", "newest", "",
                "architectures", "amd64", "mirror_deletions", "1", "concurrency", "2", "enabled", "1", "ca_bundle", ""};
        for (String[] bad : new String[][] {{"interval", "5s", "The interval between syncs must be from 1m"},
                {"tag_regex", "(", "Tag_regex is not a regular expression"},
                {"newest", "a few", "Newest is a whole number of tags, not 'a few'"},
                {"architectures", "AMD 64!", "is not an architecture such as amd64"}}) {
            HttpResponse<String> refused = root.post("/repo/acme/copy/-/mirror", with(form, bad[0], bad[1]));
            assertThat(refused.statusCode()).as(bad[0]).isEqualTo(400);
            assertThat(refused.body()).as(bad[0]).contains(bad[2]).doesNotContain("Exception");
        }
        assertThat(api(root, "/api/v1/repositories/acme/copy/-/mirror").statusCode()).isEqualTo(404);

        HttpResponse<String> set = root.post("/repo/acme/copy/-/mirror", form);
        assertThat(set.statusCode()).as(set.body()).isEqualTo(200);
        assertThat(set.body()).contains("acme/copy mirrors acme/app of " + self + "/ now", "every 6h",
                "password set (never shown)", "<code>v*</code>").doesNotContain("root-password");
        JsonNode mirror = Json.MAPPER.readTree(api(root, "/api/v1/repositories/acme/copy/-/mirror").body());
        assertThat(mirror.get("interval_seconds").asLong()).isEqualTo(6 * 3600);
        assertThat(mirror.get("tag_globs").toString()).isEqualTo("[\"v*\"]");
        assertThat(mirror.get("architectures").toString()).isEqualTo("[\"amd64\"]");
        assertThat(mirror.get("mirror_deletions").asBoolean()).isTrue();
        assertThat(mirror.get("concurrency").asInt()).isEqualTo(2);
        assertThat(mirror.get("has_password").asBoolean()).isTrue();

        // The first sync runs at once: v1 and v2 copied, dev not selected.
        String synced = alice.awaitPage("/repo/acme/copy/-/mirror", b -> b.contains("succeeded"));
        assertThat(synced).contains("id=\"mirror-runs\"", "2 copied, 0 unchanged, 0 failed", "scheduled");
        assertThat(ok(skopeo.cmd("inspect", "--raw", "--creds", "alice:alice-password",
                "docker://" + registry.hostPort() + "/acme/copy:v2")).stdout()).contains("schemaVersion");

        // Sync now, as an administrator of the repository: a second run, requested, finding nothing new.
        HttpResponse<String> now = alice.post("/repo/acme/copy/-/mirror", "action", "sync-mirror");
        assertThat(now.statusCode()).as(now.body()).isEqualTo(200);
        assertThat(now.body()).contains("A sync of acme/copy starts in a moment");
        String again = alice.awaitPage("/repo/acme/copy/-/mirror", b -> b.contains("0 copied, 2 unchanged"));
        assertThat(again).contains("requested");
        JsonNode runs = Json.MAPPER.readTree(api(alice, "/api/v1/repositories/acme/copy/-/mirror/runs").body());
        assertThat(runs.get("items")).hasSize(2);
        assertThat(runs.get("items").get(0).get("trigger").asText()).isEqualTo("requested");

        // A cron schedule instead of the interval: a change syncs at once, then the next sync is the expression's.
        // The password left empty: kept.
        String[] cron = with(form, "password", "", "cron", "0 3 * * *", "tag_semver", ">=1 <3");
        String[] badCron = with(cron, "cron", "0 25 * * *");
        String[] badSemver = with(cron, "tag_semver", "garbage!!");
        HttpResponse<String> refusedSemver = root.post("/repo/acme/copy/-/mirror", badSemver);
        assertThat(refusedSemver.statusCode()).isEqualTo(400);
        assertThat(refusedSemver.body()).contains("Tag_semver 'garbage!!' is not a semantic-version range");
        HttpResponse<String> refusedCron = root.post("/repo/acme/copy/-/mirror", badCron);
        assertThat(refusedCron.statusCode()).isEqualTo(400);
        assertThat(refusedCron.body()).contains("Cron '0 25 * * *' is not a cron expression of five fields",
                "value=\"0 25 * * *\"");
        HttpResponse<String> scheduled = root.post("/repo/acme/copy/-/mirror", cron);
        assertThat(scheduled.statusCode()).as(scheduled.body()).isEqualTo(200);
        assertThat(scheduled.body()).contains("on the cron schedule 0 3 * * * (UTC)",
                "versions in <code>&gt;=1 &lt;3</code>");
        alice.awaitPage("/repo/acme/copy/-/mirror", b -> b.split("0 copied, 2 unchanged", -1).length == 3);
        JsonNode cronMirror = awaitJson(alice, "/api/v1/repositories/acme/copy/-/mirror",
                n -> n.get("next_run").asText().endsWith("T03:00:00Z"));
        assertThat(cronMirror.get("cron").asText()).isEqualTo("0 3 * * *");
        assertThat(cronMirror.get("tag_semver").asText()).isEqualTo(">=1 <3");
        assertThat(cronMirror.get("has_password").asBoolean()).isTrue();
        Instant next = Instant.parse(cronMirror.get("next_run").asText());
        assertThat(next).isAfter(Instant.now()).isBefore(Instant.now().plus(Duration.ofDays(1)));
        // A time to come is written how soon it comes, never "just now".
        assertThat(alice.get("/repo/acme/copy/-/mirror").body())
                .containsPattern("id=\"mirror-next\"><time [^>]*>in [0-9]+ (minute|hour)s?</time>");

        // A mirror of an upstream repository that is not there: the run's failure in words.
        HttpResponse<String> broken = root.post("/repo/acme/broken/-/mirror", "action", "set-mirror", "url", self,
                "upstream_repository", "acme/nothing-here", "interval", "", "concurrency", "", "enabled", "1");
        assertThat(broken.statusCode()).as(broken.body()).isEqualTo(200);
        String failed = root.awaitPage("/repo/acme/broken/-/mirror", b -> b.contains(">failed<"));
        assertThat(failed).contains("every 1h", "anonymous pulls");

        assertThat(root.get("/admin/upstreams").body()).contains("href=\"/repo/acme/copy/-/mirror\">acme/copy</a>",
                "acme/broken", "cron 0 3 * * *");

        HttpResponse<String> stopped = root.post("/repo/acme/copy/-/mirror", "action", "delete-mirror");
        assertThat(stopped.body()).contains("acme/copy is no mirror now", "id=\"no-mirror\"");
        assertThat(api(root, "/api/v1/repositories/acme/copy/-/mirror").statusCode()).isEqualTo(404);
        registry.server().audit().flush(5_000);
        assertThat(root.get("/audit?actor=root&action=mirror.set").body()).contains("mirror.set", "acme/copy")
                .doesNotContain("root-password");
        assertThat(root.get("/audit?actor=alice&action=mirror.sync.request").body()).contains("mirror.sync.request");
        assertThat(root.get("/audit?actor=root&action=mirror.delete").body()).contains("mirror.delete");
    }

    /** The form's fields and values with {@code nameValues} set: replaced, or added at the end. */
    private static String[] with(String[] form, String... nameValues) {
        Map<String, String> fields = new LinkedHashMap<>();
        for (int i = 0; i < form.length; i += 2) {
            fields.put(form[i], form[i + 1]);
        }
        for (int i = 0; i < nameValues.length; i += 2) {
            fields.put(nameValues[i], nameValues[i + 1]);
        }
        return fields.entrySet().stream().flatMap(e -> Stream.of(e.getKey(), e.getValue())).toArray(String[]::new);
    }

    /** The API's answer at {@code path} once it satisfies {@code ready}, within 60 s. */
    private static JsonNode awaitJson(UiClient c, String path, Predicate<JsonNode> ready) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        JsonNode node = null;
        while (System.nanoTime() < deadline) {
            node = Json.MAPPER.readTree(api(c, path).body());
            if (ready.test(node)) {
                return node;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("the answer at " + path + " never got there: " + node);
    }

}
