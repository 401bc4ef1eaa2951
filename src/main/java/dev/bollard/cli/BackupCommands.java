package dev.bollard.cli;

import dev.bollard.app.Bollard;
import dev.bollard.backup.Backup;
import dev.bollard.backup.BackupDescription;
import dev.bollard.backup.Restore;
import dev.bollard.config.BollardConfig;
import dev.bollard.error.BollardException;
import dev.bollard.http.ui.Format;
import dev.bollard.metadata.Database;
import dev.bollard.registry.Registry;
import dev.bollard.storage.BlobStore;
import java.nio.file.Path;
import java.time.temporal.ChronoUnit;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code bollard backup} while the registry serves, and {@code bollard restore} into a registry not yet started. */
final class BackupCommands {
    private BackupCommands() {
    }

    @Command(name = "backup", description = "Back up the registry (embedded database and blobs) into DIR while it "
            + "serves: a consistent snapshot with every blob it names, verified. Into an earlier backup's DIR, only "
            + "new blobs are copied. On PostgreSQL see docs/operations.md.")
    static final class BackupCommand extends LifecycleCommands.RegistryCommand {
        @Parameters(index = "0", paramLabel = "DIR", description = "a new or empty directory, or an earlier backup's")
        Path directory;

        @Option(names = "--include-key-encryption-key", description = "also copy the key-encryption key, so that the "
                + "backup restores on its own; the backup then opens the registry's secrets: guard it like the key")
        boolean includeKey;

        @Override
        void run(Registry registry, Database db) throws Exception {
            BollardConfig.KeyEncryption keys = config().auth().keyEncryption();
            @Nullable Path key = null;
            if (includeKey) {
                if (!keys.key().isEmpty()) {
                    throw BollardException.invalid("the key-encryption key comes from the configuration "
                            + "(auth.key-encryption-key), not a file: keep it with the configuration, not the backup");
                }
                key = keys.file();
            }
            Backup.Report report = Backup.take(db, store(), invocation().resolve(directory), key);
            BackupDescription d = report.description();
            out().println("backed up to " + report.directory() + ": the database as of " + d.createdAt().truncatedTo(ChronoUnit.SECONDS) + " and "
                    + d.blobs() + " blob(s) of " + Format.size(d.bytes()));
            out().println("  copied " + report.copied() + " blob(s) of " + Format.size(report.copiedBytes())
                    + ", " + report.kept() + " already there" + (report.removed() > 0 ? ", removed "
                    + report.removed() + " no longer named" : "") + (report.snapshots() > 1 ? "; took "
                    + report.snapshots() + " snapshots (the collector deleted blobs meanwhile)" : "")
                    + ", in " + report.took().toMillis() + " ms");
            out().println(d.carriesKeyEncryptionKey()
                    ? "  the backup carries the key-encryption key: whoever reads it can open the registry's secrets"
                    : d.sealedWith().isEmpty() ? "  no secrets in the database are sealed with a key-encryption key"
                    : "  keep the key-encryption key (" + keys.file() + ", id " + String.join(", ", d.sealedWith())
                    + ") with the backup's other keys: a restore needs it (or take it with --include-key-encryption-key)");
        }
    }

    @Command(name = "restore", description = "Restore a backup made by bollard backup into a registry that has no "
            + "database yet (a new --data directory); then start it with bollard serve.")
    static final class RestoreCommand implements Callable<Integer> {
        @CommandLine.Mixin
        Main.ConfigOptionsMixin options;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Parameters(index = "0", paramLabel = "DIR", description = "the backup's directory")
        Path directory;

        @Override
        public Integer call() throws Exception {
            BollardConfig config = options.options.load();
            Path from = Main.of(spec).resolve(directory);
            Restore.Report report;
            try (BlobStore store = Bollard.openStore(config)) {
                report = Restore.into(from, config.database(), config.auth().keyEncryption(), store);
            }
            BackupDescription d = report.description();
            var out = spec.commandLine().getOut();
            out.println("restored the backup of " + d.createdAt().truncatedTo(ChronoUnit.SECONDS) + " into " + config.dataDir() + ": " + d.blobs()
                    + " blob(s) of " + Format.size(d.bytes()) + " (" + report.stored() + " stored, "
                    + report.present() + " already in the blob store), each verified by its digest");
            if (report.keyInstalled() != null) {
                out.println("  installed the backup's key-encryption key as " + report.keyInstalled());
            }
            out.println("  start it with: bollard serve --data " + config.dataDir());
            out.flush();
            return 0;
        }
    }

}
