package dev.bollard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code bollard config check FILE}: valid files are printed, invalid ones explained, with exit codes. */
class ConfigCheckTest {
    @TempDir
    Path dir;

    private record Result(int exit, String out, String err) {
    }

    private static Result run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int exit = new CommandLine(new Main()).execute(args);
            return new Result(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    @Test
    void aValidFileIsPrinted() throws Exception {
        Path file = Files.writeString(dir.resolve("ok.yml"), "server:\n  listen: 127.0.0.1:5123\n");
        Result r = run("config", "check", file.toString());
        assertThat(r.exit()).isZero();
        assertThat(r.out()).contains("configuration is valid").contains("127.0.0.1:5123");
    }

    @Test
    void everyProblemIsReportedWithItsKeyAndSource() throws Exception {
        Path file = Files.writeString(dir.resolve("bad.yml"),
                "server:\n  listen: 127.0.0.1:99999\nuploads:\n  expiry: soon\nnot-a-key: 1\n");
        Result r = run("config", "check", file.toString());
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("unknown configuration key 'not-a-key'");

        Files.writeString(file, "server:\n  listen: 127.0.0.1:99999\nuploads:\n  expiry: soon\n");
        r = run("config", "check", "--config", file.toString());
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("server.listen (from " + file + ")").contains("uploads.expiry (from " + file + ")");
    }

    @Test
    void aMissingFileIsAClearError() {
        Result r = run("config", "check", dir.resolve("absent.yml").toString());
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("cannot read configuration file");
    }
}
