package dev.bollard.scan.results;

import dev.bollard.audit.AuditActions;
import dev.bollard.audit.AuditEvent;
import dev.bollard.events.Outbox;
import dev.bollard.metadata.Database;
import dev.bollard.metadata.ScanDao;
import dev.bollard.scan.InstalledPackage;
import dev.bollard.scan.Inventory;
import dev.bollard.scan.vuln.Finding;
import dev.bollard.scan.vuln.HealthGrade;
import dev.bollard.scan.vuln.MatchReport;
import dev.bollard.scan.vuln.VulnerabilityMatcher;
import dev.bollard.scan.vuln.VulnerabilityStore;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps stored results current with the vulnerability data, without indexing any image again: after an import
 * (by {@code bollard vulndb import} or the scheduled refresh) it marks current every done scan none of whose packages
 * the imports since its match changed ({@code vuln_change}, by (ecosystem, package)), and matches the others again
 * from their stored inventories. Findings a re-match adds are published as one {@code vulnerability.found} event per
 * manifest, recorded in the outbox in the transaction that stores them; findings that went away (an advisory
 * withdrawn, a range corrected) are simply no longer listed.
 */
public final class Rematcher {
    private static final Logger LOG = LoggerFactory.getLogger(Rematcher.class);
    private static final int BATCH = 100;

    private final Database db;
    private final VulnerabilityStore vulns;
    private final VulnerabilityMatcher matcher;
    private final Outbox outbox;
    private final Counter rematched;

    Rematcher(Database db, VulnerabilityStore vulns, Outbox outbox, MeterRegistry meters) {
        this.db = db;
        this.vulns = vulns;
        this.matcher = new VulnerabilityMatcher(vulns);
        this.outbox = outbox;
        this.rematched = Counter.builder("bollard.scan.rematched")
                .description("stored inventories matched again after new vulnerability data").register(meters);
    }

    /**
     * Brings every done scan up to the latest import; returns how many were matched again. First marks failed the
     * scans whose last attempt was abandoned by a node that died ({@link ScanDao#failAbandoned}), so none stays
     * "indexing" for ever.
     */
    public int run(Runnable heartbeat) {
        int abandoned = 0;
        for (long manifestId : db.read(h -> ScanDao.abandoned(h, ScanQueue.NAME))) {
            boolean failed = db.inTransaction(h -> {
                if (!ScanDao.failAbandoned(h, ScanQueue.NAME, manifestId)) {
                    return false; // a node took it up again meanwhile
                }
                Optional<ScanDao.Target> target = ScanDao.target(h, manifestId);
                if (target.isPresent()) {
                    @Nullable String reason = ScanDao.results(h, List.of(manifestId)).stream().findFirst()
                            .map(ScanDao.ResultRow::reason).orElse(null);
                    StoredScans.recordFinished(outbox, h, target.get(), "failed", reason, null);
                }
                return true;
            });
            abandoned += failed ? 1 : 0;
        }
        if (abandoned > 0) {
            LOG.warn("{} scan(s) failed: their last attempt was abandoned (the node scanning them stopped)", abandoned);
        }
        long last = vulns.lastImportId();
        if (last == 0) {
            return 0;
        }
        db.inTransaction(h -> ScanDao.advanceUnaffected(h, last));
        int count = 0;
        while (!Thread.currentThread().isInterrupted()) {
            List<Long> stale = db.read(h -> ScanDao.stale(h, last, BATCH));
            for (long manifestId : stale) {
                rematch(manifestId, last);
                count++;
            }
            heartbeat.run();
            if (stale.size() < BATCH) {
                break;
            }
        }
        if (count > 0) {
            LOG.info("matched {} stored image(s) again against vulnerability data import {}", count, last);
        }
        return count;
    }

    private void rematch(long manifestId, long last) {
        Optional<ScanDao.ResultRow> before = db.read(h -> ScanDao.result(h, manifestId));
        if (before.isEmpty() || !before.get().state().equals("done")) {
            return;
        }
        List<ScanDao.PackageRow> rows = db.read(h -> ScanDao.packages(h, manifestId));
        Inventory inventory = StoredScans.inventory(before.get(), rows);
        MatchReport report = matcher.match(inventory);
        Instant now = Instant.now();
        Map<InstalledPackage, Integer> ordinals = StoredScans.ordinals(inventory);
        db.inTransaction(h -> {
            Optional<ScanDao.ResultRow> locked = ScanDao.lock(h, manifestId);
            // Scanned again or re-matched by another node meanwhile: that result stands.
            if (locked.isEmpty() || !locked.get().state().equals("done")
                    || locked.get().importId() != before.get().importId()) {
                return null;
            }
            Map<String, Long> foundAt = new HashMap<>();
            for (ScanDao.FindingRow f : ScanDao.findings(h, manifestId)) {
                foundAt.put(StoredScans.key(f.vulnId(), f.packageOrdinal()), f.foundAt());
            }
            List<ScanDao.FindingRow> findings = new ArrayList<>();
            List<Map<String, Object>> added = new ArrayList<>();
            for (Finding f : report.findings()) {
                int ordinal = ordinals.getOrDefault(f.pkg(), 0);
                Long first = foundAt.get(StoredScans.key(f.id(), ordinal));
                findings.add(StoredScans.findingRow(f, ordinal, first == null ? now : Instant.ofEpochMilli(first)));
                if (first == null) {
                    added.add(eventEntry(f));
                }
            }
            ScanDao.replaceFindings(h, manifestId, findings);
            ScanDao.rematched(h, manifestId, HealthGrade.of(report.findings(), now).name(), report.osUnsupported(),
                    StoredScans.json(report.notes()), last, now.toEpochMilli());
            if (!added.isEmpty()) {
                ScanDao.Target target = ScanDao.target(h, manifestId).orElseThrow();
                Map<String, Object> details = new LinkedHashMap<>();
                details.put("digest", target.digest());
                details.put("findings", added);
                details.put("vulndbImport", last);
                outbox.record(h, AuditEvent.onRepository(SbomReferrers.SCANNER, AuditActions.VULNERABILITY_FOUND,
                        target.repository(), details));
            }
            return null;
        });
        rematched.increment();
    }

    /** A new finding as the {@code vulnerability.found} event lists it (docs/events.md). */
    private static Map<String, Object> eventEntry(Finding f) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", f.id());
        m.put("aliases", f.aliases());
        m.put("severity", f.severity().name());
        m.put("package", f.pkg().name());
        m.put("version", f.pkg().version());
        m.put("purl", f.pkg().purl());
        if (f.fixedVersion() != null) {
            m.put("fixedVersion", f.fixedVersion());
        }
        return m;
    }
}
