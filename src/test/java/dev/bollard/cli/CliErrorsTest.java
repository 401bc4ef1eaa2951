package dev.bollard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bollard.config.BollardConfig;
import dev.bollard.error.BollardException;
import dev.bollard.metadata.Database;
import dev.bollard.testing.Cli;
import dev.bollard.testing.ServerProcess;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every failure of the command line is one or two lines, what went wrong and what to do, with the exact words a
 * person reads; a stack trace only with {@code --debug}.
 */
class CliErrorsTest {
    @TempDir
    Path dir;

    private static final String PG_REFUSED = "Connection to 127.0.0.1:1 refused. Check that the hostname and port are "
            + "correct and that the postmaster is accepting TCP/IP connections.";
    private static final String CHECK_DATABASE = "  check database.url, database.username and database.password, and "
            + "that the database server runs and accepts connections from here\n";

    @Test
    void aCommandOnADirectoryWithoutADatabaseSaysSoAndCreatesNothing() {
        Path elsewhere = dir.resolve("elsewhere");
        Cli.Result r = Cli.run("user", "create", "admin", "--superuser", "--generate-password", "--data",
                elsewhere.toString());
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).isEqualTo("bollard: " + elsewhere + " holds no Bollard database (no registry has run with "
                + "--data " + elsewhere + ")\n  give the registry's data directory with --data DIR or its --config "
                + "FILE; a new registry begins with bollard serve (BOLLARD_ADMIN_PASSWORD creates its first "
                + "administrator)\n");
        assertThat(elsewhere).doesNotExist();
    }

    @Test
    void debugAddsTheStackTrace() {
        Cli.Result r = Cli.run("user", "list", "--data", dir.resolve("none").toString(), "--debug");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains("CliErrors$Failure: ").contains("\tat dev.bollard.cli.AdminCommands$DbCommand.call")
                .endsWith("(BOLLARD_ADMIN_PASSWORD creates its first administrator)\n");
    }

    @Test
    void aRunningRegistryIsNamedInsteadOfTheDatabaseInternals() throws Exception {
        Path data = dir.resolve("data");
        try (ServerProcess server = ServerProcess.builder(data).start()) {
            // A running registry takes administration commands through its control socket (AdminWhileServingTest);
            // without it (an older registry, another program holding the database), the command says what to do.
            Files.delete(ControlSocket.pathIn(data));
            Cli.Result admin = Cli.run("user", "list", "--data", data.toString());
            assertThat(admin.exit()).isEqualTo(1);
            assertThat(admin.err()).isEqualTo("bollard: the embedded database " + data.resolve("db/bollard")
                    + " is in use by another process\n  is the registry running on " + data + "? A running registry "
                    + "takes these commands through " + ControlSocket.pathIn(data) + ", but nothing answers there (an "
                    + "older registry, or another program holding the database): stop it, run this command, then start "
                    + "it again\n");

            Cli.Result second = Cli.run("serve", "--data", data.toString(), "--listen", "127.0.0.1:0");
            assertThat(second.exit()).isEqualTo(1);
            assertThat(second.err()).isEqualTo("bollard: the embedded database " + data.resolve("db/bollard")
                    + " is in use by another process\n  is Bollard already running on " + data + "? Stop it first, "
                    + "or give this one a data directory of its own with --data DIR\n");

            String address = "127.0.0.1:" + server.baseUri().getPort();
            Cli.Result busy = Cli.run("serve", "--data", dir.resolve("other").toString(), "--listen", address);
            assertThat(busy.exit()).isEqualTo(1);
            assertThat(busy.err()).endsWith("bollard: cannot listen on " + address + ": the address is in use\n"
                    + "  is Bollard already running? Stop it, or choose another address with --listen HOST:PORT\n")
                    .doesNotContain("\tat ").doesNotContain("Exception");
        }
    }

    @Test
    void anUnreachablePostgresqlIsOneLineAndWhatToCheck() throws Exception {
        Path config = Files.writeString(dir.resolve("pg.yml"),
                "database:\n  url: jdbc:postgresql://127.0.0.1:1/bollard?password=secret\n");
        Cli.Result admin = Cli.run("user", "list", "--config", config.toString());
        assertThat(admin.exit()).isEqualTo(1);
        assertThat(admin.err()).isEqualTo("bollard: cannot connect to the database jdbc:postgresql://127.0.0.1:1/bollard: "
                + PG_REFUSED + "\n" + CHECK_DATABASE);

        Cli.Result serve = Cli.run("serve", "--config", config.toString(), "--data", dir.resolve("d").toString());
        assertThat(serve.exit()).isEqualTo(1);
        assertThat(serve.err()).isEqualTo("bollard: cannot connect to the database jdbc:postgresql://127.0.0.1:1/bollard: "
                + PG_REFUSED + "\n" + CHECK_DATABASE);
    }

    @Test
    void anUnreachableS3IsOneLineAndWhatToCheck() throws Exception {
        Path data = dir.resolve("data");
        try (Database db = Database.open(BollardConfig.defaults(data, "127.0.0.1", 0).database())) {
            assertThat(db.isReachable()).isTrue();
        }
        Path config = Files.writeString(dir.resolve("s3.yml"), """
                storage:
                  type: s3
                  s3:
                    bucket: blobs
                    endpoint: http://127.0.0.1:1
                    access-key: a
                    secret-key: b
                """);
        Cli.Result r = Cli.run("gc", "--dry-run", "--data", data.toString(), "--config", config.toString());
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).isEqualTo("bollard: cannot reach the blob store, the S3 bucket blobs (http://127.0.0.1:1)\n"
                + "  check that it runs and that the bucket exists, and storage.s3.endpoint, region, path-style and the "
                + "credentials\n");
    }

    @Test
    void anUnexpectedFailureIsItsMessageNotItsClassNames() {
        assertThat(report(new RuntimeException(new UncheckedIOException(new IOException("No space left on device")))))
                .isEqualTo("""
                        bollard: failed: No space left on device
                          run the command again with --debug for the details
                        """);
        assertThat(report(new IllegalStateException(new BollardException(dev.bollard.error.ErrorCode.NOT_FOUND,
                "no robot acme+ci")))).isEqualTo("bollard: no robot acme+ci\n");
        assertThat(report(new NullPointerException())).isEqualTo("""
                bollard: failed: NullPointerException
                  run the command again with --debug for the details
                """);
    }

    private static String report(Exception e) {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        CliErrors.report(e, false, new PrintWriter(new OutputStreamWriter(err, StandardCharsets.UTF_8), true));
        return err.toString(StandardCharsets.UTF_8);
    }
}
