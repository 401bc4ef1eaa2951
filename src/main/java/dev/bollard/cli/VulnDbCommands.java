package dev.bollard.cli;

import dev.bollard.metadata.Database;
import dev.bollard.metadata.VulnerabilityDao;
import dev.bollard.scan.vuln.VulnerabilityStore;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * The vulnerability data from the command line: {@code bollard vulndb import} loads OSV data from a file, a directory
 * or a URL (how an air-gapped site feeds it), {@code bollard vulndb status} tells what is loaded and how old it is.
 * Straight on the metadata database, like the other administration commands.
 */
final class VulnDbCommands {
    private VulnDbCommands() {
    }

    @Command(name = "vulndb", description = "The vulnerability data scans are matched against.",
            subcommands = {VulnDbImport.class, VulnDbStatus.class})
    static final class VulnDbCommand extends CommandGroup {
    }

    @Command(name = "import", mixinStandardHelpOptions = true, description = "Import OSV vulnerability records from "
            + "SOURCE: a zip archive (osv.dev's all.zip of an ecosystem), a directory of .json files, one .json file, or "
            + "an http(s) URL of one of those. Incremental (records not newer than the stored ones are skipped, withdrawn "
            + "ones removed) and all or nothing: a malformed record fails the import, naming it, and changes nothing.")
    static final class VulnDbImport extends AdminCommands.DbCommand {
        @Parameters(index = "0", paramLabel = "FILE|DIR|URL")
        String source;

        @Override
        void run(Database db) {
            VulnerabilityStore store = new VulnerabilityStore(db);
            VulnerabilityStore.ImportResult r;
            if (source.startsWith("http://") || source.startsWith("https://") || source.startsWith("file:")) {
                r = store.importUrl(URI.create(source), config().dataDir().resolve("tmp"),
                        HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NORMAL)
                                .connectTimeout(Duration.ofSeconds(30)).build(), () -> { });
            } else {
                r = store.importPath(invocation().resolve(Path.of(source)));
            }
            out().printf("imported %s: %d added, %d updated, %d unchanged, %d withdrawn; %d package keys changed "
                            + "(import %d, %d ms)%n", r.source(), r.added(), r.updated(), r.unchanged(), r.withdrawn(),
                    r.changedKeys(), r.importId(), r.took().toMillis());
        }
    }

    @Command(name = "status", mixinStandardHelpOptions = true, description = "Show the vulnerability data: records per "
            + "ecosystem, the newest record's modification time (the data's age) and the last import.")
    static final class VulnDbStatus extends AdminCommands.DbCommand {
        @Override
        void run(Database db) {
            VulnerabilityStore.Status status = new VulnerabilityStore(db).status();
            if (status.records() == 0) {
                out().println("no vulnerability data: import it with bollard vulndb import FILE|DIR|URL");
                return;
            }
            out().println("records: " + status.records());
            int width = status.recordsByEcosystem().keySet().stream().mapToInt(String::length).max().orElse(10);
            for (Map.Entry<String, Long> e : status.recordsByEcosystem().entrySet()) {
                out().printf("  %-" + width + "s  %d%n", e.getKey(), e.getValue());
            }
            Instant now = Instant.now();
            Duration age = status.age(now);
            if (status.newestModified() != null && age != null) {
                out().println("newest record modified: " + status.newestModified() + " (" + age.toDays()
                        + " days ago)");
            }
            VulnerabilityDao.ImportRow last = status.lastImport();
            if (last != null) {
                out().printf("last import: %s from %s (%d added, %d updated, %d unchanged, %d withdrawn)%n",
                        Instant.ofEpochMilli(last.finishedAt()), last.source(), last.added(), last.updated(),
                        last.unchanged(), last.withdrawn());
            }
        }
    }
}
