package dev.bollard.clients;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * CNCF Distribution 2.8 (Debian's {@code docker-registry}) with htpasswd authentication of one user, on a free
 * loopback port, its data under {@code home}: an upstream for the proxy and mirror tests.
 */
final class DistributionServer implements AutoCloseable {
    private final Process process;
    private final int port;

    private DistributionServer(Process process, int port) {
        this.process = process;
        this.port = port;
    }

    static DistributionServer start(Path home, String user, String password) throws Exception {
        Files.createDirectories(home);
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Path htpasswd = home.resolve("htpasswd");
        Files.writeString(htpasswd, user + ":" + bcrypt(password) + "\n");
        Path config = home.resolve("config.yml");
        Files.writeString(config, """
                version: 0.1
                log:
                  level: warn
                storage:
                  filesystem:
                    rootdirectory: %s
                  delete:
                    enabled: true
                http:
                  addr: 127.0.0.1:%d
                auth:
                  htpasswd:
                    realm: test
                    path: %s
                """.formatted(home.resolve("data"), port, htpasswd));
        // Its S3 driver refuses to start with AWS_CA_BUNDLE set (docs: testing notes), even with the filesystem.
        Process p = new ProcessBuilder(List.of("env", "-u", "AWS_CA_BUNDLE", "docker-registry", "serve",
                config.toString())).redirectErrorStream(true)
                .redirectOutput(home.resolve("distribution.log").toFile()).start();
        HttpClient http = HttpClient.newHttpClient();
        long end = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (System.nanoTime() < end) {
            try {
                HttpResponse<Void> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v2/"))
                        .build(), HttpResponse.BodyHandlers.discarding());
                if (r.statusCode() == 401) {
                    return new DistributionServer(p, port);
                }
            } catch (IOException e) {
                Thread.sleep(100);
            }
        }
        p.destroyForcibly();
        throw new AssertionError("Distribution did not start: " + Files.readString(home.resolve("distribution.log")));
    }

    int port() {
        return port;
    }

    /** {@code 127.0.0.1:port}. */
    String hostPort() {
        return "127.0.0.1:" + port;
    }

    @Override
    public void close() {
        process.destroy();
        try {
            process.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** A bcrypt hash as {@code htpasswd -B} writes it (Bouncy Castle, which Bollard depends on). */
    private static String bcrypt(String password) {
        byte[] salt = new byte[16];
        new java.security.SecureRandom().nextBytes(salt);
        return org.bouncycastle.crypto.generators.OpenBSDBCrypt.generate("2a", password.toCharArray(), salt, 5);
    }
}
