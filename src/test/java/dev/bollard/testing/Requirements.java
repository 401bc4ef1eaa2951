package dev.bollard.testing;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.Assumptions;
import org.opentest4j.AssertionFailedError;

/**
 * What a test needs from the machine that is not Bollard: an installed tool (skopeo, podman, PostgreSQL, Chromium,
 * …), the {@code root} user, free disk. The one way tests state such a need:
 * <ul>
 * <li>on a developer's machine an unmet requirement skips the test, with the reason (a JUnit assumption, which
 *     {@code ./bollard test} lists on the console after the run);</li>
 * <li>in CI ({@code CI=true}, which {@code .ci/run} sets) it fails the test: CI installs everything, so a missing
 *     requirement there is a broken set-up, not a reason to pass with parts of the suite unrun.</li>
 * </ul>
 * A requirement is about presence only. An installed tool that does not work (a daemon that does not start,
 * {@code podman images} failing) is a test failure everywhere: assert on it instead.
 */
public final class Requirements {

    private Requirements() {
    }

    /** True when the tests run in CI ({@code CI=true}, as {@code .ci/run} and most CI services set it). */
    public static boolean inCi() {
        String ci = System.getenv("CI");
        return ci != null && (ci.equalsIgnoreCase("true") || ci.equals("1"));
    }

    /** Skips the calling test (fails it in CI) with {@code reason} unless {@code met}. */
    public static void require(boolean met, Supplier<String> reason) {
        if (met) {
            return;
        }
        String why = reason.get();
        if (inCi()) {
            throw new AssertionFailedError("requirement not met in CI (CI=true), where every requirement must be: "
                    + why);
        }
        Assumptions.abort(why);
    }

    /** Skips the calling test (fails it in CI) with {@code reason} unless {@code met}. */
    public static void require(boolean met, String reason) {
        require(met, () -> reason);
    }

    /** Skips the calling test (fails it in CI) unless every one of {@code tools} is an executable on the PATH. */
    public static void onPath(String... tools) {
        List<String> missing = Arrays.stream(tools).filter(t -> !isOnPath(t)).toList();
        require(missing.isEmpty(), () -> "not installed: " + String.join(", ", missing) + " (no such executable on PATH="
                + System.getenv("PATH") + "); .ci/run installs them from Debian's packages");
    }

    /** Skips the calling test (fails it in CI) unless the tests run as {@code root}. */
    public static void root(String why) {
        require("root".equals(System.getProperty("user.name")), () -> "needs the root user: " + why);
    }

    /** True when {@code tool} is an executable in one of the PATH's directories. */
    public static boolean isOnPath(String tool) {
        String path = System.getenv("PATH");
        if (path == null) {
            return false;
        }
        for (String dir : path.split(File.pathSeparator, -1)) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, tool))) {
                return true;
            }
        }
        return false;
    }
}
