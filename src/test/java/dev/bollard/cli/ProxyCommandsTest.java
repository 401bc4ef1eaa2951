package dev.bollard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bollard.auth.Identities;
import dev.bollard.testing.Cli;
import dev.bollard.testing.TestRegistry;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code bollard org proxy} and {@code bollard org proxy-remove} on a stopped registry's data directory. */
class ProxyCommandsTest {
    @TempDir
    Path dir;

    @Test
    void anOrganizationBecomesAProxyAndAnOrdinaryOneAgainAudited() throws Exception {
        Path data = dir.resolve("data");
        try (TestRegistry registry = TestRegistry.startWithAuth(data)) {
            Identities ids = new Identities(registry.server().database());
            ids.users().create("owner", "owner-password-1", false);
            ids.organizations().create("hub", "owner");
        }
        Cli.Result set = Cli.run("org", "proxy", "hub", "--url", "https://registry-1.docker.io", "--tag-check-interval",
                "10m", "--data", data.toString());
        assertThat(set.exit()).as(set.err()).isZero();
        assertThat(set.out()).isEqualTo("hub is a proxy of https://registry-1.docker.io/, pulling anonymously; tags "
                + "checked at most every 10m\n");
        Cli.Result notAnOrg = Cli.run("org", "proxy", "nobody", "--url", "https://quay.io", "--data", data.toString());
        assertThat(notAnOrg.exit()).isNotZero();
        assertThat(notAnOrg.err()).contains("no organization 'nobody'");
        Cli.Result badUrl = Cli.run("org", "proxy", "hub", "--url", "quay.io", "--data", data.toString());
        assertThat(badUrl.exit()).isNotZero();
        assertThat(badUrl.err()).contains("must be an http(s) URL");

        try (TestRegistry registry = TestRegistry.startWithAuth(data)) {
            var row = registry.server().database().read(h -> h.createQuery(
                    "SELECT url, library_names, tag_check_seconds FROM proxy_upstream WHERE namespace = 'hub'")
                    .mapToMap().one());
            assertThat(row).containsEntry("url", "https://registry-1.docker.io/").containsEntry("library_names", true)
                    .containsEntry("tag_check_seconds", 600);
        }
        Cli.Result removed = Cli.run("org", "proxy-remove", "hub", "--data", data.toString());
        assertThat(removed.exit()).as(removed.err()).isZero();
        Cli.Result again = Cli.run("org", "proxy-remove", "hub", "--data", data.toString());
        assertThat(again.exit()).isNotZero();
        assertThat(again.err()).contains("no proxy organization");
        Cli.Result audit = Cli.run("audit", "export", "--data", data.toString());
        assertThat(audit.out()).contains("proxy.set").contains("proxy.delete");
    }
}
