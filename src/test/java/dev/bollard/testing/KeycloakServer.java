package dev.bollard.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real Keycloak ({@code org.keycloak:keycloak-quarkus-dist} from Maven Central, fetched and unpacked once per machine
 * by {@code scripts/keycloak-cache.sh} under {@code /var/cache/bollard-test}), started by a test in dev mode
 * ({@code kc.sh start-dev --import-realm}) on a free loopback port with a realm the test wrote. Each start gets its own
 * Keycloak home in the test's directory — copies of {@code bin} and {@code conf}, links to the cached {@code lib},
 * {@code providers} and {@code themes}, and its own {@code data} (the dev-file database) — so runs never see each
 * other's realms. Keycloak runs on a Java 21 or 17 from {@code /usr/lib/jvm} (it refuses newer ones). Starting takes
 * about a minute: start it once per test class. Skips the calling test (fails it in CI) when it cannot be had.
 */
public final class KeycloakServer implements AutoCloseable {
    public static final String VERSION = "26.5.6";
    public static final String ADMIN = "kc-admin";
    public static final String ADMIN_PASSWORD = "kc-admin-password";

    private final Path dir;
    private final int port;
    private final Process process;

    private KeycloakServer(Path dir, int port, Process process) {
        this.dir = dir;
        this.port = port;
        this.process = process;
    }

    /** A free loopback port to start Keycloak on (realms naming their own URLs need it before the start). */
    public static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Keycloak on {@code port} with {@code realmJson} imported, once realm {@code realm} answers discovery. */
    public static KeycloakServer start(Path dir, int port, String realm, String realmJson) throws Exception {
        Requirements.onPath("unzip");
        Path java = Stream.of("java-21-openjdk-amd64", "temurin-21-jdk-amd64", "java-17-openjdk-amd64")
                .map(n -> Path.of("/usr/lib/jvm", n)).filter(p -> Files.isExecutable(p.resolve("bin/java")))
                .findFirst().orElse(null);
        Requirements.require(java != null, "Keycloak needs a Java 17 or 21 in /usr/lib/jvm (apt-get install "
                + "openjdk-17-jre-headless)");
        Path dist = Path.of(run(List.of("scripts/keycloak-cache.sh", VERSION), Duration.ofMinutes(15)).strip());
        Path home = dir.resolve("keycloak");
        Files.createDirectories(home.resolve("data/import"));
        for (String copied : List.of("bin", "conf")) {
            run(List.of("cp", "-r", dist.resolve(copied).toString(), home.toString()), Duration.ofMinutes(1));
        }
        for (String linked : List.of("lib", "providers", "themes")) {
            Files.createSymbolicLink(home.resolve(linked), dist.resolve(linked));
        }
        Files.writeString(home.resolve("data/import/" + realm + "-realm.json"), realmJson);
        ProcessBuilder pb = new ProcessBuilder(home.resolve("bin/kc.sh").toString(), "start-dev", "--import-realm",
                "--http-host=127.0.0.1", "--http-port=" + port, "--http-management-port=" + freePort(),
                "--cache=local", "--log-level=warn")
                .directory(home.toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("keycloak.log").toFile()));
        Map<String, String> env = pb.environment();
        env.put("JAVA_HOME", java.toString());
        env.put("JAVA_OPTS_KC_HEAP", "-Xms64m -Xmx768m");
        env.put("KC_BOOTSTRAP_ADMIN_USERNAME", ADMIN);
        env.put("KC_BOOTSTRAP_ADMIN_PASSWORD", ADMIN_PASSWORD);
        Process process = pb.start();
        KeycloakServer server = new KeycloakServer(dir, port, process);
        try {
            server.awaitRealm(realm, Duration.ofMinutes(4));
        } catch (Exception | Error e) {
            server.close();
            throw e;
        }
        return server;
    }

    private void awaitRealm(String realm, Duration timeout) throws Exception {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        URI discovery = URI.create(issuer(realm) + "/.well-known/openid-configuration");
        Instant deadline = Instant.now().plus(timeout);
        while (Instant.now().isBefore(deadline)) {
            if (!process.isAlive()) {
                throw new IllegalStateException("Keycloak exited with " + process.exitValue() + ": " + log());
            }
            try {
                HttpResponse<Void> r = http.send(HttpRequest.newBuilder(discovery).timeout(Duration.ofSeconds(5)).build(),
                        HttpResponse.BodyHandlers.discarding());
                if (r.statusCode() == 200) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            }
            Thread.sleep(500);
        }
        throw new IllegalStateException("Keycloak did not serve realm " + realm + " within " + timeout + ": " + log());
    }

    /** {@code http://127.0.0.1:PORT/realms/REALM} */
    public String issuer(String realm) {
        return "http://127.0.0.1:" + port + "/realms/" + realm;
    }

    /** {@code http://127.0.0.1:PORT} */
    public String baseUrl() {
        return "http://127.0.0.1:" + port;
    }

    /** What Keycloak logged, for a failing test to show. */
    public String log() {
        try {
            return Files.readString(dir.resolve("keycloak.log"));
        } catch (IOException e) {
            return e.toString();
        }
    }

    @Override
    public void close() throws InterruptedException {
        // kc.sh runs Java as its child: stop the whole tree.
        List<ProcessHandle> tree = process.descendants().toList();
        tree.forEach(ProcessHandle::destroy);
        process.destroy();
        for (ProcessHandle p : tree) {
            p.onExit().completeOnTimeout(p, 20, TimeUnit.SECONDS).join();
            p.destroyForcibly();
        }
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    private static String run(List<String> command, Duration timeout) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(timeout.toSeconds(), TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException(command + " failed: " + out);
        }
        return out;
    }
}
