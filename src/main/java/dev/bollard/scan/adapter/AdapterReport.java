package dev.bollard.scan.adapter;

import dev.bollard.scan.vuln.Severity;
import java.time.Instant;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * What one external scanner found in one image, beside the built-in scanner's report: the adapter's name, the
 * scanner it runs (name, vendor, version, as its metadata said), the state ({@code queued}, {@code scanning},
 * {@code done}, {@code failed} with the reason) and the vulnerabilities of its last report, worst first.
 */
public record AdapterReport(String adapter, String scanner, String vendor, String version, String state,
                            @Nullable String reason, Instant queuedAt, @Nullable Instant finishedAt,
                            List<Vulnerability> vulnerabilities) {
    public AdapterReport {
        vulnerabilities = List.copyOf(vulnerabilities);
    }

    /** One vulnerability as the scanner reported it. */
    public record Vulnerability(String id, String pkg, String version, @Nullable String fixedVersion,
                                Severity severity, @Nullable Double cvssScore, @Nullable String cvssVector,
                                @Nullable String description, List<String> links) {
        public Vulnerability {
            links = List.copyOf(links);
        }
    }
}
