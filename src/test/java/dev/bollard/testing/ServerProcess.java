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
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

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
            command.addAll(o.jvmArgs);
            command.add("-cp");
            command.add(System.getProperty("java.class.path"));
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

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        }
    }
}
