package dev.bollard.cli;

import dev.bollard.app.Bollard;
import dev.bollard.config.BollardConfig;
import dev.bollard.config.ConfigException;
import dev.bollard.config.ConfigLoader;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

/** The {@code bollard} command. */
@Command(name = "bollard", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Bollard, an OCI container image registry.",
        subcommands = {Main.Serve.class, Main.ConfigCommand.class, AdminCommands.UserCommand.class,
                AdminCommands.OrgCommand.class, AdminCommands.RobotCommand.class, AdminCommands.RepoCommand.class,
                AdminCommands.KeysCommand.class, AdminCommands.AuditCommand.class, LifecycleCommands.Gc.class,
                LifecycleCommands.HistoryCommand.class, LifecycleCommands.ImmutableCommand.class,
                LifecycleCommands.RetentionCommand.class, LifecycleCommands.QuotaCommand.class, TagCommands.TagCommand.class,
                AotTraining.class})
public final class Main implements Runnable {

    public static void main(String[] args) {
        System.exit(new CommandLine(new Main()).execute(args));
    }

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
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

    @Command(name = "serve", mixinStandardHelpOptions = true, description = "Run the registry.")
    static final class Serve implements Callable<Integer> {
        @CommandLine.Mixin
        ConfigOptionsMixin options;

        @Override
        public Integer call() throws Exception {
            BollardConfig config;
            try {
                config = options.options.load();
            } catch (ConfigException e) {
                return CliErrors.failed(e, 2);
            }
            if (config.telemetry().logFormat().equals("json")) {
                JsonLogs.switchOn();
            }
            Bollard server = Bollard.start(config);
            Runtime.getRuntime().addShutdownHook(new Thread(server::close, "bollard-shutdown"));
            server.join();
            return 0;
        }
    }

    @Command(name = "config", description = "Work with configuration.", subcommands = ConfigCheck.class)
    static final class ConfigCommand extends CommandGroup {
    }

    @Command(name = "check", mixinStandardHelpOptions = true,
            description = "Validate the configuration (file, BOLLARD_* environment, flags) and print the result.")
    static final class ConfigCheck implements Callable<Integer> {
        @CommandLine.Mixin
        ConfigOptionsMixin options;

        @CommandLine.Parameters(arity = "0..1", paramLabel = "FILE", description = "YAML configuration file (same as --config)")
        java.nio.file.@Nullable Path file;

        @Override
        public Integer call() {
            try {
                if (file != null) {
                    if (options.options.config != null && !options.options.config.equals(file)) {
                        return CliErrors.failed("give the configuration file once, as FILE or with --config", 2);
                    }
                    options.options.config = file;
                }
                BollardConfig config = options.options.load();
                System.out.println("configuration is valid:");
                System.out.println("  data-dir        " + config.dataDir());
                System.out.println("  server          " + config.server().host() + ":" + config.server().port());
                BollardConfig.S3 s3 = config.storage().s3();
                System.out.println("  storage         " + (config.storage().isS3()
                        ? "s3 bucket " + s3.bucket() + (s3.prefix().isEmpty() ? "" : " under " + s3.prefix()) + " at "
                        + (s3.endpoint().isEmpty() ? "AWS " + s3.region() : s3.endpoint())
                        + (s3.accessKey().isEmpty() ? ", SDK credential chain" : ", static keys")
                        + (s3.redirect() ? ", blob GETs redirect to presigned URLs" : "")
                        : "filesystem at " + config.storage().path()));
                System.out.println("  database        " + config.database().url());
                System.out.println("  uploads         staged in " + config.uploads().stagingPath() + ", expire after "
                        + config.uploads().expiry());
                System.out.println("  delete-enabled  " + config.registry().deleteEnabled());
                System.out.println("  logs            " + config.telemetry().logFormat() + ", tracing "
                        + (config.telemetry().tracingEnabled() ? "to " + config.telemetry().tracingEndpoint()
                        + " sampling " + config.telemetry().sampleRatio() : "off"));
                BollardConfig.Lifecycle lifecycle = config.lifecycle();
                System.out.println("  gc              " + (lifecycle.gcEnabled() ? "every " + lifecycle.gcInterval()
                        + ", grace period " + lifecycle.gcGracePeriod() : "DISABLED (bollard gc reclaims by hand)")
                        + "; history window " + lifecycle.historyWindow());
                System.out.println("  auth            " + (config.auth().enabled() ? "enabled, anonymous pull of public "
                        + "repositories " + (config.auth().anonymousPull() ? "allowed" : "refused") + ", tokens live "
                        + config.auth().tokenExpiry() : "DISABLED: anyone may push"));
                return 0;
            } catch (ConfigException e) {
                return CliErrors.failed(e, 2);
            }
        }
    }

    /** picocli mixin wrapper so that each command carries its own copy of the options. */
    static final class ConfigOptionsMixin {
        @CommandLine.ArgGroup(exclusive = false)
        ConfigOptions options = new ConfigOptions();
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"bollard " + (v == null ? "development build" : v)};
        }
    }
}
