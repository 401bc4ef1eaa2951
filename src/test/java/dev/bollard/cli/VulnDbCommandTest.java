package dev.bollard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bollard.config.BollardConfig;
import dev.bollard.metadata.Database;
import dev.bollard.testing.Cli;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code bollard vulndb import} and {@code status} on a registry's data directory. */
class VulnDbCommandTest {
    @TempDir
    Path dir;

    @Test
    void importsShowsTheStatusAndRefusesAMalformedSourceClearly() throws Exception {
        BollardConfig config = BollardConfig.defaults(dir.resolve("data"), "127.0.0.1", 0);
        try (Database db = Database.open(config.database())) {
            // the registry's database (commands refuse to create one)
        }
        String data = dir.resolve("data").toString();

        Cli.Result empty = Cli.run("vulndb", "status", "--data", data);
        assertThat(empty.exit()).as(empty.err()).isZero();
        assertThat(empty.out()).contains("no vulnerability data: import it with bollard vulndb import");

        Cli.Result imported = Cli.run("vulndb", "import", "src/test/resources/osv/real", "--data", data);
        assertThat(imported.exit()).as(imported.err()).isZero();
        assertThat(imported.out()).contains("9 added, 0 updated, 0 unchanged, 0 withdrawn");

        Cli.Result fromUrl = Cli.run("vulndb", "import", Path.of("src/test/resources/osv/real/DSA-5514-1.json")
                .toAbsolutePath().toUri().toString(), "--data", data);
        assertThat(fromUrl.exit()).as(fromUrl.err()).isZero();
        assertThat(fromUrl.out()).contains("0 added, 0 updated, 1 unchanged");

        Cli.Result status = Cli.run("vulndb", "status", "--data", data);
        assertThat(status.exit()).as(status.err()).isZero();
        assertThat(status.out()).contains("records: 9").containsPattern("Debian:12\\s+3")
                .contains("newest record modified: 2024-07-02T10:00:00Z").contains("last import: ")
                .contains("DSA-5514-1.json (0 added, 0 updated, 1 unchanged, 0 withdrawn)");

        Path bad = Files.writeString(dir.resolve("bad.json"), "{\"id\": \"X-1\", \"modified\": \"yesterday\"}");
        Cli.Result refused = Cli.run("vulndb", "import", bad.toString(), "--data", data);
        assertThat(refused.exit()).isEqualTo(1);
        assertThat(refused.err()).startsWith("bollard: " + bad + ": bad.json: X-1 has a modified time that is not RFC 3339");
        assertThat(Cli.run("vulndb", "status", "--data", data).out()).contains("records: 9");
    }
}
