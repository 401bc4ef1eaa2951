package dev.bollard.clients;

import static org.assertj.core.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Runs an external command with a timeout, stdin from /dev/null, stdout and stderr captured separately. Public for
 * the tests of other packages that drive real tools (the web UI's).
 */
public final class Exec {
    static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(90);

    /** What a finished (or timed-out) command did. */
    public record Result(List<String> command, int exitCode, boolean timedOut, Duration took, String stdout, String stderr) {
        public boolean ok() {
            return !timedOut && exitCode == 0;
        }

        /** stdout and stderr together, for searching through debug logs. */
        public String output() {
            return stdout + "\n" + stderr;
        }

        /** The whole story for an assertion message. */
        public String describe() {
            return "$ " + String.join(" ", command) + "\n"
                    + (timedOut ? "TIMED OUT after " + took.toMillis() + " ms" : "exit code " + exitCode + " after " + took.toMillis() + " ms")
                    + "\n--- stdout ---\n" + abbreviate(stdout) + "\n--- stderr ---\n" + abbreviate(stderr) + "\n---";
        }

        private static String abbreviate(String s) {
            int max = 12_000;
            return s.length() <= max ? s : s.substring(0, 4_000) + "\n[… " + (s.length() - max) + " characters left out …]\n"
                    + s.substring(s.length() - 8_000);
        }
    }

    /** {@code r}, after asserting that the command succeeded (the whole story in the message when not). */
    public static Result ok(Result r) {
        if (!r.ok()) {
            fail("command failed:\n" + r.describe());
        }
        return r;
    }

    private final Path workDir;
    private final Map<String, String> extraEnv;

    /**
     * @param workDir the working directory, and where TMPDIR points (so the tools keep their scratch files in the
     *                test's temp dir)
     */
    public Exec(Path workDir) {
        this(workDir, Map.of());
    }

    public Exec(Path workDir, Map<String, String> extraEnv) {
        this.workDir = workDir;
        this.extraEnv = extraEnv;
    }

    public Result run(List<String> command) {
        return run(DEFAULT_TIMEOUT, command);
    }

    public Result run(String... command) {
        return run(List.of(command));
    }

    public Result run(Duration timeout, List<String> command) {
        return run(timeout, null, command);
    }

    /** Runs the command with {@code stdin} (and a newline) as its standard input; none when null. */
    public Result run(Duration timeout, String stdin, List<String> command) {
        ProcessBuilder pb = new ProcessBuilder(command).directory(workDir.toFile())
                .redirectInput(stdin == null ? ProcessBuilder.Redirect.from(new File("/dev/null"))
                        : ProcessBuilder.Redirect.PIPE);
        Path tmp = workDir.resolve(".tmp");
        try {
            Files.createDirectories(tmp);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        pb.environment().put("TMPDIR", tmp.toString());
        pb.environment().putAll(extraEnv);
        long start = System.nanoTime();
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            return new Result(List.copyOf(command), 127, false, Duration.ZERO, "", "could not start: " + e);
        }
        CompletableFuture<String> out = drain(p.getInputStream());
        CompletableFuture<String> err = drain(p.getErrorStream());
        if (stdin != null) {
            try (OutputStream in = p.getOutputStream()) {
                in.write((stdin + "\n").getBytes(StandardCharsets.UTF_8));
            } catch (IOException e) {
                // the command exited without reading its input; its exit code tells the rest
            }
        }
        boolean finished;
        try {
            finished = p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            finished = false;
        }
        if (!finished) {
            // Only the process we started and its own children.
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            try {
                p.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        String stdout = out.completeOnTimeout("<stdout not closed>", 10, TimeUnit.SECONDS).join();
        String stderr = err.completeOnTimeout("<stderr not closed>", 10, TimeUnit.SECONDS).join();
        Result r = new Result(List.copyOf(command), finished ? p.exitValue() : -1, !finished, took, stdout, stderr);
        System.out.println(r.describe());
        return r;
    }

    /** Runs the command and fails the test, with the full output, unless it exits 0. */
    public Result ok(List<String> command) {
        return ok(run(command));
    }

    public Result ok(String... command) {
        return ok(List.of(command));
    }

    public static List<String> concat(List<String> a, String... b) {
        List<String> all = new ArrayList<>(a);
        all.addAll(List.of(b));
        return all;
    }

    private static CompletableFuture<String> drain(InputStream in) {
        // A thread of its own for each stream: the common pool may have a single worker on a 2-core machine.
        CompletableFuture<String> f = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try (in) {
                f.complete(new String(in.readAllBytes(), StandardCharsets.UTF_8));
            } catch (IOException e) {
                f.complete("<read failed: " + e + ">");
            }
        }, "exec-drain");
        t.setDaemon(true);
        t.start();
        return f;
    }
}
