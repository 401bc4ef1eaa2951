package dev.bollard.auth;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bollard.clients.Exec;
import dev.bollard.config.BollardConfig;
import dev.bollard.config.ConfigLoader;
import dev.bollard.testing.TestCa;
import dev.bollard.testing.Requirements;
import dev.bollard.testing.TestRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Docker (the Debian engine, dockerd 20.10) and containerd (1.6, through ctr) against a registry with access
 * control: each logs in or passes credentials the way it does (docker: login, then the 401 → token endpoint → bearer
 * flow; ctr: --user on each command), pushes and pulls with a password, an application token and a robot token, and
 * is refused without credentials. The test starts its own containerd and dockerd on sockets in a temporary directory
 * (no network set-up: no bridge, no iptables; the vfs storage driver), as root; skipped, with the reason, where either
 * is not installed or cannot start here.
 */
class DockerContainerdClientsTest {

    private static final Duration TIMEOUT = Duration.ofMinutes(3);

    @TempDir
    static Path daemons;
    private static Process containerd;
    private static Process dockerd;
    private static String containerdSocket;
    private static String dockerHost;

    @TempDir
    Path dir;

    @BeforeAll
    static void startDaemons() throws Exception {
        Requirements.onPath("containerd", "ctr", "dockerd");
        Requirements.root("dockerd and containerd run only as root");
        containerdSocket = daemons.resolve("containerd.sock").toString();
        Path config = Files.writeString(daemons.resolve("containerd.toml"), """
                version = 2
                root = "%s"
                state = "%s"
                [grpc]
                  address = "%s"
                """.formatted(daemons.resolve("containerd-root"), daemons.resolve("containerd-state"), containerdSocket));
        containerd = new ProcessBuilder("containerd", "--config", config.toString())
                .redirectErrorStream(true).redirectOutput(daemons.resolve("containerd.log").toFile()).start();
        awaitDaemon(List.of("ctr", "--address", containerdSocket, "version"), daemons.resolve("containerd.log"));

        dockerHost = "unix://" + daemons.resolve("docker.sock");
        dockerd = new ProcessBuilder("dockerd", "--host", dockerHost,
                "--data-root", daemons.resolve("docker-root").toString(),
                "--exec-root", daemons.resolve("docker-exec").toString(),
                "--pidfile", daemons.resolve("docker.pid").toString(),
                "--containerd", containerdSocket, "--storage-driver", "vfs",
                "--iptables=false", "--ip-forward=false", "--bridge=none")
                .redirectErrorStream(true).redirectOutput(daemons.resolve("dockerd.log").toFile()).start();
        awaitDaemon(List.of(docker(), "--host", dockerHost, "version"), daemons.resolve("dockerd.log"));
    }

    @AfterAll
    static void stopDaemons() throws InterruptedException {
        for (Process p : new Process[] {dockerd, containerd}) {
            if (p != null && p.isAlive()) {
                p.destroy();
                if (!p.waitFor(20, TimeUnit.SECONDS)) {
                    p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            }
        }
    }

    /**
     * Waits until {@code probe} succeeds; fails the tests, with the daemon's log, when it never does (an installed
     * daemon that does not start is broken, not absent).
     */
    private static void awaitDaemon(List<String> probe, Path log) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        Exec.Result last = null;
        while (System.nanoTime() < deadline) {
            last = new Exec(daemons).run(probe);
            if (last.ok()) {
                return;
            }
            Thread.sleep(250);
        }
        String tail = Files.exists(log) ? Files.readString(log) : "(no log)";
        throw new AssertionError(probe.get(0) + " installed but could not reach its daemon:\n" + last.describe() + "\n"
                + tail.substring(Math.max(0, tail.length() - 2000)));
    }

    /** The Debian engine's own client: the one in /usr/bin speaks its API version. */
    private static String docker() {
        return Files.isExecutable(Path.of("/usr/bin/docker")) ? "/usr/bin/docker" : "docker";
    }

    /** docker with this test's daemon and its own client configuration (where docker login stores credentials). */
    private Exec.Result docker(String stdin, String... args) {
        List<String> cmd = new ArrayList<>(List.of(docker(), "--host", dockerHost, "--config",
                dir.resolve("docker-config").toString()));
        cmd.addAll(List.of(args));
        return new Exec(dir).run(TIMEOUT, stdin, cmd);
    }

    private Exec.Result ctr(String... args) {
        List<String> cmd = new ArrayList<>(List.of("ctr", "--address", containerdSocket, "--namespace", "bollard-test"));
        cmd.addAll(List.of(args));
        return new Exec(dir).run(TIMEOUT, null, cmd);
    }

    private static void ok(Exec.Result r) {
        assertThat(r.ok()).as(r.describe()).isTrue();
    }

    private static void refused(Exec.Result r) {
        assertThat(r.ok()).as(r.describe()).isFalse();
        assertThat(r.output().toLowerCase(Locale.ROOT)).containsAnyOf("unauthorized", "denied", "authentication required",
                "insufficient_scope", "403", "401");
    }

    /** A one-file image in docker's store, made by docker import from a tar of a directory. */
    private void importImage(String reference) throws Exception {
        Path rootfs = Files.createDirectories(dir.resolve("rootfs"));
        Files.writeString(rootfs.resolve("hello.txt"), "hello from docker import, " + reference + "\n");
        Path tar = dir.resolve("rootfs.tar");
        ok(new Exec(dir).run("tar", "-C", rootfs.toString(), "-cf", tar.toString(), "."));
        ok(docker(null, "import", "--change", "CMD [\"/hello.txt\"]", tar.toString(), reference));
    }

    @Test
    void dockerLogsInPushesAndPullsWithPasswordApplicationTokenAndRobotToken() throws Exception {
        try (TestRegistry registry = TestRegistry.startWithAuth(dir.resolve("data"))) {
            Identities ids = new Identities(registry.server().database());
            ids.users().create("alice", "alice-password", false);
            String app = ids.appTokens().create("alice", "docker-laptop");
            String robot = ids.robots().create("alice", "builder");
            ids.repositories().grant("alice/robot-app", "alice+builder", "write");
            String host = registry.hostPort(); // 127.0.0.0/8 is an insecure registry to docker by default: plain HTTP
            importImage(host + "/alice/app:v1");

            refused(docker(null, "push", host + "/alice/app:v1"));

            Exec.Result badLogin = docker("wrong-password", "login", "--username", "alice", "--password-stdin", host);
            assertThat(badLogin.ok()).as(badLogin.output()).isFalse();
            ok(docker("alice-password", "login", "--username", "alice", "--password-stdin", host));
            ok(docker(null, "push", host + "/alice/app:v1"));
            ok(docker(null, "image", "rm", host + "/alice/app:v1"));
            ok(docker(null, "pull", host + "/alice/app:v1"));
            Exec.Result inspect = docker(null, "image", "inspect", "--format", "{{json .Config.Cmd}}", host + "/alice/app:v1");
            ok(inspect);
            assertThat(inspect.output()).contains("/hello.txt");
            ok(docker(null, "logout", host));
            refused(docker(null, "pull", host + "/alice/app:v1"));

            // An application token in place of the password.
            ok(docker(app, "login", "--username", "alice", "--password-stdin", host));
            ok(docker(null, "tag", host + "/alice/app:v1", host + "/alice/by-token:v1"));
            ok(docker(null, "push", host + "/alice/by-token:v1"));
            ok(docker(null, "logout", host));

            // A robot: writes the repository it was granted, nothing else.
            ok(docker(robot, "login", "--username", "alice+builder", "--password-stdin", host));
            ok(docker(null, "tag", host + "/alice/app:v1", host + "/alice/robot-app:v1"));
            ok(docker(null, "push", host + "/alice/robot-app:v1"));
            ok(docker(null, "image", "rm", host + "/alice/robot-app:v1"));
            ok(docker(null, "pull", host + "/alice/robot-app:v1"));
            ok(docker(null, "tag", host + "/alice/app:v1", host + "/alice/app:robot"));
            refused(docker(null, "push", host + "/alice/app:robot"));
        }
    }

    @Test
    void containerdPullsAndPushesWithCredentialsAndAnonymouslyWhenPublic() throws Exception {
        try (TestRegistry registry = TestRegistry.startWithAuth(dir.resolve("data"))) {
            Identities ids = new Identities(registry.server().database());
            ids.users().create("alice", "alice-password", false);
            String robot = ids.robots().create("alice", "deployer");
            ids.repositories().grant("alice/ctr-copy", "alice+deployer", "write");
            String host = registry.hostPort();
            importImage(host + "/alice/seed:v1");
            ok(docker("alice-password", "login", "--username", "alice", "--password-stdin", host));
            ok(docker(null, "push", host + "/alice/seed:v1"));

            String seed = host + "/alice/seed:v1";
            refused(ctr("images", "pull", "--plain-http", seed));
            ok(ctr("images", "pull", "--plain-http", "--user", "alice:alice-password", seed));
            Exec.Result listed = ctr("images", "list", "--quiet");
            ok(listed);
            assertThat(listed.output()).contains(seed);

            // The robot pushes a copy to the repository it may write, and may not write elsewhere.
            String copy = host + "/alice/ctr-copy:v1";
            ok(ctr("images", "tag", seed, copy));
            ok(ctr("images", "push", "--plain-http", "--user", "alice+deployer:" + robot, copy));
            ok(ctr("images", "tag", seed, host + "/alice/seed:robot"));
            refused(ctr("images", "push", "--plain-http", "--user", "alice+deployer:" + robot, host + "/alice/seed:robot"));

            // Public repository: anonymous pull of what the robot pushed.
            ids.repositories().setVisibility("alice/ctr-copy", true);
            ok(ctr("images", "remove", copy));
            ok(ctr("images", "pull", "--plain-http", copy));
        }
    }

    /**
     * TLS with verification on: the registry serves a certificate of a test CA on this machine's own (non-loopback)
     * address — docker takes every 127.0.0.0/8 registry for an insecure one and would not verify anything there. docker
     * trusts the CA through {@code /etc/docker/certs.d/<host:port>/ca.crt} (the daemon's fixed place; written here and
     * removed afterwards), containerd through {@code ctr --tlscacert} and a {@code hosts.toml}. Without the CA, or with
     * another CA's certificate in its place, both refuse the registry's certificate.
     */
    @Test
    void dockerAndContainerdVerifyTheRegistrysCertificate() throws Exception {
        String address = ownAddress();
        Requirements.require(address != null, "this machine has no non-loopback IPv4 address to serve TLS on (docker "
                + "does not verify registries on 127.0.0.0/8)");
        TestCa ca = TestCa.create(dir.resolve("ca"));
        TestCa.Issued certificate = ca.issue("registry", "ec", List.of("IP:" + address));
        BollardConfig config = ConfigLoader.builder().set("data-dir", dir.resolve("data").toString())
                .set("server.listen", address + ":0")
                .set("server.tls.certificate", certificate.chain().toString())
                .set("server.tls.private-key", certificate.privateKey().toString()).load();
        try (TestRegistry registry = TestRegistry.start(config)) {
            new Identities(registry.server().database()).users().create("alice", "alice-password", false);
            String host = registry.hostPort();
            assertThat(host).startsWith(address + ":");
            String image = host + "/alice/tls:v1";
            importImage(image);
            Path certsD = Path.of("/etc/docker/certs.d");
            boolean certsDExisted = Files.isDirectory(certsD);
            Path trusted = certsD.resolve(host);
            try {
                // Not trusted yet: docker refuses the certificate (it never falls back to plain HTTP here).
                untrusted(docker("alice-password", "login", "--username", "alice", "--password-stdin", host));

                Files.createDirectories(trusted);
                Files.copy(ca.certificate(), trusted.resolve("ca.crt"));
                ok(docker("alice-password", "login", "--username", "alice", "--password-stdin", host));
                ok(docker(null, "push", image));
                ok(docker(null, "image", "rm", image));
                ok(docker(null, "pull", image));

                // containerd: refused without the CA, then with it by --tlscacert (push) and a hosts.toml (pull).
                untrusted(ctr("images", "pull", "--user", "alice:alice-password", image));
                ok(ctr("images", "pull", "--tlscacert", ca.certificate().toString(), "--user", "alice:alice-password",
                        image));
                String copy = host + "/alice/tls-copy:v1";
                ok(ctr("images", "tag", image, copy));
                ok(ctr("images", "push", "--tlscacert", ca.certificate().toString(), "--user", "alice:alice-password",
                        copy));
                Path hosts = Files.createDirectories(dir.resolve("hosts.d").resolve(host));
                Files.writeString(hosts.resolve("hosts.toml"), """
                        server = "https://%s"
                        [host."https://%s"]
                          ca = "%s"
                        """.formatted(host, host, ca.certificate()));
                ok(ctr("images", "remove", copy));
                ok(ctr("images", "pull", "--hosts-dir", dir.resolve("hosts.d").toString(), "--user",
                        "alice:alice-password", copy));

                // Another CA's certificate in its place: both refuse again.
                TestCa other = TestCa.create(dir.resolve("other-ca"));
                Files.copy(other.certificate(), trusted.resolve("ca.crt"), StandardCopyOption.REPLACE_EXISTING);
                ok(docker(null, "image", "rm", image));
                untrusted(docker(null, "pull", image));
                untrusted(ctr("images", "pull", "--tlscacert", other.certificate().toString(), "--user",
                        "alice:alice-password", copy));
            } finally {
                // Nothing of this test stays outside its temporary directories.
                if (Files.isDirectory(trusted)) {
                    try (var files = Files.list(trusted)) {
                        for (Path f : files.toList()) {
                            Files.delete(f);
                        }
                    }
                    Files.delete(trusted);
                }
                if (!certsDExisted && Files.isDirectory(certsD)) {
                    try (var left = Files.list(certsD)) {
                        if (left.findAny().isEmpty()) {
                            Files.delete(certsD);
                        }
                    }
                }
            }
            assertThat(trusted).doesNotExist();
        }
    }

    /** This machine's first non-loopback IPv4 address that is up, or null. */
    private static @org.jspecify.annotations.Nullable String ownAddress() throws java.net.SocketException {
        for (java.net.NetworkInterface nic : java.util.Collections.list(java.net.NetworkInterface.getNetworkInterfaces())) {
            if (!nic.isUp() || nic.isLoopback()) {
                continue;
            }
            for (java.net.InetAddress a : java.util.Collections.list(nic.getInetAddresses())) {
                if (a instanceof java.net.Inet4Address && !a.isLoopbackAddress() && !a.isLinkLocalAddress()) {
                    return a.getHostAddress();
                }
            }
        }
        return null;
    }

    private static void untrusted(Exec.Result r) {
        assertThat(r.ok()).as(r.describe()).isFalse();
        assertThat(r.output()).as(r.describe()).containsAnyOf("x509", "certificate signed by unknown authority",
                "failed to verify certificate");
    }
}
