package dev.bollard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bollard.testing.ServerProcess;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A new registry has no users: the log and the sign-in page say how to create the first administrator, and
 * BOLLARD_ADMIN_PASSWORD or --admin-password-file create the superuser admin, once (never changing a password later).
 */
class FirstAdminTest {
    @TempDir
    Path dir;

    private final HttpClient http = HttpClient.newHttpClient();

    private int v2As(URI base, String user, String password) throws Exception {
        String basic = Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
        return http.send(HttpRequest.newBuilder(base.resolve("/v2/")).header("Authorization", "Basic " + basic).build(),
                HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    private String signInPage(URI base) throws Exception {
        return http.send(HttpRequest.newBuilder(base.resolve("/signin")).build(), HttpResponse.BodyHandlers.ofString())
                .body();
    }

    @Test
    void aNewRegistrySaysHowToGetInAndTheAdminPasswordCreatesTheFirstSuperuserOnce() throws Exception {
        Path data = dir.resolve("data");
        try (ServerProcess server = ServerProcess.builder(data).env("BOLLARD_AUTH_ENABLED", "true").start()) {
            assertThat(server.log()).contains("WARN  [main] dev.bollard.app.Bollard - no users yet, so nobody can sign "
                    + "in. To create the first administrator, start Bollard with BOLLARD_ADMIN_PASSWORD set (or "
                    + "--admin-password-file FILE): it creates the superuser admin; or, while it runs, run: bollard "
                    + "user create admin --superuser --data " + data.toAbsolutePath());
            assertThat(signInPage(server.baseUri())).contains("id=\"no-users\"")
                    .contains("This registry has no users yet.");
            server.stop();
            assertThat(server.log()).contains("stopping: finishing the requests in flight").contains("Bollard stopped");
        }

        try (ServerProcess server = ServerProcess.builder(data).env("BOLLARD_AUTH_ENABLED", "true")
                .env("BOLLARD_ADMIN_PASSWORD", "first-password-1").start()) {
            assertThat(server.log()).contains("created the superuser admin with the password given");
            assertThat(v2As(server.baseUri(), "admin", "first-password-1")).isEqualTo(200);
            assertThat(signInPage(server.baseUri())).doesNotContain("no-users");
        }

        Path file = Files.writeString(dir.resolve("admin-password"), "another-password-2\n");
        try (ServerProcess server = ServerProcess.builder(data).env("BOLLARD_AUTH_ENABLED", "true")
                .args("--admin-password-file", file.toString()).start()) {
            assertThat(server.log()).contains("users exist: the admin password given (BOLLARD_ADMIN_PASSWORD or "
                    + "--admin-password-file) is not used; it only creates the first administrator");
            assertThat(v2As(server.baseUri(), "admin", "first-password-1")).isEqualTo(200);
            assertThat(v2As(server.baseUri(), "admin", "another-password-2")).isEqualTo(401);
        }
    }

    @Test
    void theAdminPasswordFileMustExist() {
        Path absent = dir.resolve("absent");
        dev.bollard.testing.Cli.Result r = dev.bollard.testing.Cli.run("serve", "--data", dir.resolve("d").toString(),
                "--admin-password-file", absent.toString());
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).isEqualTo("bollard: the admin password file " + absent + " does not exist\n");
    }
}
