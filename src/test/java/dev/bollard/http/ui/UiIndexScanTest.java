package dev.bollard.http.ui;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bollard.auth.Identities;
import dev.bollard.clients.Exec;
import dev.bollard.clients.OciLayout;
import dev.bollard.clients.Skopeo;
import dev.bollard.config.BollardConfig;
import dev.bollard.scan.vuln.VulnerabilityStore;
import dev.bollard.testing.Requirements;
import dev.bollard.testing.ScanFixtures;
import dev.bollard.testing.TestRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The tags tab of a repository whose tag points at an image index: each platform's image is scanned on push on its
 * own, and the tag's row shows one line per platform with that platform's state and severity counts, linked to that
 * platform's vulnerabilities page. The index pushed by skopeo holds a linux/amd64 Debian 12 image whose glibc
 * DSA-5514-1 affects and a linux/arm64 one whose glibc is at its fix, so the two lines must differ.
 */
class UiIndexScanTest {
    @TempDir
    Path dir;

    @Test
    void eachPlatformOfAnIndexShowsItsOwnScanOnTheTagsTab() throws Exception {
        Requirements.onPath("skopeo");
        try (TestRegistry registry = TestRegistry.start(BollardConfig.defaults(dir.resolve("data"), "127.0.0.1", 0))) {
            Identities ids = new Identities(registry.server().database());
            ids.users().create("alice", "alice-password", false);
            ids.organizations().create("acme", "alice");
            Path osv = Files.createDirectories(dir.resolve("osv"));
            Files.copy(ScanFixtures.OSV.resolve("DSA-5514-1.json"), osv.resolve("DSA-5514-1.json"));
            new VulnerabilityStore(registry.server().database()).importPath(osv);

            Map<String, byte[]> vulnerable = ScanFixtures.debian12("");
            Map<String, byte[]> fixed = new LinkedHashMap<>(vulnerable);
            fixed.put("var/lib/dpkg/status", new String(vulnerable.get("var/lib/dpkg/status"), StandardCharsets.UTF_8)
                    .replace("2.36-9+deb12u1", "2.36-9+deb12u3").replace("Architecture: amd64", "Architecture: arm64")
                    .getBytes(StandardCharsets.UTF_8));
            OciLayout layout = OciLayout.create(dir.resolve("layout"));
            OciLayout.Descriptor amd64 = layout.writeImage("linux", "amd64", List.of(vulnerable));
            OciLayout.Descriptor arm64 = layout.writeImage("linux", "arm64", List.of(fixed));
            Map<String, OciLayout.Descriptor> platforms = new LinkedHashMap<>();
            platforms.put("amd64", amd64);
            platforms.put("arm64", arm64);
            OciLayout.Descriptor index = layout.writeLinuxIndex(platforms);
            layout.tag(index, "v1");
            Exec.Result pushed = new Skopeo(dir).copy("--all", "--dest-creds", "alice:alice-password",
                    "oci:" + layout.root() + ":v1", "docker://" + registry.hostPort() + "/acme/multi:v1");
            assertThat(pushed.ok()).as(pushed.describe()).isTrue();

            UiClient alice = new UiClient(registry.baseUri()).signIn("alice", "alice-password");
            String tags = alice.awaitPage("/repo/acme/multi", b -> b.split(">scanned</a>", -1).length - 1 == 2);
            Matcher cell = Pattern.compile("<td class=\"scan\">(.*?)</td>", Pattern.DOTALL).matcher(tags);
            assertThat(cell.find()).as(tags).isTrue();
            String scans = cell.group(1);
            assertThat(cell.find()).as("one tag, one row").isFalse();
            List<String> lines = Pattern.compile("<div>(.*?)</div>", Pattern.DOTALL).matcher(scans).results()
                    .map(r -> r.group(1)).toList();
            assertThat(lines).as(scans).hasSize(2);
            String vulns = "/repo/acme/multi/-/vulnerabilities/";
            assertThat(lines.get(0)).contains("<span class=\"muted\">linux/amd64:</span>",
                    "<a href=\"" + vulns + amd64.digest() + "?tag=v1\" class=\"scan-link\">scanned</a>",
                    "<span class=\"badge sev-unknown\">1 unknown</span>", "grade ")
                    .doesNotContain("no findings", arm64.digest());
            assertThat(lines.get(1)).contains("<span class=\"muted\">linux/arm64:</span>",
                    "<a href=\"" + vulns + arm64.digest() + "?tag=v1\" class=\"scan-link\">scanned</a>",
                    "<span class=\"badge ok\">no findings</span>")
                    .doesNotContain("sev-unknown", amd64.digest());
            // Each line leads to its platform's own page; the index's page lists both platforms.
            assertThat(alice.get(vulns + amd64.digest() + "?tag=v1").body()).contains(">DSA-5514-1</a>");
            assertThat(alice.get(vulns + arm64.digest() + "?tag=v1").body()).contains("id=\"no-findings\"")
                    .doesNotContain(">DSA-5514-1</a>");
            assertThat(alice.get(vulns + index.digest()).body()).contains("id=\"platforms\"", "linux/amd64",
                    "linux/arm64");
        }
    }
}
