package dev.bollard.cli;

import dev.bollard.config.ConfigException;
import dev.bollard.error.BollardException;
import dev.bollard.metadata.DatabaseUnavailableException;
import java.io.PrintWriter;
import org.jspecify.annotations.Nullable;

/**
 * The error encoder of the command line: {@code bollard: <what went wrong>} on standard error, at most a second line
 * saying what to do, and the exit code (1 for a command that failed or was refused, 2 for a configuration that cannot
 * be used or arguments that do not parse). Never a class name or a stack trace: the lines are for the person at the
 * terminal; {@code --debug} adds the stack trace for the one who debugs.
 */
final class CliErrors {
    private CliErrors() {
    }

    /** Exit code of a command that failed or was refused. */
    static final int FAILED = 1;
    /** Exit code of a configuration that cannot be used. */
    static final int BAD_CONFIG = 2;

    /** A failure already worded for the terminal, by a command that knows the context (the address, the directory). */
    static final class Failure extends RuntimeException {
        private final int exitCode;

        Failure(String message, int exitCode, @Nullable Throwable cause) {
            super(message, cause);
            this.exitCode = exitCode;
        }

        Failure(String message, int exitCode) {
            this(message, exitCode, null);
        }
    }

    /**
     * The database could not be opened: its message, and what to do — {@code whenInUse} when another process holds
     * the embedded database (which depends on the command), else how to check the connection settings.
     */
    static Failure databaseUnavailable(DatabaseUnavailableException e, String whenInUse) {
        return new Failure(e.getMessage() + "\n  " + (e.inUse() ? whenInUse : "check database.url, database.username "
                + "and database.password, and that the database server runs and accepts connections from here"),
                FAILED, e);
    }

    /** Prints what went wrong with {@code e} and returns the exit code. */
    static int report(Throwable e, boolean debug, PrintWriter err) {
        if (debug) {
            e.printStackTrace(err);
        }
        Explained explained = explain(e);
        err.println("bollard: " + explained.message());
        if (explained.unexpected() && !debug) {
            err.println("  run the command again with --debug for the details");
        }
        err.flush();
        return explained.exitCode();
    }

    private record Explained(String message, int exitCode, boolean unexpected) {
    }

    private static Explained explain(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof Failure f) {
                return new Explained(messageOf(f), f.exitCode, false);
            }
            if (t instanceof ConfigException c) {
                return new Explained(messageOf(c), BAD_CONFIG, false);
            }
            if (t instanceof BollardException b) {
                return new Explained(messageOf(b), FAILED, false);
            }
        }
        // Unexpected: the first message that is not just the wrapped exception's class and message again.
        Throwable shown = e;
        while (shown.getCause() != null && (shown.getMessage() == null
                || shown.getMessage().equals(shown.getCause().toString()))) {
            shown = shown.getCause();
        }
        String message = shown.getMessage();
        return new Explained("failed: " + (message == null || message.isBlank() ? shown.getClass().getSimpleName()
                : message.lines().findFirst().orElse(message)), FAILED, true);
    }

    private static String messageOf(Throwable t) {
        String message = t.getMessage();
        return message == null || message.isBlank() ? "failed" : message;
    }
}
