package dev.bollard.scan.results;

import dev.bollard.oci.Digest;
import dev.bollard.scan.OsRelease;
import dev.bollard.scan.adapter.AdapterReport;
import dev.bollard.scan.vuln.Finding;
import java.time.Instant;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The stored scan of one manifest, as users see it. For an image: its state ({@code queued}, {@code indexing},
 * {@code done}, {@code failed}, {@code unsupported}) with the reason, the operating system, how many packages, the
 * findings (worst first, each with when it was first found), the health grade, the notes, and which import of the
 * vulnerability data it was matched against. For an index: {@code manifests} holds the report of each platform,
 * and its state is the least finished of theirs. {@code scanners}: what each external scanner found in the image.
 */
public record ScanReport(String repository, Digest digest, @Nullable String platform, String state,
                         @Nullable String reason, int attempts, @Nullable Instant queuedAt, @Nullable Instant startedAt,
                         @Nullable Instant indexedAt, @Nullable Instant matchedAt, long vulndbImport,
                         @Nullable OsRelease os, @Nullable String osUnsupported, int packages, @Nullable String grade,
                         List<Reported> findings, List<String> notes, List<ScanReport> manifests,
                         List<AdapterReport> scanners) {

    public ScanReport {
        scanners = List.copyOf(scanners);
        findings = List.copyOf(findings);
        notes = List.copyOf(notes);
        manifests = List.copyOf(manifests);
    }

    /** A finding with when it was first found (a re-match keeps the time of the findings it found before). */
    public record Reported(Finding finding, Instant foundAt) {
    }
}
