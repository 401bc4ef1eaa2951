package dev.bollard.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * A real OpenLDAP server from Debian's {@code slapd} package, started by a test as the current user on a free
 * loopback port, with a generated {@code slapd.conf} (schemas core, cosine, inetorgperson, nis; one mdb database for
 * {@code dc=example,dc=org}) in a temporary directory, loaded offline with {@code slapadd} from
 * {@code src/test/resources/ldap/directory.ldif}. Nothing of the system's slapd (its service, {@code /etc/ldap/slapd.d})
 * is used. {@link #stop()} and {@link #start()} take it down and up again on the same port and data.
 * <pre>
 * try (SlapdServer ldap = SlapdServer.start(tempDir)) { ldap.url() ... }
 * </pre>
 * Skips the calling test (fails it in CI) when slapd is not installed.
 */
public final class SlapdServer implements AutoCloseable {
    public static final String SUFFIX = "dc=example,dc=org";
    public static final String ROOT_DN = "cn=admin," + SUFFIX;
    public static final String ROOT_PASSWORD = "slapd-root-pw";
    private static final Path SLAPD = Path.of("/usr/sbin/slapd");
    private static final Path SLAPADD = Path.of("/usr/sbin/slapadd");

    private final Path dir;
    private final Path conf;
    private final int port;
    /** The port of {@code ldaps://}, or -1 without TLS. */
    private final int tlsPort;
    private Process process;

    private SlapdServer(Path dir, Path conf, int port, int tlsPort) {
        this.dir = dir;
        this.conf = conf;
        this.port = port;
        this.tlsPort = tlsPort;
    }

    /** A directory in {@code dir} (created), loaded with the test LDIF, answering on a free loopback port. */
    public static SlapdServer start(Path dir) throws IOException, InterruptedException {
        return start(dir, false);
    }

    /**
     * A directory as {@link #start(Path)}, and with {@code tls}: a test CA ({@link #caCertificate()}) made with
     * openssl signs the server's certificate (for 127.0.0.1 and localhost); {@code ldap://} then offers StartTLS, and
     * {@link #ldapsUrl()} answers TLS from the first byte.
     */
    public static SlapdServer start(Path dir, boolean tls) throws IOException, InterruptedException {
        Requirements.require(Files.isExecutable(SLAPD) && Files.isExecutable(SLAPADD),
                "slapd is not installed: apt-get install slapd ldap-utils (.ci/run installs them in CI)");
        Files.createDirectories(dir.resolve("data"));
        Path conf = dir.resolve("slapd.conf");
        String tlsConf = "";
        if (tls) {
            Requirements.onPath("openssl");
            Path ca = dir.resolve("ca.pem");
            Path caKey = dir.resolve("ca.key");
            run(List.of("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
                    "/CN=Bollard test CA", "-keyout", caKey.toString(), "-out", ca.toString()), dir);
            run(List.of("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1",
                    "-keyout", dir.resolve("server.key").toString(), "-out", dir.resolve("server.csr").toString()), dir);
            Files.writeString(dir.resolve("san.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
            run(List.of("openssl", "x509", "-req", "-in", dir.resolve("server.csr").toString(), "-CA", ca.toString(),
                    "-CAkey", caKey.toString(), "-CAcreateserial", "-days", "2", "-extfile",
                    dir.resolve("san.ext").toString(), "-out", dir.resolve("server.pem").toString()), dir);
            tlsConf = String.join("\n", "TLSCACertificateFile " + ca, "TLSCertificateFile " + dir.resolve("server.pem"),
                    "TLSCertificateKeyFile " + dir.resolve("server.key"), "");
        }
        Files.writeString(conf, tlsConf + String.join("\n",
                "include /etc/ldap/schema/core.schema",
                "include /etc/ldap/schema/cosine.schema",
                "include /etc/ldap/schema/inetorgperson.schema",
                "include /etc/ldap/schema/nis.schema",
                "pidfile " + dir.resolve("slapd.pid"),
                "argsfile " + dir.resolve("slapd.args"),
                "modulepath /usr/lib/ldap",
                "moduleload back_mdb",
                "database mdb",
                "maxsize 104857600",
                "suffix \"" + SUFFIX + "\"",
                "rootdn \"" + ROOT_DN + "\"",
                "rootpw " + ROOT_PASSWORD,
                "directory " + dir.resolve("data"),
                "access to attrs=userPassword by self write by anonymous auth by * none",
                "access to * by * read",
                ""));
        Path ldif = dir.resolve("directory.ldif");
        try (InputStream in = Objects.requireNonNull(SlapdServer.class.getResourceAsStream("/ldap/directory.ldif"))) {
            Files.copy(in, ldif);
        }
        run(List.of(SLAPADD.toString(), "-f", conf.toString(), "-l", ldif.toString()), dir);
        SlapdServer server = new SlapdServer(dir, conf, freePort(), tls ? freePort() : -1);
        server.start();
        return server;
    }

    /** Starts slapd (again) on its port, in the foreground of its process ({@code -d 0}), and waits until it answers. */
    public synchronized void start() throws IOException, InterruptedException {
        if (process != null && process.isAlive()) {
            return;
        }
        String listeners = url() + "/" + (tlsPort < 0 ? "" : " " + ldapsUrl() + "/");
        ProcessBuilder pb = new ProcessBuilder(SLAPD.toString(), "-f", conf.toString(), "-h", listeners, "-d", "256")
                .directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("slapd.log").toFile()));
        process = pb.start();
        Instant deadline = Instant.now().plus(Duration.ofSeconds(30));
        while (Instant.now().isBefore(deadline)) {
            if (!process.isAlive()) {
                throw new IllegalStateException("slapd exited with " + process.exitValue() + ": "
                        + Files.readString(dir.resolve("slapd.log")));
            }
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
                return;
            } catch (IOException e) {
                Thread.sleep(50);
            }
        }
        throw new IllegalStateException("slapd did not answer on port " + port + " within 30 s");
    }

    /** Stops slapd (SIGTERM, then SIGKILL); the data stays for {@link #start()}. */
    public synchronized void stop() throws InterruptedException {
        if (process == null) {
            return;
        }
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        process = null;
    }

    /** {@code ldap://127.0.0.1:PORT} */
    public String url() {
        return "ldap://127.0.0.1:" + port;
    }

    public int port() {
        return port;
    }

    /** What slapd logged (connections and operations: {@code -d 256}), for a failing test to show. */
    public String log() {
        try {
            return Files.readString(dir.resolve("slapd.log"));
        } catch (IOException e) {
            return e.toString();
        }
    }

    /** {@code ldaps://127.0.0.1:PORT} of a server started with TLS. */
    public String ldapsUrl() {
        if (tlsPort < 0) {
            throw new IllegalStateException("started without TLS");
        }
        return "ldaps://127.0.0.1:" + tlsPort;
    }

    /** The PEM certificate of the test CA that signed the server's certificate (TLS only). */
    public Path caCertificate() {
        return dir.resolve("ca.pem");
    }

    @Override
    public void close() throws InterruptedException {
        stop();
    }

    private static void run(List<String> command, Path dir) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException(command + " failed: " + out);
        }
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
