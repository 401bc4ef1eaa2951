package dev.bollard.testing;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * A real PostgreSQL server from the installed Debian package ({@code postgresql}), started for the tests of this
 * JVM: one server, started on first use on a free loopback port, stopped when the JVM exits. Each test asks it for
 * a fresh, empty database with {@link #createDatabase()}.
 * <pre>
 * PostgresServer.Db db = PostgresServer.shared().createDatabase();  // skips the test when PostgreSQL is absent
 * ... db.url(), db.username(), db.password() ...
 * db.drop();
 * </pre>
 * <p>The cluster lives in a temporary directory ({@code bollard-pg-*}) with its unix socket and log; it runs with
 * {@code fsync=off}, as nothing in it needs to survive. Its default collation is ICU's {@code en-US} (where the
 * server supports ICU) rather than byte order, as production clusters initialized with a {@code en_US.UTF-8}
 * locale have, so that tests see the ordering a real deployment would.
 * <p>{@code initdb} and {@code postgres} refuse to run as root: when the tests run as root, the server runs as the
 * {@code postgres} system user the package creates, via {@code runuser}.
 * <p>When PostgreSQL is not installed, {@link #shared()} skips the calling test with the reason (a
 * {@link Requirements requirement}), so the suite still passes on a developer's machine with only a JDK; in CI,
 * where {@code .ci/run} installs the package, that fails the test instead.
 */
public final class PostgresServer {
    private static final String PACKAGE_HINT = "install Debian's postgresql package (apt-get install postgresql); "
            + ".ci/run installs it in CI";
    private static final String SUPERUSER = "postgres";
    private static final String ROLE = "bollard";
    private static final String DIR_PREFIX = "bollard-pg-";

    private static PostgresServer shared;
    private static String unavailable;

    private final Path dir;
    private final Path bin;
    private final boolean asPostgresUser;
    private final int port;
    private final String rolePassword;
    private final String version;
    private final String defaultCollation;
    private final String superuserPassword;
    private Connection admin;
    private final AtomicInteger databases = new AtomicInteger();

    /** A fresh database owned by an ordinary (non-superuser) role, as Bollard would be given in production. */
    public record Db(String name, String url, String username, String password, PostgresServer server) {
        /** Drops the database, closing any connection still open to it. */
        public void drop() {
            server.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
        }

        @Override
        public String toString() {
            return "Db[" + url + "]";
        }
    }

    private PostgresServer(Path dir, Path bin, boolean asPostgresUser, int port, String superuserPassword,
                           String rolePassword) throws SQLException {
        this.dir = dir;
        this.bin = bin;
        this.asPostgresUser = asPostgresUser;
        this.port = port;
        this.rolePassword = rolePassword;
        this.superuserPassword = superuserPassword;
        this.admin = DriverManager.getConnection(url("postgres"), SUPERUSER, superuserPassword);
        this.version = queryString("SHOW server_version");
        this.defaultCollation = queryString("SELECT CASE WHEN 'a' < 'B' THEN 'linguistic' ELSE 'byte order' END");
    }

    /**
     * The server of this JVM, started on first use. When PostgreSQL is not installed, skips the calling test with the
     * reason (fails it in CI: a {@link Requirements requirement}); fails it when PostgreSQL is installed but does not
     * start.
     */
    public static synchronized PostgresServer shared() {
        if (unavailable == null && shared == null) {
            unavailable = whyUnavailable().map(why -> "PostgreSQL: " + why).orElse(null);
        }
        String why = unavailable;
        Requirements.require(why == null, () -> why);
        if (shared == null) {
            shared = start();
        }
        return shared;
    }

    /** A new, empty database and the credentials of its owner. */
    public Db createDatabase() {
        String name = "bollard_test_" + databases.incrementAndGet();
        execute("CREATE DATABASE " + name + " OWNER " + ROLE);
        return new Db(name, url(name), ROLE, rolePassword, this);
    }

    /** A JDBC URL for {@code database} on this server. */
    public String url(String database) {
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + database;
    }

    public int port() {
        return port;
    }

    /** e.g. {@code 15.14 (Debian 15.14-0+deb12u1)} */
    public String version() {
        return version;
    }

    /** Runs a statement as the superuser, on the maintenance database. */
    public synchronized void execute(String sql) {
        try (Statement s = admin.createStatement()) {
            s.execute(sql);
        } catch (SQLException e) {
            throw new IllegalStateException(sql + ": " + e.getMessage(), e);
        }
    }

    /**
     * Stops the server as an operator's restart does ({@code pg_ctl stop -m fast}: every open connection ends) and
     * keeps it down until {@link #startAgain()}: for tests of a database outage. Tests of one JVM run one at a time,
     * so no other test sees it down.
     */
    public synchronized void stopForFaultTest() {
        try {
            admin.close();
            run(dir, asPostgresUser, List.of(bin.resolve("pg_ctl").toString(), "-D", dir.resolve("data").toString(),
                    "-m", "fast", "-w", "-t", "60", "stop"), "pg_ctl stop");
        } catch (IOException | SQLException e) {
            throw new IllegalStateException("could not stop PostgreSQL: " + e.getMessage(), e);
        }
    }

    /** Starts the server {@link #stopForFaultTest() stopped} again, on the same port and data. */
    public synchronized void startAgain() {
        try {
            startOn(bin, dir, asPostgresUser, port);
            admin = DriverManager.getConnection(url("postgres"), SUPERUSER, superuserPassword);
        } catch (IOException | SQLException e) {
            throw new IllegalStateException("could not start PostgreSQL again: " + e.getMessage(), e);
        }
    }

    private synchronized String queryString(String sql) throws SQLException {
        try (Statement s = admin.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    // ---- finding, starting and stopping the server ----

    private static Optional<String> whyUnavailable() {
        if (findBin().isEmpty()) {
            return Optional.of("PostgreSQL is not installed: no /usr/lib/postgresql/*/bin/initdb; " + PACKAGE_HINT);
        }
        if (isRoot()) {
            if (findRunuser().isEmpty()) {
                return Optional.of("running as root, and no runuser to start PostgreSQL as the postgres user");
            }
            try {
                lookupPostgresUser();
            } catch (IOException e) {
                return Optional.of("running as root, and there is no 'postgres' system user to run PostgreSQL; "
                        + PACKAGE_HINT);
            }
        }
        return Optional.empty();
    }

    /** The bin directory of the newest installed PostgreSQL, e.g. {@code /usr/lib/postgresql/15/bin}. */
    private static Optional<Path> findBin() {
        Path root = Path.of("/usr/lib/postgresql");
        if (!Files.isDirectory(root)) {
            return Optional.empty();
        }
        try (Stream<Path> versions = Files.list(root)) {
            return versions.map(v -> v.resolve("bin"))
                    .filter(b -> Files.isExecutable(b.resolve("initdb")) && Files.isExecutable(b.resolve("pg_ctl")))
                    .max(Comparator.comparingInt(PostgresServer::majorVersion));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private static int majorVersion(Path bin) {
        try {
            return Integer.parseInt(bin.getParent().getFileName().toString());
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private static Optional<Path> findRunuser() {
        return Stream.of("/usr/sbin/runuser", "/sbin/runuser", "/usr/bin/runuser", "/bin/runuser").map(Path::of)
                .filter(Files::isExecutable).findFirst();
    }

    private static boolean isRoot() {
        try {
            Path probe = Files.createTempFile("bollard-uid", ".probe");
            try {
                return ((Integer) Files.getAttribute(probe, "unix:uid")) == 0;
            } finally {
                Files.delete(probe);
            }
        } catch (IOException | UnsupportedOperationException e) {
            return "root".equals(System.getProperty("user.name"));
        }
    }

    private static void lookupPostgresUser() throws IOException {
        Path.of("/").getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName(SUPERUSER);
    }

    private static PostgresServer start() {
        Path bin = findBin().orElseThrow();
        boolean asPostgresUser = isRoot();
        stopAbandonedServers(bin, asPostgresUser);
        try {
            Path dir = Files.createTempDirectory(DIR_PREFIX);
            Files.writeString(dir.resolve("owner.pid"), Long.toString(ProcessHandle.current().pid()));
            if (asPostgresUser) {
                UserPrincipalLookupService users = dir.getFileSystem().getUserPrincipalLookupService();
                Files.setOwner(dir, users.lookupPrincipalByName(SUPERUSER));
            }
            String superuserPassword = randomSecret();
            String rolePassword = randomSecret();
            Path pwfile = dir.resolve("pwfile");
            Files.writeString(pwfile, superuserPassword + "\n");
            if (asPostgresUser) {
                Files.setOwner(pwfile, dir.getFileSystem().getUserPrincipalLookupService()
                        .lookupPrincipalByName(SUPERUSER));
            }
            List<String> initdb = new ArrayList<>(List.of(bin.resolve("initdb").toString(),
                    "-D", dir.resolve("data").toString(), "-U", SUPERUSER, "--pwfile", pwfile.toString(),
                    "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C"));
            if (majorVersion(bin) >= 15) {
                // A linguistic default collation, as a cluster initialized with en_US.UTF-8 has: ORDER BY on a
                // column without COLLATE "C" then does not follow byte order, and the tests notice.
                initdb.addAll(List.of("--locale-provider=icu", "--icu-locale=en-US"));
            }
            run(dir, asPostgresUser, initdb, "initdb");
            Files.delete(pwfile);

            Runtime.getRuntime().addShutdownHook(new Thread(() -> stop(bin, dir, asPostgresUser),
                    "postgres-test-server-stop"));
            int port = startOnFreePort(bin, dir, asPostgresUser);
            PostgresServer server = new PostgresServer(dir, bin, asPostgresUser, port, superuserPassword, rolePassword);
            server.execute("CREATE ROLE " + ROLE + " LOGIN PASSWORD '" + rolePassword + "'");
            System.out.println("PostgreSQL " + server.version + " started for the tests on 127.0.0.1:" + port
                    + " (" + dir + ", default collation: " + server.defaultCollation + ")");
            return server;
        } catch (IOException e) {
            throw new UncheckedIOException("could not start PostgreSQL for the tests", e);
        } catch (SQLException e) {
            throw new IllegalStateException("could not connect to the PostgreSQL started for the tests", e);
        }
    }

    private static int startOnFreePort(Path bin, Path dir, boolean asPostgresUser) throws IOException {
        IOException last = null;
        for (int attempt = 0; attempt < 3; attempt++) {
            int port;
            try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                port = probe.getLocalPort();
            }
            try {
                startOn(bin, dir, asPostgresUser, port);
                return port;
            } catch (IOException e) { // most likely the port was taken in between: try another
                last = e;
            }
        }
        throw last;
    }

    private static void startOn(Path bin, Path dir, boolean asPostgresUser, int port) throws IOException {
        // Nothing here needs to survive a crash (fsync off); deadlocks, which the concurrency tests provoke and
        // Bollard retries, are detected after 100 ms instead of the default second.
        String options = "-p " + port + " -k '" + dir + "' -c listen_addresses=127.0.0.1"
                + " -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300"
                + " -c deadlock_timeout=100ms";
        run(dir, asPostgresUser, List.of(bin.resolve("pg_ctl").toString(), "-D", dir.resolve("data").toString(),
                "-l", dir.resolve("postgres.log").toString(), "-o", options, "-w", "-t", "60", "start"), "pg_ctl start");
    }

    private static void stop(Path bin, Path dir, boolean asPostgresUser) {
        try {
            if (Files.exists(dir.resolve("data").resolve("postmaster.pid"))) {
                run(dir, asPostgresUser, List.of(bin.resolve("pg_ctl").toString(), "-D",
                        dir.resolve("data").toString(), "-m", "immediate", "-w", "stop"), "pg_ctl stop");
            }
            deleteRecursively(dir);
        } catch (IOException | RuntimeException e) {
            System.err.println("could not stop the PostgreSQL test server in " + dir + ": " + e.getMessage());
        }
    }

    /**
     * Stops the servers of earlier test JVMs that died without running their shutdown hooks (killed), found by
     * the {@code owner.pid} they left in their directory, so that they do not run on forever.
     */
    private static void stopAbandonedServers(Path bin, boolean asPostgresUser) {
        Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(tmp, DIR_PREFIX + "*")) {
            for (Path d : dirs) {
                Path owner = d.resolve("owner.pid");
                if (!Files.isRegularFile(owner)) {
                    continue;
                }
                long pid = Long.parseLong(Files.readString(owner).trim());
                if (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
                    continue;
                }
                System.out.println("stopping an abandoned PostgreSQL test server in " + d);
                stop(bin, d, asPostgresUser);
            }
        } catch (IOException | RuntimeException e) {
            System.err.println("could not look for abandoned PostgreSQL test servers: " + e.getMessage());
        }
    }

    /** Runs a PostgreSQL program (as the postgres user when we are root); its output goes to a file in dir. */
    private static void run(Path dir, boolean asPostgresUser, List<String> command, String what) throws IOException {
        List<String> full = new ArrayList<>();
        if (asPostgresUser) {
            full.addAll(List.of(findRunuser().orElseThrow().toString(), "-u", SUPERUSER, "--"));
        }
        full.addAll(command);
        File output = File.createTempFile("bollard-pg-cmd", ".log");
        try {
            Process p = new ProcessBuilder(full).directory(dir.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectErrorStream(true).redirectOutput(output).start();
            boolean done;
            try {
                done = p.waitFor(120, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                p.destroyForcibly();
                throw new IOException(what + " interrupted", e);
            }
            if (!done) {
                p.destroyForcibly();
            }
            if (!done || p.exitValue() != 0) {
                String log = Files.readString(output.toPath(), StandardCharsets.UTF_8);
                Path serverLog = dir.resolve("postgres.log");
                if (Files.isReadable(serverLog)) {
                    log += "\n--- postgres.log ---\n" + Files.readString(serverLog, StandardCharsets.UTF_8);
                }
                throw new IOException(what + (done ? " failed with exit code " + p.exitValue() : " timed out")
                        + ": " + String.join(" ", full) + "\n" + log);
            }
        } finally {
            Files.deleteIfExists(output.toPath());
        }
    }

    private static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    private static String randomSecret() {
        byte[] bytes = new byte[18];
        new SecureRandom().nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }

    @Override
    public String toString() {
        return "PostgresServer[127.0.0.1:" + port + ", " + dir + ", " + bin + (asPostgresUser ? ", as postgres" : "")
                + "]";
    }
}
