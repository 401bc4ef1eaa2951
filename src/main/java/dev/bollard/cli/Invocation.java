package dev.bollard.cli;

import dev.bollard.config.BollardConfig;
import dev.bollard.metadata.Database;
import java.io.ByteArrayInputStream;
import java.io.Console;
import java.io.InputStream;
import java.nio.file.Path;
import org.jspecify.annotations.Nullable;

/**
 * Where a command runs: the input it may read (a password), the console it may prompt on, the OS user who runs it
 * (named in the audit log), the directory its relative paths are relative to, and — when the running registry
 * executes it for a client of its {@link ControlSocket} — that registry's configuration and database, which the
 * command uses instead of opening its own.
 */
record Invocation(InputStream in, @Nullable Console console, String user, Path workingDirectory,
                  @Nullable Hosted hosted) {

    /** The running registry a command is executed in. */
    record Hosted(BollardConfig config, Database database) {
    }

    /** A command typed at this process's terminal. */
    static Invocation terminal() {
        return new Invocation(System.in, System.console(), System.getProperty("user.name", ""),
                Path.of("").toAbsolutePath(), null);
    }

    /**
     * A command sent by {@code user} through the control socket, with the input the client read for it and the
     * client's working directory.
     */
    static Invocation hosted(byte[] input, String user, Path workingDirectory, Hosted registry) {
        return new Invocation(new ByteArrayInputStream(input), null, user, workingDirectory, registry);
    }

    /** A path given on the command line, as the user meant it (relative to where they typed the command). */
    Path resolve(Path given) {
        return workingDirectory.resolve(given);
    }
}
