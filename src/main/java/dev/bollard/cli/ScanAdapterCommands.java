package dev.bollard.cli;

import dev.bollard.error.BollardException;
import dev.bollard.events.Outbox;
import dev.bollard.metadata.Database;
import dev.bollard.scan.adapter.ScannerAdapters;
import dev.bollard.secrets.KeyEncryption;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code bollard scan adapter list|set|delete}: the external scanners (docs/scanning.md, "External scanners"), the
 * same operations as {@code /api/v1/scan-adapters}, through the same {@link ScannerAdapters}: registration fetches the
 * adapter's metadata first and is audited as this OS user's; the Authorization header sent to the adapter is read from
 * standard input (never an argument, which other users of the machine could read) and sealed at rest.
 */
final class ScanAdapterCommands {
    private ScanAdapterCommands() {
    }

    @Command(name = "adapter", description = "External scanners speaking Harbor's scanner adapter API v1.1 (Trivy's "
            + "adapter, for one): each scans the images pushed, beside the built-in scanner.",
            subcommands = {AdapterList.class, AdapterSet.class, AdapterDelete.class})
    static final class Adapter extends CommandGroup {
    }

    /** An adapter command: the adapters, their Authorization headers sealed with the registry's key. */
    abstract static class AdapterCommand extends AdminCommands.DbCommand {
        ScannerAdapters adapters(Database db) {
            // Nothing is scanned from the command line, so the pull token and the registry's URL are never asked for.
            return new ScannerAdapters(db, new Outbox(audit(db)::catchUp),
                    KeyEncryption.load(config().auth().keyEncryption()), ScannerAdapters.PullAuthorization.OPEN, () -> {
                        throw new IllegalStateException("the command line hands no scan to an adapter");
                    }, config().scan().adapterTimeout());
        }

        void print(ScannerAdapters.Adapter a) {
            out().println(a.name() + "  " + a.url() + "  " + a.scanner() + " " + a.version() + " (" + a.vendor()
                    + ")  " + (a.organization() == null ? "every image" : "images of " + a.organization())
                    + (a.authorization() ? ", with an Authorization header" : "") + "  set by " + a.updatedBy() + " at "
                    + a.updatedAt());
        }
    }

    @Command(name = "list", description = "The external scanners: name, URL, the scanner its metadata names, the "
            + "images it scans.")
    static final class AdapterList extends AdapterCommand {
        @Override
        void run(Database db) {
            List<ScannerAdapters.Adapter> all = adapters(db).list();
            if (all.isEmpty()) {
                out().println("no scanner adapters (add one with bollard scan adapter set NAME URL)");
            }
            all.forEach(this::print);
        }
    }

    @Command(name = "set", description = "Register or replace an external scanner NAME at URL; its GET "
            + "/api/v1/metadata is fetched first, and an adapter that does not answer it is refused.")
    static final class AdapterSet extends AdapterCommand {
        @Parameters(index = "0", paramLabel = "NAME", description = "1-63 lower-case letters, digits, '.', '_', '-'")
        String name;

        @Parameters(index = "1", paramLabel = "URL", description = "the adapter's base URL (http:// or https://)")
        String url;

        @Option(names = "--organization", paramLabel = "ORG", description = "scan only the images of this "
                + "organization (default: every image)")
        @Nullable String organization;

        @Option(names = "--authorization-stdin", description = "read the Authorization header sent to the adapter "
                + "(Bearer TOKEN, Basic ...) from the first line of standard input")
        boolean authorizationStdin;

        @Override
        byte[] inputForRegistry() throws IOException {
            String header = authorization();
            return header == null ? new byte[0] : (header + "\n").getBytes(StandardCharsets.UTF_8);
        }

        private @Nullable String authorization() throws IOException {
            if (!authorizationStdin) {
                return null;
            }
            String line = new BufferedReader(new InputStreamReader(invocation().in(), StandardCharsets.UTF_8))
                    .readLine();
            if (line == null || line.isBlank()) {
                throw BollardException.invalid("--authorization-stdin: no Authorization header on standard input");
            }
            return line.strip();
        }

        @Override
        void run(Database db) throws IOException {
            ScannerAdapters.Adapter set = adapters(db).set(actor(), name, url, authorization(), organization);
            PrintWriter out = out();
            out.print("registered ");
            print(set);
        }
    }

    @Command(name = "delete", description = "Remove an external scanner and its results.")
    static final class AdapterDelete extends AdapterCommand {
        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Override
        void run(Database db) {
            adapters(db).delete(actor(), name);
            out().println("removed scanner adapter " + name + " and its results");
        }
    }
}
