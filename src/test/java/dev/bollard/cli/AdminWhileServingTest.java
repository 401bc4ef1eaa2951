package dev.bollard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bollard.testing.Cli;
import dev.bollard.testing.ServerProcess;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Administration commands typed while the registry runs on its embedded database (which admits one process) run
 * inside the registry, through its control socket, with the same output, errors and exit codes as on their own:
 * a new user can sign in at once, without a restart.
 */
class AdminWhileServingTest {

    @TempDir
    static Path dir;

    static ServerProcess server;
    static Path data;

    @BeforeAll
    static void start() throws Exception {
        data = dir.resolve("data");
        server = ServerProcess.builder(data).env("BOLLARD_AUTH_ENABLED", "true")
                .env("BOLLARD_ADMIN_PASSWORD", "first-admin-password").start();
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
    }

    @Test
    void aUserCreatedWhileTheRegistryRunsCanSignInAtOnce() throws Exception {
        Cli.Result created = Cli.run("user", "create", "alice", "--generate-password", "--data", data.toString());
        assertThat(created.exit()).as(created.err()).isZero();
        Matcher shown = Pattern.compile("password \\(shown once\\): (\\S+)").matcher(created.out());
        assertThat(created.out()).startsWith("created user alice\n");
        assertThat(shown.find()).as(created.out()).isTrue();
        assertThat(get("/api/v1/users/alice", "alice", shown.group(1)).statusCode()).isEqualTo(200);

        Cli.Result users = Cli.run("user", "list", "--data", data.toString());
        assertThat(users.exit()).isZero();
        assertThat(users.out().lines()).contains("admin", "alice");

        // The change is in the audit log, made from the command line by this OS user.
        Cli.Result audit = Cli.run("audit", "export", "--data", data.toString());
        assertThat(audit.exit()).isZero();
        assertThat(audit.out()).contains("\"cli:" + System.getProperty("user.name", ""));
    }

    @Test
    void aPasswordOnStandardInputIsReadHereAndSetThere() throws Exception {
        assertThat(Cli.run("user", "create", "bob", "--generate-password", "--data", data.toString()).exit()).isZero();
        InputStream stdin = System.in;
        Cli.Result reset;
        try {
            System.setIn(new ByteArrayInputStream("bobs-new-password\n".getBytes(StandardCharsets.UTF_8)));
            reset = Cli.run("user", "reset-password", "bob", "--password-stdin", "--data", data.toString());
        } finally {
            System.setIn(stdin);
        }
        assertThat(reset.exit()).as(reset.err()).isZero();
        assertThat(reset.out()).isEqualTo("password of bob changed\n");
        assertThat(get("/api/v1/users/bob", "bob", "bobs-new-password").statusCode()).isEqualTo(200);
    }

    @Test
    void errorsAndExitCodesAreTheCommandsOwn() {
        Cli.Result refused = Cli.run("org", "create", "team-a", "--owner", "nobody-by-this-name", "--data",
                data.toString());
        assertThat(refused.exit()).isEqualTo(1);
        assertThat(refused.out()).isEmpty();
        assertThat(refused.err()).startsWith("bollard: ").contains("nobody-by-this-name").doesNotContain("\tat ");

        Cli.Result gc = Cli.run("gc", "--dry-run", "--data", data.toString());
        assertThat(gc.exit()).as(gc.err()).isZero();
        assertThat(gc.out()).contains("grace").contains("uploads");
    }

    @Test
    void onlyTheOwnerOfTheDataDirectoryMayConnect() throws Exception {
        Path socket = ControlSocket.pathIn(data);
        assertThat(Files.exists(socket)).isTrue();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(socket.getParent())))
                .isEqualTo("rwx------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(socket))).isEqualTo("rw-------");
    }

    private static HttpResponse<String> get(String path, String user, String password) throws Exception {
        String basic = Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
        try (HttpClient client = HttpClient.newHttpClient()) {
            return client.send(HttpRequest.newBuilder(URI.create(server.baseUri() + path))
                    .header("Authorization", "Basic " + basic).build(), HttpResponse.BodyHandlers.ofString());
        }
    }
}
