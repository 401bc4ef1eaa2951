package dev.bollard.testing;

import java.io.File;
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
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.Deflater;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.jspecify.annotations.Nullable;

/**
 * The registry as a separate OS process ({@code dev.bollard.cli.Main serve}) on the test class path, so that a test
 * can kill it with SIGKILL and start it again on the same data directory.
 * <pre>
 * try (ServerProcess server = ServerProcess.builder(dataDir).jvmArgs("-Xmx256m").start()) {
 *     server.baseUri() ...
 *     server.kill9();
 *     ServerProcess again = server.restart();
 * }
 * </pre>
 * Output (stdout and stderr) of every process started on a data directory is appended to {@code <data>/server.log}.
 * Each start uses a fresh free loopback port.
 */
public final class ServerProcess implements AutoCloseable {

    /** Options of a server process; reused by {@link #restart()}. */
    public static final class Builder {
        private final Path dataDir;
        private final List<String> jvmArgs = new ArrayList<>();
        private final List<String> extraArgs = new ArrayList<>();
        private final Map<String, String> env = new LinkedHashMap<>();
        private Duration startTimeout = Duration.ofSeconds(90);
        private boolean fullJit;

        private Builder(Path dataDir) {
            this.dataDir = dataDir.toAbsolutePath();
            // The existing tests push anonymously; a test of access control sets it back with env(..., "true").
            env.put("BOLLARD_AUTH_ENABLED", "false");
        }

        public Builder jvmArgs(String... args) {
            jvmArgs.addAll(List.of(args));
            return this;
        }

        /** Extra arguments after {@code serve --listen ... --data ...}, e.g. {@code --config FILE}. */
        public Builder args(String... args) {
            extraArgs.addAll(List.of(args));
            return this;
        }

        /** An environment variable of the process (e.g. {@code BOLLARD_UPLOADS_EXPIRY}). */
        public Builder env(String name, String value) {
            env.put(name, value);
            return this;
        }

        /**
         * Runs the process with the JVM's full just-in-time compilation, as production does. By default a test's
         * process compiles with C1 only ({@code -XX:TieredStopAtLevel=1}): a test's registry lives seconds, and C2
         * compiling in the background took about 40% of a start's CPU (5.3 s against 3.1 s until {@code /v2/}
         * answers) on a 2-core machine where the suite's other work waits for it. For a test that measures the
         * process's memory or throughput.
         */
        public Builder fullJit() {
            fullJit = true;
            return this;
        }

        public Builder startTimeout(Duration timeout) {
            startTimeout = timeout;
            return this;
        }

        public ServerProcess start() throws IOException, InterruptedException {
            return ServerProcess.start(this);
        }
    }

    private static final int START_ATTEMPTS = 3;
    /** The JVM option of a short-lived process of a test: C1 only ({@link Builder#fullJit()} says why). */
    public static final String QUICK_JIT = "-XX:TieredStopAtLevel=1";

    private final Builder options;
    private final Process process;
    private final URI baseUri;
    private final Path logFile;
    private final Thread reaper;
    private volatile long peakRssBytes = -1;

    private ServerProcess(Builder options, Process process, URI baseUri, Path logFile, Thread reaper) {
        this.options = options;
        this.process = process;
        this.baseUri = baseUri;
        this.logFile = logFile;
        this.reaper = reaper;
    }

    public static Builder builder(Path dataDir) {
        return new Builder(dataDir);
    }

    private static ServerProcess start(Builder o) throws IOException, InterruptedException {
        Files.createDirectories(o.dataDir);
        Path log = o.dataDir.resolve("server.log");
        AssertionError last = null;
        for (int attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
            int port = freePort();
            List<String> command = new ArrayList<>();
            command.add(javaExecutable());
            if (!o.fullJit) {
                command.add(QUICK_JIT);
            }
            command.addAll(sharedArchiveOptions());
            command.addAll(o.jvmArgs);
            command.add("-cp");
            command.add(classPath());
            command.add("dev.bollard.cli.Main");
            command.add("serve");
            command.add("--listen");
            command.add("127.0.0.1:" + port);
            command.add("--data");
            command.add(o.dataDir.toString());
            command.addAll(o.extraArgs);

            ProcessBuilder pb = new ProcessBuilder(command);
            pb.environment().keySet().removeIf(k -> k.startsWith("BOLLARD_"));
            pb.environment().putAll(o.env);
            pb.redirectErrorStream(true);
            pb.redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
            pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
            Files.writeString(log, "\n==== " + Instant.now() + " starting on port " + port + ": " + String.join(" ", command)
                            .replace(System.getProperty("java.class.path"), "<test class path>") + "\n",
                    StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            long logOffset = Files.size(log);

            Process process = pb.start();
            Thread reaper = new Thread(process::destroyForcibly, "kill bollard " + process.pid());
            Runtime.getRuntime().addShutdownHook(reaper);
            URI base = URI.create("http://127.0.0.1:" + port);
            ServerProcess server = new ServerProcess(o, process, base, log, reaper);
            try {
                server.awaitReady(o.startTimeout);
                return server;
            } catch (AssertionError e) {
                server.kill9();
                last = e;
                String output = server.logSince(logOffset);
                if (!(output.contains("BindException") || output.contains("Address already in use"))) {
                    throw e;
                }
            }
        }
        throw last;
    }

    private void awaitReady(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        try (HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(2)).build()) {
            String lastProblem = "no answer yet";
            while (System.nanoTime() < deadline) {
                if (!process.isAlive()) {
                    throw new AssertionError("the server process exited with status " + process.exitValue()
                            + " before answering GET /v2/; log tail:\n" + logTail(60));
                }
                try {
                    HttpResponse<String> r = http.send(HttpRequest.newBuilder(baseUri.resolve("/v2/"))
                            .timeout(Duration.ofSeconds(5)).GET().build(), HttpResponse.BodyHandlers.ofString());
                    if (r.statusCode() == 200 || r.statusCode() == 401) { // 401: serving, with access control on
                        return;
                    }
                    lastProblem = "GET /v2/ answered " + r.statusCode() + " " + r.body();
                } catch (IOException e) {
                    lastProblem = e.toString();
                }
                Thread.sleep(100);
            }
            throw new AssertionError("the server did not answer GET /v2/ with 200 within " + timeout + " (" + lastProblem
                    + "); log tail:\n" + logTail(60));
        }
    }

    /** Starts a new process with the same options on the same data directory (on a new port). */
    public ServerProcess restart() throws IOException, InterruptedException {
        if (process.isAlive()) {
            throw new IllegalStateException("the server process " + process.pid() + " is still running");
        }
        return start(options);
    }

    /** {@code http://127.0.0.1:PORT} */
    public URI baseUri() {
        return baseUri;
    }

    public URI uri(String pathAndQuery) {
        return baseUri.resolve(pathAndQuery);
    }

    public Path dataDir() {
        return options.dataDir;
    }

    public Path logFile() {
        return logFile;
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** Kills the process with SIGKILL (no shutdown hooks, no flushing) and waits until it is gone. */
    public void kill9() throws InterruptedException {
        samplePeakRss();
        process.destroyForcibly();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            throw new AssertionError("the server process " + process.pid() + " survived SIGKILL for 30 s");
        }
        removeReaper();
    }

    /** Stops the process with SIGTERM (SIGKILL after 30 s) and waits until it is gone. */
    public void stop() throws InterruptedException {
        if (!process.isAlive()) {
            removeReaper();
            return;
        }
        samplePeakRss();
        process.destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(30, TimeUnit.SECONDS);
        }
        removeReaper();
    }

    @Override
    public void close() throws InterruptedException {
        stop();
    }

    private void removeReaper() {
        try {
            Runtime.getRuntime().removeShutdownHook(reaper);
        } catch (IllegalStateException ignored) {
            // shutting down already
        }
    }

    /**
     * The process's peak resident set size in bytes (VmHWM): read now while it runs, otherwise the value last read
     * (every {@link #kill9()} and {@link #stop()} reads it just before ending the process); -1 if never read.
     */
    public long peakRssBytes() {
        samplePeakRss();
        return peakRssBytes;
    }

    /** Fields of {@code /proc/<pid>/status} in bytes (VmHWM, VmRSS, RssAnon, RssFile, RssShmem), empty when not running. */
    public Map<String, Long> memoryStatus() {
        Map<String, Long> out = new LinkedHashMap<>();
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(process.pid()), "status"))) {
                for (String field : List.of("VmHWM", "VmRSS", "RssAnon", "RssFile", "RssShmem")) {
                    if (line.startsWith(field + ":")) {
                        String[] parts = line.substring(field.length() + 1).trim().split("\\s+", -1);
                        out.put(field, Long.parseLong(parts[0]) * 1024);
                    }
                }
            }
        } catch (NoSuchFileException e) {
            // gone
        } catch (IOException | NumberFormatException e) {
            // not Linux or unreadable
        }
        return out;
    }

    private void samplePeakRss() {
        if (!process.isAlive()) {
            return;
        }
        Long hwm = memoryStatus().get("VmHWM");
        if (hwm != null && process.isAlive()) {
            peakRssBytes = Math.max(peakRssBytes, hwm);
        }
    }

    /** The whole log of all processes on this data directory. */
    public String log() {
        try {
            return Files.readString(logFile, StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The lines of {@link #log()} that report a failure: logged at ERROR, a background worker's failed turn
     * ({@code worker NAME failed}, logged at WARN with its back-off), or part of a stack trace. A registry that nothing
     * went wrong with logs none; a test that provokes failures on purpose looks for its own.
     */
    public List<String> logProblems() {
        return log().lines().filter(l -> PROBLEM.matcher(l).find()).toList();
    }

    private static final Pattern PROBLEM = Pattern.compile(
            "^\\S+ ERROR |^\\S+ WARN .* - worker \\S+ failed |^\\s+at \\S+\\(|^Caused by: |^Exception in thread ");

    public String logTail(int lines) {
        try {
            List<String> all = Files.readAllLines(logFile, StandardCharsets.ISO_8859_1);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(log unreadable: " + e + ")";
        }
    }

    private String logSince(long offset) {
        try {
            byte[] all = Files.readAllBytes(logFile);
            return new String(all, (int) Math.min(offset, all.length), (int) Math.max(0, all.length - offset),
                    StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            return "";
        }
    }

    /** The java of this JVM, to start another process on the test class path. */
    public static String javaExecutable() {
        return ProcessHandle.current().info().command()
                .filter(c -> Files.isExecutable(Path.of(c)))
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    }

    private static @Nullable String classPath;

    /**
     * The test class path for a server process, with each directory on it ({@code target/classes},
     * {@code target/test-classes}) replaced by a jar of it, made once per content under {@code target/server-process}:
     * the JVM's class data sharing archive ({@link #sharedArchiveOptions()}) takes jars only.
     */
    static synchronized String classPath() throws IOException {
        if (classPath == null) {
            List<String> entries = new ArrayList<>();
            for (String entry : System.getProperty("java.class.path").split(File.pathSeparator, -1)) {
                Path p = Path.of(entry);
                entries.add(Files.isDirectory(p) ? jarOf(p).toString() : entry);
            }
            classPath = String.join(File.pathSeparator, entries);
        }
        return classPath;
    }

    /**
     * The options that let every server process share the classes loaded at start: the first process on a class path
     * that exits normally writes an archive of them ({@code -XX:+AutoCreateSharedArchive}), and later ones map it
     * instead of loading, verifying and linking each class. A start took about 35% less CPU (2.9 s against 4.5 s
     * until {@code /v2/} answered, on a loaded 2-core machine), and the crash tests restart their process a dozen
     * times. A process killed (SIGKILL) writes nothing; an archive that does not fit (another JDK) is ignored and
     * written again, silently: the JVM's own messages about the archive are switched off, as they would read as
     * errors in the server's log. The archive is next to the jars.
     */
    static List<String> sharedArchiveOptions() throws IOException {
        // One archive per class path: the JVM ignores an archive of another class path without writing a new one.
        String name = "server-" + sha256(classPath()).substring(0, 16) + ".jsa";
        return List.of("-XX:+AutoCreateSharedArchive", "-XX:SharedArchiveFile=" + archiveDir().resolve(name),
                "-Xlog:cds*=off", "-Xlog:aot*=off");
    }

    private static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Path archiveDir() throws IOException {
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator, -1)) {
            Path p = Path.of(entry).toAbsolutePath();
            if (Files.isDirectory(p) && p.getParent() != null) {
                return Files.createDirectories(p.getParent().resolve("server-process"));
            }
        }
        return Files.createDirectories(Path.of(System.getProperty("java.io.tmpdir"), "bollard-server-process"));
    }

    /** A jar of {@code dir}'s files and directories (directories too: Flyway lists its migrations' directory). */
    private static Path jarOf(Path dir) throws IOException {
        List<Path> paths;
        try (Stream<Path> walk = Files.walk(dir)) {
            paths = walk.filter(p -> !p.equals(dir)).sorted().toList();
        }
        StringBuilder listing = new StringBuilder();
        for (Path p : paths) {
            listing.append(dir.relativize(p)).append(' ').append(Files.size(p)).append(' ')
                    .append(Files.getLastModifiedTime(p)).append('\n');
        }
        String name = dir.getFileName() + "-" + sha256(listing.toString()).substring(0, 16);
        Path jars = archiveDir();
        Path jar = jars.resolve(name + ".jar");
        // The suite's test JVMs run at once (pom.xml's forkCount) and share this directory: one writes the jar while
        // the other waits, else one's clean-up below would delete the other's half-written jar.
        try (FileChannel lockFile = FileChannel.open(jars.resolve(".jars.lock"), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE);
             FileLock ignored = lockFile.lock()) {
            return writeJar(dir, paths, jars, name, jar);
        }
    }

    private static Path writeJar(Path dir, List<Path> paths, Path jars, String name, Path jar) throws IOException {
        if (Files.exists(jar)) {
            return jar;
        }
        Path tmp = Files.createTempFile(jars, name, ".tmp");
        try (ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(tmp))) {
            out.setLevel(Deflater.BEST_SPEED);
            for (Path p : paths) {
                String entry = dir.relativize(p).toString().replace(File.separatorChar, '/');
                boolean directory = Files.isDirectory(p);
                out.putNextEntry(new ZipEntry(directory ? entry + "/" : entry));
                if (!directory) {
                    Files.copy(p, out);
                }
                out.closeEntry();
            }
        }
        Files.move(tmp, jar, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        // Jars of earlier contents of the directory, and the archives made with them, are of no more use.
        try (Stream<Path> old = Files.list(jars)) {
            for (Path o : old.filter(j -> (j.getFileName().toString().startsWith(dir.getFileName() + "-")
                    && !j.equals(jar)) || j.getFileName().toString().endsWith(".jsa")).toList()) {
                Files.deleteIfExists(o);
            }
        }
        return jar;
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        }
    }
}
