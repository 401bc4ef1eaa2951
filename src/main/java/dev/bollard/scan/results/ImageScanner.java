package dev.bollard.scan.results;

import dev.bollard.error.BollardException;
import dev.bollard.events.Outbox;
import dev.bollard.metadata.Database;
import dev.bollard.metadata.ScanDao;
import dev.bollard.metadata.WorkItemDao;
import dev.bollard.oci.Digest;
import dev.bollard.oci.Manifest;
import dev.bollard.oci.ManifestInvalidException;
import dev.bollard.oci.ManifestParser;
import dev.bollard.oci.RepositoryName;
import dev.bollard.scan.InstalledPackage;
import dev.bollard.scan.Inventory;
import dev.bollard.scan.index.ImageIndexer;
import dev.bollard.scan.index.IndexFailedException;
import dev.bollard.scan.vuln.Finding;
import dev.bollard.scan.vuln.HealthGrade;
import dev.bollard.scan.vuln.MatchReport;
import dev.bollard.scan.vuln.VulnerabilityMatcher;
import dev.bollard.scan.vuln.VulnerabilityStore;
import dev.bollard.storage.BlobStore;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Scans one queued manifest: indexes the image from the blob store, matches the inventory against the vulnerability
 * data, stores its SBOMs as referrers, and stores the result — state {@code done} with the packages, findings,
 * grade and the import matched against; or {@code failed} / {@code unsupported} with the indexer's reason (a corrupt
 * layer, an artifact that is no file system), which no retry would change. Any other failure (the database or the
 * blob store out) is thrown for the queue to retry; the state says {@code queued} with the reason meanwhile, and
 * {@code failed} after the last attempt.
 */
public final class ImageScanner {
    private static final Logger LOG = LoggerFactory.getLogger(ImageScanner.class);

    private final Database db;
    private final Outbox outbox;
    private final BlobStore blobs;
    private final VulnerabilityStore vulns;
    private final VulnerabilityMatcher matcher;
    private final @Nullable SbomReferrers referrers;
    private final ImageIndexer indexer = new ImageIndexer();
    private final Counter indexed;
    private final Timer duration;

    /** {@code referrers}: where SBOM referrers are stored; null to store none. */
    ImageScanner(Database db, BlobStore blobs, VulnerabilityStore vulns, @Nullable SbomReferrers referrers,
                 Outbox outbox, MeterRegistry meters) {
        this.db = db;
        this.outbox = outbox;
        this.blobs = blobs;
        this.vulns = vulns;
        this.matcher = new VulnerabilityMatcher(vulns);
        this.referrers = referrers;
        this.indexed = Counter.builder("bollard.scan.indexed").description("images the scanner indexed")
                .register(meters);
        this.duration = Timer.builder("bollard.scan.duration").description("how long scans (index and match) took")
                .register(meters);
    }

    /** Scans the manifest of {@code item}, its {@code attempt}-th try of at most {@code maxAttempts}. */
    void scan(WorkItemDao.Item item, int maxAttempts) {
        long manifestId = Long.parseLong(item.key());
        Optional<ScanDao.Target> found = db.read(h -> ScanDao.target(h, manifestId));
        if (found.isEmpty()) {
            return; // deleted since it was pushed; its scan went with it
        }
        ScanDao.Target target = found.get();
        db.inTransaction(h -> {
            ScanDao.setState(h, manifestId, "indexing", null, item.attempt(), System.currentTimeMillis());
            return null;
        });
        long started = System.nanoTime();
        try {
            run(target, item.attempt());
        } catch (RuntimeException e) {
            String reason = e instanceof BollardException b ? b.getMessage() : e.toString();
            boolean last = item.attempt() >= maxAttempts;
            LOG.warn("scan of {}@{} failed (attempt {} of {}): {}", target.repository(), target.digest(),
                    item.attempt(), maxAttempts, reason);
            db.inTransaction(h -> {
                ScanDao.setState(h, manifestId, last ? "failed" : "queued", last ? reason
                        : "attempt " + item.attempt() + " failed, to be retried: " + reason, item.attempt(), null);
                if (last) {
                    StoredScans.recordFinished(outbox, h, target, "failed", reason, null);
                }
                return null;
            });
            throw e;
        } finally {
            duration.record(System.nanoTime() - started, java.util.concurrent.TimeUnit.NANOSECONDS);
        }
    }

    private void run(ScanDao.Target target, int attempt) {
        Manifest manifest;
        try {
            manifest = ManifestParser.parse(target.content(), target.mediaType());
        } catch (ManifestInvalidException e) {
            finish(target, "failed", "the manifest cannot be read: " + e.getMessage(), attempt);
            return;
        }
        if (!(manifest instanceof Manifest.Image image)) {
            finish(target, "unsupported", "an index is scanned per platform: see its manifests", attempt);
            return;
        }
        Inventory inventory;
        try {
            inventory = indexer.index(blobs, image);
        } catch (IndexFailedException e) {
            finish(target, e.outcome() == IndexFailedException.Outcome.UNSUPPORTED ? "unsupported" : "failed",
                    e.reason(), attempt);
            return;
        }
        indexed.increment();
        // The import seen before matching: an import that commits while this one matches is matched again later.
        long importId = vulns.lastImportId();
        MatchReport report = matcher.match(inventory);
        Instant now = Instant.now();
        List<String> matchNotes = new ArrayList<>(report.notes());
        RepositoryName repository = RepositoryName.parse(target.repository());
        if (referrers != null) {
            try {
                referrers.attach(repository, Digest.parse(target.digest()), target.mediaType(),
                        target.content().length, inventory, now);
            } catch (BollardException e) {
                // A full quota, say: the scan's results stand; the SBOMs stay downloadable from the API.
                matchNotes.add("the SBOMs could not be stored as referrers of the image: " + e.getMessage());
            }
        }
        Map<InstalledPackage, Integer> ordinals = StoredScans.ordinals(inventory);
        List<ScanDao.FindingRow> findings = new ArrayList<>();
        for (Finding f : report.findings()) {
            findings.add(StoredScans.findingRow(f, ordinals.getOrDefault(f.pkg(), 0), now));
        }
        var os = inventory.os();
        ScanDao.ResultRow row = new ScanDao.ResultRow(target.manifestId(), "done", null, attempt, 0, null,
                now.toEpochMilli(), now.toEpochMilli(), importId, os == null ? null : os.id(),
                os == null ? null : os.versionId(), os == null ? null : os.prettyName(), report.osUnsupported(),
                HealthGrade.of(report.findings(), now).name(), StoredScans.json(inventory.notes()),
                StoredScans.json(matchNotes));
        db.inTransaction(h -> {
            if (ScanDao.lock(h, target.manifestId()).isPresent()) { // else deleted with its manifest meanwhile
                ScanDao.storeDone(h, row, StoredScans.packageRows(inventory), findings);
                Map<String, Object> outcome = new LinkedHashMap<>();
                outcome.put("grade", row.grade());
                outcome.put("packages", inventory.packages().size());
                outcome.put("findings", report.findings().size());
                outcome.put("fixable", report.findings().stream().filter(f -> f.fixedVersion() != null).count());
                Map<String, Integer> bySeverity = new LinkedHashMap<>();
                for (Finding f : report.findings()) {
                    bySeverity.merge(f.severity().name(), 1, Integer::sum);
                }
                outcome.put("severities", bySeverity);
                outcome.put("vulndbImport", importId);
                StoredScans.recordFinished(outbox, h, target, "done", null, outcome);
            }
            return null;
        });
        LOG.info("scanned {}@{}: {} package(s), {} finding(s)", target.repository(), target.digest(),
                inventory.packages().size(), findings.size());
    }

    private void finish(ScanDao.Target target, String state, String reason, int attempt) {
        db.inTransaction(h -> {
            ScanDao.setState(h, target.manifestId(), state, reason, attempt, null);
            StoredScans.recordFinished(outbox, h, target, state, reason, null);
            return null;
        });
    }
}
