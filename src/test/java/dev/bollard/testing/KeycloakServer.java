package dev.bollard.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real Keycloak ({@code org.keycloak:keycloak-quarkus-dist} from Maven Central, fetched and unpacked once per machine
 * by {@code scripts/keycloak-cache.sh} under {@code /var/cache/bollard-test}), started by a test in production mode
 * ({@code kc.sh start --optimized --import-realm}, plain HTTP, any host name) on a free loopback port with a realm the
 * test wrote. Each start gets its own Keycloak home in the test's directory — copies of {@code bin} and {@code conf},
 * links to the prepared {@code lib}, {@code providers} and {@code themes}, and its own {@code data} (the dev-file
 * database) — so runs never see each other's realms. Keycloak runs on a Java 21 or 17 from {@code /usr/lib/jvm} (it
 * refuses newer ones). Skips the calling test (fails it in CI) when it cannot be had.
 * <p>What every start would otherwise repeat is done once per machine and kept beside the unpacked distribution
 * ({@link #prepared}): Quarkus's build ({@code kc.sh build}, which {@code start-dev} ran on every start: about half of a
 * start's CPU time) and the first start's creation of the database schema and master realm (a third of the rest);
 * a start then copies that database. Start it once per test class all the same.
 */
public final class KeycloakServer implements AutoCloseable {
    public static final String VERSION = "26.5.6";
    public static final String ADMIN = "kc-admin";
    public static final String ADMIN_PASSWORD = "kc-admin-password";

    /** Build-time options of the prepared distribution ({@code start --optimized} refuses others). */
    private static final List<String> BUILD_OPTIONS = List.of("--db=dev-file");
    /** Part of the prepared distribution's key: raised when the preparation itself changes. */
    private static final String PREPARATION = "1";
    /** The marker of a prepared distribution, written last. */
    private static final String PREPARED = ".prepared";

    private final Path logFile;
    private final int port;
    private final Process process;

    private KeycloakServer(Path logFile, int port, Process process) {
        this.logFile = logFile;
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
        Path prepared = prepared(dist, java);
        Path home = dir.resolve("keycloak");
        Files.createDirectories(home);
        for (String copied : List.of("bin", "conf", "data")) {
            run(List.of("cp", "-r", prepared.resolve(copied).toString(), home.toString()), Duration.ofMinutes(1));
        }
        for (String linked : List.of("lib", "providers", "themes")) {
            Files.createSymbolicLink(home.resolve(linked), prepared.resolve(linked));
        }
        Files.createDirectories(home.resolve("data/import"));
        Files.writeString(home.resolve("data/import/" + realm + "-realm.json"), realmJson);
        return launch(home, java, port, dir.resolve("keycloak.log"), realm, Duration.ofMinutes(4));
    }

    /**
     * {@code kc.sh start --optimized} in {@code home} (built with {@link #BUILD_OPTIONS}), once {@code realm} answers
     * discovery. The options are those of {@code start-dev} that the tests rely on: plain HTTP, the issuer taken from
     * the request's host, a local cache.
     */
    private static KeycloakServer launch(Path home, Path java, int port, Path log, String realm, Duration timeout)
            throws Exception {
        ProcessBuilder pb = new ProcessBuilder(home.resolve("bin/kc.sh").toString(), "start", "--optimized",
                "--import-realm", "--http-enabled=true", "--hostname-strict=false",
                "--http-host=127.0.0.1", "--http-port=" + port, "--http-management-port=" + freePort(),
                "--cache=local", "--log-level=warn")
                .directory(home.toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        Map<String, String> env = pb.environment();
        env.put("JAVA_HOME", java.toString());
        env.put("JAVA_OPTS_KC_HEAP", "-Xms64m -Xmx768m");
        env.put("KC_BOOTSTRAP_ADMIN_USERNAME", ADMIN);
        env.put("KC_BOOTSTRAP_ADMIN_PASSWORD", ADMIN_PASSWORD);
        Process process = pb.start();
        KeycloakServer server = new KeycloakServer(log, port, process);
        try {
            server.awaitRealm(realm, timeout);
        } catch (Exception | Error e) {
            server.close();
            throw e;
        }
        return server;
    }

    /**
     * The distribution built for {@link #BUILD_OPTIONS} ({@code kc.sh build}) and started once, so that its
     * {@code data} holds a database with the schema and the master realm (with {@link #ADMIN}): made once per
     * machine beside the unpacked distribution, keyed on the version, the build options and the administrator, under a
     * file lock (test JVMs may prepare it at once), complete only with its {@code .prepared} marker (an interrupted
     * preparation is thrown away and done again).
     */
    private static synchronized Path prepared(Path dist, Path java) throws Exception {
        String key = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(String.join("\n",
                PREPARATION, VERSION, String.join(" ", BUILD_OPTIONS), ADMIN, ADMIN_PASSWORD)
                .getBytes(StandardCharsets.UTF_8))).substring(0, 12);
        Path prepared = dist.resolveSibling(dist.getFileName() + "-optimized-" + key);
        if (Files.exists(prepared.resolve(PREPARED))) {
            return prepared;
        }
        try (FileChannel lockFile = FileChannel.open(dist.resolveSibling(".prepare-" + key + ".lock"),
                StandardOpenOption.CREATE, StandardOpenOption.WRITE);
             FileLock ignored = lockFile.lock()) {
            if (Files.exists(prepared.resolve(PREPARED))) {
                return prepared;
            }
            run(List.of("rm", "-rf", prepared.toString()), Duration.ofMinutes(1));
            run(List.of("cp", "-a", dist.toString(), prepared.toString()), Duration.ofMinutes(5));
            Files.deleteIfExists(prepared.resolve(".complete")); // the unpacked distribution's marker
            List<String> build = new ArrayList<>(List.of(prepared.resolve("bin/kc.sh").toString(), "build"));
            build.addAll(BUILD_OPTIONS);
            ProcessBuilder pb = new ProcessBuilder(build).directory(prepared.toFile()).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(prepared.resolve("build.log").toFile()));
            pb.environment().put("JAVA_HOME", java.toString());
            Process p = pb.start();
            if (!p.waitFor(20, TimeUnit.MINUTES) || p.exitValue() != 0) {
                p.destroyForcibly();
                throw new IllegalStateException("kc.sh build failed: "
                        + Files.readString(prepared.resolve("build.log")));
            }
            // The first start creates the schema and the master realm; the server is stopped (SIGTERM) to close its
            // database cleanly before each start copies it.
            Path data = prepared.resolve("data");
            Files.createDirectories(data.resolve("import"));
            launch(prepared, java, freePort(), prepared.resolve("first-start.log"), "master", Duration.ofMinutes(20))
                    .close();
            run(List.of("rm", "-rf", data.resolve("import").toString(), data.resolve("tmp").toString()),
                    Duration.ofMinutes(1));
            Files.createFile(prepared.resolve(PREPARED));
        }
        return prepared;
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
            return Files.readString(logFile);
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
