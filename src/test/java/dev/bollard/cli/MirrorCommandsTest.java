package dev.bollard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bollard.auth.Identities;
import dev.bollard.testing.Cli;
import dev.bollard.testing.TestRegistry;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code bollard repo mirror}, {@code mirror-sync}, {@code mirror-status} and {@code mirror-remove}, audited. */
class MirrorCommandsTest {
    @TempDir
    Path dir;

    @Test
    void aRepositoryBecomesAMirrorSyncsAndIsAnOrdinaryOneAgain() throws Exception {
        Path data = dir.resolve("data");
        try (TestRegistry registry = TestRegistry.startWithAuth(data)) {
            Identities ids = new Identities(registry.server().database());
            ids.users().create("owner", "owner-password-1", false);
            ids.organizations().create("acme", "owner");
        }
        String d = data.toString();
        Cli.Result set = Cli.run("repo", "mirror", "acme/node", "--url", "http://127.0.0.1:1",
                "--upstream-repository", "prom/node-exporter", "--tag", "v1.*", "--arch", "amd64", "--arch", "arm64",
                "--interval", "10m", "--data", d);
        assertThat(set.exit()).as(set.err()).isZero();
        assertThat(set.out()).isEqualTo("acme/node mirrors http://127.0.0.1:1/prom/node-exporter, pulling anonymously, "
                + "every 10m\n");
        Cli.Result badFilter = Cli.run("repo", "mirror", "acme/node", "--url", "http://127.0.0.1:1",
                "--upstream-repository", "x", "--tag-regex", "v(", "--data", d);
        assertThat(badFilter.exit()).isNotZero();
        assertThat(badFilter.err()).contains("tag_regex is not a regular expression");
        Cli.Result badInterval = Cli.run("repo", "mirror", "acme/node", "--url", "http://127.0.0.1:1",
                "--upstream-repository", "x", "--interval", "5s", "--data", d);
        assertThat(badInterval.exit()).isNotZero();
        assertThat(badInterval.err()).contains("the interval between syncs must be from 1m to ").contains(", not 5s");

        // The registry runs the due sync: its upstream is a closed port, so the run fails and says why.
        try (TestRegistry registry = TestRegistry.startWithAuth(data)) {
            long end = System.nanoTime() + 30_000_000_000L;
            Cli.Result status = Cli.run("repo", "mirror-status", "acme/node", "--data", d);
            // " failed " is the run's state; a running run's counts say "0 failed," too.
            while (!status.out().contains(" failed ") && System.nanoTime() < end) {
                Thread.sleep(200);
                status = Cli.run("repo", "mirror-status", "acme/node", "--data", d);
            }
            assertThat(status.out()).as(status.err()).contains("acme/node mirrors http://127.0.0.1:1/prom/node-exporter")
                    .contains(" failed ").contains("is unreachable");
            Cli.Result now = Cli.run("repo", "mirror-sync", "acme/node", "--data", d);
            assertThat(now.exit()).as(now.err()).isZero();
            assertThat(now.out()).isEqualTo("acme/node syncs now\n");
        }
        Cli.Result removed = Cli.run("repo", "mirror-remove", "acme/node", "--data", d);
        assertThat(removed.exit()).as(removed.err()).isZero();
        Cli.Result again = Cli.run("repo", "mirror-remove", "acme/node", "--data", d);
        assertThat(again.exit()).isNotZero();
        assertThat(again.err()).contains("is no mirror");
        Cli.Result audit = Cli.run("audit", "export", "--data", d);
        assertThat(audit.out()).contains("mirror.set").contains("mirror.sync.failed").contains("mirror.sync.request")
                .contains("mirror.delete");
    }
}
