package dev.bollard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bollard.testing.Cli;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code bollard config check FILE}: valid files are printed, invalid ones explained, with exit codes. */
class ConfigCheckTest {
    @TempDir
    Path dir;

    @Test
    void aValidFileIsPrinted() throws Exception {
        Path file = Files.writeString(dir.resolve("ok.yml"), "server:\n  listen: 127.0.0.1:5123\n");
        Cli.Result r = Cli.run("config", "check", file.toString());
        assertThat(r.exit()).isZero();
        assertThat(r.out()).contains("configuration is valid").contains("127.0.0.1:5123");
    }

    @Test
    void everyProblemIsReportedWithItsKeyAndSource() throws Exception {
        Path file = Files.writeString(dir.resolve("bad.yml"),
                "server:\n  listen: 127.0.0.1:99999\nuploads:\n  expiry: soon\nnot-a-key: 1\n");
        Cli.Result r = Cli.run("config", "check", file.toString());
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("unknown configuration key 'not-a-key'");

        Files.writeString(file, "server:\n  listen: 127.0.0.1:99999\nuploads:\n  expiry: soon\n");
        r = Cli.run("config", "check", "--config", file.toString());
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("server.listen (from " + file + ")").contains("uploads.expiry (from " + file + ")");
    }

    @Test
    void aMissingFileIsAClearError() {
        Cli.Result r = Cli.run("config", "check", dir.resolve("absent.yml").toString());
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("cannot read configuration file");
    }
}
