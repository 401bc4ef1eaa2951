package dev.bollard.cli;

import dev.bollard.error.BollardException;
import dev.bollard.metadata.Database;
import dev.bollard.oci.Descriptor;
import dev.bollard.oci.Digest;
import dev.bollard.oci.Manifest;
import dev.bollard.oci.ManifestInvalidException;
import dev.bollard.oci.ManifestParser;
import dev.bollard.oci.Reference;
import dev.bollard.oci.RepositoryName;
import dev.bollard.oci.Tag;
import dev.bollard.registry.Registry;
import dev.bollard.registry.StoredManifest;
import dev.bollard.events.Outbox;
import dev.bollard.scan.Inventory;
import dev.bollard.scan.results.ScanReport;
import dev.bollard.scan.results.ScanResults;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import dev.bollard.scan.index.ImageIndexer;
import dev.bollard.scan.index.IndexFailedException;
import dev.bollard.scan.vuln.Finding;
import dev.bollard.scan.vuln.HealthGrade;
import dev.bollard.scan.vuln.MatchReport;
import dev.bollard.scan.vuln.Severity;
import dev.bollard.scan.vuln.VulnerabilityMatcher;
import dev.bollard.scan.vuln.VulnerabilityStore;
import java.io.PrintWriter;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code bollard scan REPOSITORY:TAG}: indexes a stored image (each platform of an index) and matches what it finds
 * against the imported vulnerability data, then prints the report. Nothing is stored: it is the scanner's parts at
 * work on demand, ahead of scanning on push.
 */
final class ScanCommands {
    private ScanCommands() {
    }

    @Command(name = "scan", mixinStandardHelpOptions = true, description = "Scan a stored image for known "
            + "vulnerabilities and print the report: every platform of an index, its operating system, how many "
            + "packages were found, each finding (worst first) and the health grade. Import vulnerability data first "
            + "with bollard vulndb import.", subcommands = {ScanPolicyCommands.Policy.class, ScanAdapterCommands.Adapter.class})
    static final class Scan extends LifecycleCommands.RegistryCommand {
        // Optional to picocli so that "bollard scan policy ..." needs no image; run() requires it.
        @Parameters(index = "0", arity = "0..1", paramLabel = "REPOSITORY:TAG|REPOSITORY@DIGEST")
        @Nullable String target;

        @Option(names = "--fixable", description = "list only findings that have a fixed version")
        boolean fixableOnly;

        @Option(names = "--stored", description = "print the result stored by scanning on push (state, findings, "
                + "grade) instead of scanning now")
        boolean stored;

        @Override
        void run(Registry registry, Database db) throws ManifestInvalidException {
            String target = this.target;
            if (target == null) {
                throw new CliErrors.Failure("name the image to scan: bollard scan REPOSITORY:TAG (or a subcommand: "
                        + "bollard scan policy, bollard scan adapter)", CliErrors.FAILED);
            }
            int at = target.indexOf('@');
            RepositoryName repository;
            Reference reference;
            if (at > 0) {
                repository = BollardException.parsed(() -> new RepositoryName(target.substring(0, at)));
                reference = new Reference.ByDigest(BollardException.parsed(() -> Digest.parse(target.substring(at + 1))));
            } else {
                repository = LifecycleCommands.repositoryOf(target);
                Tag tag = LifecycleCommands.tagOf(target);
                reference = new Reference.ByTag(tag);
            }
            StoredManifest top = registry.manifests().get(repository, reference);
            if (stored) {
                printStored(new ScanResults(db, store(), registry, Outbox.RECORD_ONLY, false,
                        new SimpleMeterRegistry()).report(repository, top.digest()));
                return;
            }
            Manifest manifest = ManifestParser.parse(top.content(), top.mediaType());
            VulnerabilityStore store = new VulnerabilityStore(db);
            if (store.status().records() == 0) {
                out().println("note: no vulnerability data is imported, so nothing can be found vulnerable; import "
                        + "it with bollard vulndb import FILE|DIR|URL");
            }
            VulnerabilityMatcher matcher = new VulnerabilityMatcher(store);
            ImageIndexer indexer = new ImageIndexer();
            switch (manifest) {
                case Manifest.Image image -> report(indexer, matcher, top.digest(), null, image);
                case Manifest.Index index -> {
                    for (Descriptor child : index.manifests()) {
                        StoredManifest stored = registry.manifests().find(repository, new Reference.ByDigest(child.digest()))
                                .orElse(null);
                        String platform = child.platform() == null ? "unknown platform" : child.platform().toString();
                        if (stored == null) {
                            out().println(platform + "  " + child.digest() + "  not stored here (a sparse index)");
                            continue;
                        }
                        if (ManifestParser.parse(stored.content(), stored.mediaType()) instanceof Manifest.Image image) {
                            report(indexer, matcher, child.digest(), platform, image);
                        }
                    }
                }
            }
        }

        private void printStored(ScanReport report) {
            PrintWriter out = out();
            if (!report.manifests().isEmpty()) {
                report.manifests().forEach(this::printStored);
                return;
            }
            out.println((report.platform() == null ? "" : report.platform() + "  ") + report.digest() + "  "
                    + report.state() + (report.reason() == null ? "" : ": " + report.reason()));
            if (!report.state().equals("done")) {
                return;
            }
            String os = report.os() == null ? "no operating system named"
                    : report.os().prettyName() != null ? report.os().prettyName() : report.os().id();
            out.println("  " + os + ", " + report.packages() + " package(s), health grade " + report.grade()
                    + ", matched against vulnerability data import " + report.vulndbImport());
            for (ScanReport.Reported r : report.findings()) {
                Finding f = r.finding();
                if (!fixableOnly || f.fixable()) {
                    out.printf("  %-8s %-22s %s %s -> %s (found %s)%n", f.severity(), f.id(), f.pkg().name(),
                            f.pkg().version(), f.fixable() ? "fixed in " + f.fixedVersion() : "no fix yet", r.foundAt());
                }
            }
            out.println("  " + report.findings().size() + " finding(s)");
            report.notes().forEach(n -> out.println("  note: " + n));
        }

        private void report(ImageIndexer indexer, VulnerabilityMatcher matcher, Digest digest, @Nullable String platform,
                            Manifest.Image image) {
            PrintWriter out = out();
            String heading = (platform == null ? "" : platform + "  ") + digest;
            Inventory inventory;
            try {
                inventory = indexer.index(store(), image);
            } catch (IndexFailedException e) {
                out.println(heading + "  " + e.outcome().name().toLowerCase(Locale.ROOT) + ": " + e.reason());
                return;
            }
            MatchReport report = matcher.match(inventory);
            List<Finding> findings = new ArrayList<>(report.findings());
            findings.sort(Comparator.comparing(Finding::severity).reversed().thenComparing(Finding::id));
            HealthGrade grade = HealthGrade.of(findings, Instant.now());
            String os = inventory.os() == null ? "no operating system named"
                    : inventory.os().prettyName() != null ? inventory.os().prettyName() : inventory.os().id();
            out.println(heading);
            out.println("  " + os + ", " + inventory.packages().size() + " package(s), health grade " + grade);
            Map<Severity, Integer> counts = new EnumMap<>(Severity.class);
            long fixable = findings.stream().filter(Finding::fixable).count();
            for (Finding f : findings) {
                counts.merge(f.severity(), 1, Integer::sum);
                if (fixableOnly && !f.fixable()) {
                    continue;
                }
                String cve = f.aliases().stream().filter(a -> a.startsWith("CVE-")).findFirst().orElse("");
                out.printf("  %-8s %-22s %-18s %s %s -> %s%n", f.severity(), f.id(), cve.equals(f.id()) ? "" : cve,
                        f.pkg().name(), f.pkg().version(), f.fixable() ? "fixed in " + f.fixedVersion() : "no fix yet");
            }
            out.println("  " + findings.size() + " finding(s)" + (findings.isEmpty() ? "" : " (" + counts + "), "
                    + fixable + " with a fix"));
            if (report.osUnsupported() != null) {
                out.println("  unsupported: " + report.osUnsupported());
            }
            for (String note : inventory.notes()) {
                out.println("  note: " + note);
            }
            for (String note : report.notes()) {
                out.println("  note: " + note);
            }
        }
    }
}
