package dev.bollard.auth;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bollard.clients.Exec;
import dev.bollard.clients.Podman;
import dev.bollard.testing.Requirements;
import dev.bollard.testing.TestRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real clients against a registry with access control: skopeo and podman log in (password on stdin), push and pull
 * through the 401 → token endpoint → bearer flow, with a password, an application token and a robot token; and are
 * refused without credentials or with someone else's. Skipped where the tools are missing.
 */
class AuthClientsTest {
    @TempDir
    Path dir;

    private Exec exec() {
        return new Exec(dir, Map.of("REGISTRY_AUTH_FILE", dir.resolve("no-default-auth.json").toString()));
    }

    private Exec.Result run(String stdin, List<String> command) {
        return exec().run(Duration.ofMinutes(2), stdin, command);
    }

    private Exec.Result run(String... command) {
        return run(null, List.of(command));
    }

    private static void ok(Exec.Result r) {
        assertThat(r.ok()).as(r.describe()).isTrue();
    }

    /** An OCI layout with image {@code :v1} holding one file, made by umoci. */
    private Path layout() throws Exception {
        Path layout = dir.resolve("layout");
        Path file = Files.writeString(dir.resolve("hello.txt"), "hello from an authenticated push\n");
        ok(run("umoci", "init", "--layout", layout.toString()));
        ok(run("umoci", "new", "--image", layout + ":v1"));
        ok(run("umoci", "insert", "--rootless", "--image", layout + ":v1", file.toString(), "/hello.txt"));
        return layout;
    }

    @Test
    void skopeoWithPasswordApplicationTokenAndRobotToken() throws Exception {
        Requirements.onPath("skopeo", "umoci");
        Path layout = layout();
        try (TestRegistry registry = TestRegistry.startWithAuth(dir.resolve("data"))) {
            Identities ids = new Identities(registry.server().database());
            ids.users().create("alice", "alice-password", false);
            ids.users().create("bob", "bob-password", false);
            String app = ids.appTokens().create("alice", "laptop");
            String robot = ids.robots().create("alice", "ci");
            ids.repositories().grant("alice/robot-app", "alice+ci", "write");
            String host = registry.hostPort();
            String authfile = dir.resolve("auth.json").toString();
            String src = "oci:" + layout + ":v1";

            // Without credentials: refused, and the error says why.
            Exec.Result anonymous = run("skopeo", "copy", "--dest-tls-verify=false", src, "docker://" + host + "/alice/app:v1");
            assertThat(anonymous.ok()).as(anonymous.output()).isFalse();
            // c/image words a 401 to HEAD (no body) as "denied: requested access to the resource is denied".
            assertThat(anonymous.output().toLowerCase(Locale.ROOT)).containsAnyOf("unauthorized", "authentication required", "denied");

            // skopeo login, then push and pull with the stored credentials.
            Exec.Result badLogin = run("wrong-password", List.of("skopeo", "login", "--tls-verify=false", "--authfile", authfile,
                    "-u", "alice", "--password-stdin", host));
            assertThat(badLogin.ok()).as(badLogin.output()).isFalse();
            ok(run("alice-password", List.of("skopeo", "login", "--tls-verify=false", "--authfile", authfile,
                    "-u", "alice", "--password-stdin", host)));
            ok(run("skopeo", "copy", "--dest-tls-verify=false", "--authfile", authfile, src,
                    "docker://" + host + "/alice/app:v1"));
            ok(run("skopeo", "copy", "--src-tls-verify=false", "--authfile", authfile,
                    "docker://" + host + "/alice/app:v1", "oci:" + dir.resolve("pulled-password") + ":v1"));
            ok(run("skopeo", "list-tags", "--tls-verify=false", "--authfile", authfile, "docker://" + host + "/alice/app"));

            // --dest-creds / --src-creds with an application token.
            ok(run("skopeo", "copy", "--dest-tls-verify=false", "--dest-creds", "alice:" + app, src,
                    "docker://" + host + "/alice/by-token:v1"));
            ok(run("skopeo", "copy", "--src-tls-verify=false", "--src-creds", "alice:" + app,
                    "docker://" + host + "/alice/by-token:v1", "oci:" + dir.resolve("pulled-token") + ":v1"));

            // A robot with write on one repository: pushes and pulls it, nothing else.
            ok(run("skopeo", "copy", "--dest-tls-verify=false", "--dest-creds", "alice+ci:" + robot, src,
                    "docker://" + host + "/alice/robot-app:v1"));
            ok(run("skopeo", "copy", "--src-tls-verify=false", "--src-creds", "alice+ci:" + robot,
                    "docker://" + host + "/alice/robot-app:v1", "oci:" + dir.resolve("pulled-robot") + ":v1"));
            Exec.Result robotElsewhere = run("skopeo", "copy", "--dest-tls-verify=false", "--dest-creds", "alice+ci:" + robot,
                    src, "docker://" + host + "/alice/app:v2");
            assertThat(robotElsewhere.ok()).as(robotElsewhere.output()).isFalse();

            // Another user: may not read alice's private repository.
            Exec.Result bob = run("skopeo", "inspect", "--tls-verify=false", "--creds", "bob:bob-password",
                    "docker://" + host + "/alice/app:v1");
            assertThat(bob.ok()).as(bob.output()).isFalse();
            assertThat(bob.output().toLowerCase(Locale.ROOT)).containsAnyOf("denied", "unauthorized");

            // Public: anonymous pull works, anonymous push does not.
            ids.repositories().setVisibility("alice/app", true);
            ok(run("skopeo", "inspect", "--tls-verify=false", "--no-creds", "docker://" + host + "/alice/app:v1"));
            Exec.Result anonymousPush = run("skopeo", "copy", "--dest-tls-verify=false", "--dest-no-creds", src,
                    "docker://" + host + "/alice/app:v3");
            assertThat(anonymousPush.ok()).as(anonymousPush.output()).isFalse();
        }
    }

    private List<String> podman(String... args) {
        return Podman.command(dir, args);
    }

    @Test
    void podmanLogsInPushesAndPulls() throws Exception {
        Requirements.onPath("podman", "skopeo", "umoci");
        Exec.Result works = run(null, podman("images"));
        assertThat(works.ok()).as("podman installed but broken (before any registry is involved):\n%s", works.describe())
                .isTrue();
        Path layout = layout();
        try (TestRegistry registry = TestRegistry.startWithAuth(dir.resolve("data"))) {
            Identities ids = new Identities(registry.server().database());
            ids.users().create("alice", "alice-password", false);
            String host = registry.hostPort();
            String authfile = dir.resolve("podman-auth.json").toString();
            ok(run("skopeo", "copy", "--dest-tls-verify=false", "--dest-creds", "alice:alice-password",
                    "oci:" + layout + ":v1", "docker://" + host + "/alice/seed:v1"));

            Exec.Result anonymousPull = run(null, podman("pull", "--tls-verify=false", "--authfile", authfile,
                    host + "/alice/seed:v1"));
            assertThat(anonymousPull.ok()).as(anonymousPull.output()).isFalse();

            ok(run("alice-password", podman("login", "--tls-verify=false", "--authfile", authfile, "-u", "alice",
                    "--password-stdin", host)));
            ok(run(null, podman("pull", "--tls-verify=false", "--authfile", authfile, host + "/alice/seed:v1")));
            ok(run(null, podman("tag", host + "/alice/seed:v1", host + "/alice/pushed:v1")));
            ok(run(null, podman("push", "--tls-verify=false", "--authfile", authfile, host + "/alice/pushed:v1")));
            ok(run("skopeo", "inspect", "--tls-verify=false", "--creds", "alice:alice-password",
                    "docker://" + host + "/alice/pushed:v1"));
            ok(run(null, podman("logout", "--authfile", authfile, host)));

            // An application token instead of the password: podman login stores the token, never the password.
            String app = ids.appTokens().create("alice", "podman");
            ok(run(app, podman("login", "--tls-verify=false", "--authfile", authfile, "-u", "alice",
                    "--password-stdin", host)));
            assertThat(java.nio.file.Files.readString(Path.of(authfile))).doesNotContain("alice-password");
            ok(run(null, podman("tag", host + "/alice/seed:v1", host + "/alice/by-app-token:v1")));
            ok(run(null, podman("push", "--tls-verify=false", "--authfile", authfile, host + "/alice/by-app-token:v1")));
            ok(run(null, podman("pull", "--tls-verify=false", "--authfile", authfile, host + "/alice/by-app-token:v1")));
            ok(run(null, podman("logout", "--authfile", authfile, host)));

            // A robot token, with write on one repository.
            String robot = ids.robots().create("alice", "podman");
            ids.repositories().grant("alice/by-robot", "alice+podman", "write");
            ok(run(robot, podman("login", "--tls-verify=false", "--authfile", authfile, "-u", "alice+podman",
                    "--password-stdin", host)));
            ok(run(null, podman("tag", host + "/alice/seed:v1", host + "/alice/by-robot:v1")));
            ok(run(null, podman("push", "--tls-verify=false", "--authfile", authfile, host + "/alice/by-robot:v1")));
            Exec.Result elsewhere = run(null, podman("push", "--tls-verify=false", "--authfile", authfile,
                    host + "/alice/pushed:v1"));
            assertThat(elsewhere.ok()).as(elsewhere.output()).isFalse();
            ok(run(null, podman("logout", "--authfile", authfile, host)));
        }
    }
}
