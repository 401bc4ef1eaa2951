package dev.bollard.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.TestSource;
import org.junit.platform.engine.support.descriptor.ClassSource;
import org.junit.platform.engine.support.descriptor.MethodSource;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;

/**
 * Writes every test or test class the run skipped, with its reason, into {@code target/test-skips/} (one file per
 * test JVM), from which {@code ./bollard test} lists them on the console after Maven's run and, in CI, fails.
 * Surefire alone is not enough: it keeps a skipped test's reason in its report files only, and a class whose
 * {@code @BeforeAll} skips (a missing tool) appears there as "Tests run: 0, Skipped: 0" — not at all.
 * <p>A JUnit Platform listener, registered through {@code META-INF/services}: it sees skips from
 * {@link Requirements}, from plain assumptions and from {@code @Disabled} alike.
 */
public final class SkipReport implements TestExecutionListener {
    private static final Path DIR = Path.of(System.getProperty("bollard.test-skips", "target/test-skips"));

    @Override
    public void executionSkipped(TestIdentifier test, String reason) {
        record(test, reason);
    }

    @Override
    public void executionFinished(TestIdentifier test, TestExecutionResult result) {
        if (result.getStatus() == TestExecutionResult.Status.ABORTED) {
            record(test, result.getThrowable().map(Throwable::getMessage).orElse(null));
        }
    }

    private static synchronized void record(TestIdentifier test, String reason) {
        String what = test.getSource().map(SkipReport::name).orElse(test.getDisplayName())
                + (test.isContainer() ? " (every test in it)" : "");
        String why = reason == null || reason.isBlank() ? "(no reason given)" : reason.strip().replace("\n", "\n    ");
        try {
            Files.createDirectories(DIR);
            Files.writeString(DIR.resolve("skips-" + ProcessHandle.current().pid() + ".txt"),
                    "- " + what + ": " + why + "\n", StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot record a skipped test under " + DIR.toAbsolutePath(), e);
        }
    }

    private static String name(TestSource source) {
        if (source instanceof MethodSource m) {
            return m.getClassName() + "." + m.getMethodName();
        }
        if (source instanceof ClassSource c) {
            return c.getClassName();
        }
        return source.toString();
    }
}
