package dev.bollard.cli;

import dev.bollard.app.Bollard;
import dev.bollard.config.BollardConfig;
import dev.bollard.config.ConfigLoader;
import dev.bollard.http.tls.KeyMaterial;
import dev.bollard.metadata.DatabaseUnavailableException;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.net.BindException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine;

/**
 * The {@code bollard} command. Every command and subcommand takes {@code --help}, {@code --version} and
 * {@code --debug} (inherited from here); failures are reported by {@link CliErrors}, one or two lines.
 */
@Command(name = "bollard", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        scope = ScopeType.INHERIT, description = "Bollard, an OCI container image registry.",
        subcommands = {Main.Serve.class, Main.ConfigCommand.class, AdminCommands.UserCommand.class,
                AdminCommands.OrgCommand.class, AdminCommands.TeamCommand.class, AdminCommands.RobotCommand.class, AdminCommands.RepoCommand.class,
                AdminCommands.KeysCommand.class, AdminCommands.AuditCommand.class, LifecycleCommands.Gc.class,
                LifecycleCommands.HistoryCommand.class, LifecycleCommands.ImmutableCommand.class,
                LifecycleCommands.RetentionCommand.class, LifecycleCommands.QuotaCommand.class,
                TagCommands.TagCommand.class, VulnDbCommands.VulnDbCommand.class, ScanCommands.Scan.class,
                BackupCommands.BackupCommand.class, BackupCommands.RestoreCommand.class,
                LoginCommand.class, AotTraining.class})
public final class Main extends CommandGroup {

    @Option(names = "--debug", scope = ScopeType.INHERIT,
            description = "when the command fails, also print the stack trace")
    boolean debug;

    /** Where this command line runs: read by the commands through their root ({@link #of}). */
    final Invocation invocation;

    private Main(Invocation invocation) {
        this.invocation = invocation;
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The {@code bollard} command line, with its handling of bad arguments and of failures; tests run this one. */
    public static CommandLine commandLine() {
        return commandLine(Invocation.terminal());
    }

    /** The command line of one invocation: at this terminal, or sent to the running registry. */
    static CommandLine commandLine(Invocation invocation) {
        CommandLine cli = new CommandLine(new Main(invocation));
        cli.setParameterExceptionHandler(Main::badArguments);
        cli.setExecutionExceptionHandler((e, command, parsed) -> {
            boolean debug = false;
            for (CommandLine.ParseResult r = parsed; r != null; r = r.subcommand()) {
                debug |= r.hasMatchedOption("--debug");
            }
            return CliErrors.report(e, debug, command.getErr());
        });
        return cli;
    }

    /** The invocation a command of this command line runs in. */
    static Invocation of(CommandLine.Model.CommandSpec command) {
        return ((Main) command.root().userObject()).invocation;
    }

    /** Arguments that do not parse: what is wrong, and where the usage is; not the whole usage text. */
    private static int badArguments(CommandLine.ParameterException e, String[] args) {
        CommandLine command = e.getCommandLine();
        PrintWriter err = command.getErr();
        String name = command.getCommandSpec().qualifiedName();
        if (e instanceof CommandLine.UnmatchedArgumentException unmatched && !command.getSubcommands().isEmpty()
                && !unmatched.getUnmatched().isEmpty() && !unmatched.getUnmatched().get(0).startsWith("-")) {
            err.println("bollard: '" + unmatched.getUnmatched().get(0) + "' is not a command of " + name);
        } else {
            err.println("bollard: " + e.getMessage());
        }
        // picocli's own suggestions (the closest subcommand or option names), in our words: a mistyped command gets
        // the whole command line to type, a mistyped option the option.
        List<String> suggestions = e instanceof CommandLine.UnmatchedArgumentException u ? u.getSuggestions() : List.of();
        if (suggestions.isEmpty()) {
            err.println("  see '" + name + " --help'");
        } else {
            boolean option = ((CommandLine.UnmatchedArgumentException) e).isUnknownOption();
            err.println("  did you mean " + String.join(" or ", suggestions.stream()
                    .map(s -> "'" + (option ? s : name + " " + s) + "'").toList()) + "?");
        }
        err.flush();
        return command.getCommandSpec().exitCodeOnInvalidInput();
    }

    /** Options shared by commands that read the configuration. */
    static final class ConfigOptions {
        @Option(names = "--config", paramLabel = "FILE", description = "YAML configuration file")
        @Nullable Path config;

        @Option(names = "--listen", paramLabel = "HOST:PORT", description = "address to listen on (default 127.0.0.1:5000)")
        @Nullable String listen;

        @Option(names = "--data", paramLabel = "DIR", description = "data directory (default ./data)")
        @Nullable Path data;

        BollardConfig load() {
            ConfigLoader.Builder builder = ConfigLoader.builder();
            if (config != null) {
                builder.file(config);
            }
            builder.environment(System.getenv());
            if (listen != null) {
                builder.set("server.listen", listen);
            }
            if (data != null) {
                builder.set("data-dir", data.toString());
            }
            return builder.load();
        }
    }

    @Command(name = "serve", description = "Run the registry.")
    static final class Serve implements Callable<Integer> {
        @CommandLine.Mixin
        ConfigOptionsMixin options;

        @Option(names = "--admin-password-file", paramLabel = "FILE", description = "when the registry has no users "
                + "yet, create the superuser admin with the password on FILE's first line (or set BOLLARD_ADMIN_PASSWORD)")
        @Nullable Path adminPasswordFile;

        @Override
        public Integer call() throws Exception {
            BollardConfig config = options.options.load();
            if (config.telemetry().logFormat().equals("json")) {
                JsonLogs.switchOn();
            }
            String adminPassword = adminPassword();
            Bollard server;
            try {
                server = Bollard.start(config, adminPassword);
            } catch (DatabaseUnavailableException e) {
                throw CliErrors.databaseUnavailable(e, "is Bollard already running on " + config.dataDir()
                        + "? Stop it first, or give this one a data directory of its own with --data DIR");
            } catch (Exception e) {
                for (Throwable t = e; t != null; t = t.getCause()) {
                    if (t instanceof BindException bind) {
                        String address = config.server().host() + ":" + config.server().port();
                        boolean inUse = String.valueOf(bind.getMessage()).contains("in use");
                        throw new CliErrors.Failure("cannot listen on " + address + ": " + (inUse
                                ? "the address is in use\n  is Bollard already running? Stop it, or choose another "
                                + "address with --listen HOST:PORT"
                                : bind.getMessage() + "\n  is the host an address of this machine? Choose another "
                                + "with --listen HOST:PORT"), CliErrors.FAILED, e);
                    }
                }
                throw e;
            }
            ControlSocket control = ControlSocket.open(config.dataDir(), new Invocation.Hosted(config, server.database()));
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                control.close();
                server.close(); // logs its stop
            }, "bollard-shutdown"));
            server.join();
            return 0;
        }

        /** The first administrator's password, from --admin-password-file or BOLLARD_ADMIN_PASSWORD; null when neither. */
        private @Nullable String adminPassword() throws IOException {
            String fromEnvironment = System.getenv("BOLLARD_ADMIN_PASSWORD");
            Path file = adminPasswordFile;
            if (file == null) {
                return fromEnvironment == null || fromEnvironment.isEmpty() ? null : fromEnvironment;
            }
            if (fromEnvironment != null && !fromEnvironment.isEmpty()) {
                throw new CliErrors.Failure("give the first administrator's password once: with "
                        + "--admin-password-file or with BOLLARD_ADMIN_PASSWORD, not both", CliErrors.BAD_CONFIG);
            }
            String line;
            try {
                line = Files.readAllLines(file, StandardCharsets.UTF_8).stream().findFirst().orElse("");
            } catch (NoSuchFileException e) {
                throw new CliErrors.Failure("the admin password file " + file + " does not exist", CliErrors.BAD_CONFIG, e);
            }
            if (line.isBlank()) {
                throw new CliErrors.Failure("the admin password file " + file + " is empty: its first line is the "
                        + "password", CliErrors.BAD_CONFIG);
            }
            return line;
        }
    }

    @Command(name = "config", description = "Work with configuration.", subcommands = ConfigCheck.class)
    static final class ConfigCommand extends CommandGroup {
    }

    @Command(name = "check",
            description = "Validate the configuration (file, BOLLARD_* environment, flags) and print the result.")
    static final class ConfigCheck implements Callable<Integer> {
        @CommandLine.Mixin
        ConfigOptionsMixin options;

        @CommandLine.Parameters(arity = "0..1", paramLabel = "FILE", description = "YAML configuration file (same as --config)")
        java.nio.file.@Nullable Path file;

        @Override
        public Integer call() {
            if (file != null) {
                if (options.options.config != null && !options.options.config.equals(file)) {
                    throw new CliErrors.Failure("give the configuration file once, as FILE or with --config",
                            CliErrors.BAD_CONFIG);
                }
                options.options.config = file;
            }
            BollardConfig config = options.options.load();
            System.out.println("configuration is valid:");
            System.out.println("  data-dir        " + config.dataDir());
            System.out.println("  server          " + config.server().host() + ":" + config.server().port());
            BollardConfig.Tls tls = config.server().tls();
            // The key material is read here as at start, so that a wrong file shows before the restart does.
            System.out.println("  tls             " + (tls.enabled() ? KeyMaterial.load(tls).describe()
                    + "; HTTP/2 and HTTP/1.1, files checked every " + ConfigLoader.formatDuration(tls.reloadInterval())
                    + ", HSTS " + (tls.hstsMaxAge().isZero() ? "off" : "max-age "
                    + ConfigLoader.formatDuration(tls.hstsMaxAge()))
                    : config.server().isLoopback() ? "off (plain HTTP on loopback)"
                    : "OFF: plain HTTP on a non-loopback address (server.allow-plain-http)"));
            BollardConfig.S3 s3 = config.storage().s3();
            System.out.println("  storage         " + (config.storage().isS3()
                    ? "s3 bucket " + s3.bucket() + (s3.prefix().isEmpty() ? "" : " under " + s3.prefix()) + " at "
                    + (s3.endpoint().isEmpty() ? "AWS " + s3.region() : s3.endpoint())
                    + (s3.accessKey().isEmpty() ? ", SDK credential chain" : ", static keys")
                    + (s3.redirect() ? ", blob GETs redirect to presigned URLs" : "")
                    : "filesystem at " + config.storage().path()));
            System.out.println("  database        " + config.database().url());
            System.out.println("  uploads         staged in " + config.uploads().stagingPath() + ", expire after "
                    + ConfigLoader.formatDuration(config.uploads().expiry()));
            System.out.println("  delete-enabled  " + config.registry().deleteEnabled());
            System.out.println("  logs            " + config.telemetry().logFormat() + ", tracing "
                    + (config.telemetry().tracingEnabled() ? "to " + config.telemetry().tracingEndpoint()
                    + " sampling " + config.telemetry().sampleRatio() : "off"));
            BollardConfig.Lifecycle lifecycle = config.lifecycle();
            System.out.println("  gc              " + (lifecycle.gcEnabled() ? "every " + ConfigLoader.formatDuration(lifecycle.gcInterval())
                    + ", grace period " + ConfigLoader.formatDuration(lifecycle.gcGracePeriod()) : "DISABLED (bollard gc reclaims by hand)")
                    + "; history window " + ConfigLoader.formatDuration(lifecycle.historyWindow()));
            System.out.println("  auth            " + (config.auth().enabled() ? "enabled, anonymous pull of public "
                    + "repositories " + (config.auth().anonymousPull() ? "allowed" : "refused") + ", tokens live "
                    + ConfigLoader.formatDuration(config.auth().tokenExpiry()) : "DISABLED: anyone may push"));
            return 0;
        }
    }

    /** picocli mixin wrapper so that each command carries its own copy of the options. */
    static final class ConfigOptionsMixin {
        @CommandLine.ArgGroup(exclusive = false)
        ConfigOptions options = new ConfigOptions();
    }

    /**
     * {@code --version}: the version, commit and build date that the build wrote into {@code version.properties}
     * (pom.xml); a build without git says the commit is unknown, a run from classes that were never built by Maven
     * says so too.
     */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() throws IOException {
            Properties p = new Properties();
            try (InputStream in = Main.class.getResourceAsStream("version.properties")) {
                if (in != null) {
                    p.load(in);
                }
            }
            String version = built(p, "version");
            String commit = built(p, "commit");
            String date = built(p, "date");
            return new String[] {"bollard " + (version == null ? "(version unknown: not built by Maven)" : version)
                    + " (commit " + (commit == null ? "unknown" : commit) + ", built "
                    + (date == null ? "at an unknown date" : date) + ")"};
        }

        /** A property the build filled in; null when it did not (the placeholder is still there, or none at all). */
        private static @Nullable String built(Properties p, String key) {
            String value = p.getProperty(key);
            return value == null || value.isBlank() || value.contains("${") ? null : value;
        }
    }
}
