package dev.bollard.scan.results;

import dev.bollard.audit.Actor;
import dev.bollard.audit.AuditActions;
import dev.bollard.audit.AuditEvent;
import dev.bollard.error.BollardException;
import dev.bollard.error.ErrorCode;
import dev.bollard.events.Outbox;
import dev.bollard.jobs.Worker;
import dev.bollard.metadata.Database;
import dev.bollard.metadata.ScanDao;
import dev.bollard.oci.Descriptor;
import dev.bollard.oci.Digest;
import dev.bollard.oci.Manifest;
import dev.bollard.oci.ManifestInvalidException;
import dev.bollard.oci.ManifestParser;
import dev.bollard.oci.RepositoryName;
import dev.bollard.registry.Registry;
import dev.bollard.scan.InstalledPackage;
import dev.bollard.scan.Inventory;
import dev.bollard.scan.OsRelease;
import dev.bollard.scan.adapter.ScannerAdapters;
import dev.bollard.scan.policy.PullPolicies;
import dev.bollard.scan.sbom.SbomSubject;
import dev.bollard.scan.vuln.Severity;
import dev.bollard.scan.vuln.VulnerabilityStore;
import dev.bollard.storage.BlobStore;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * Scanning's use cases: the queue a push feeds, the workers that scan and re-match, and the stored results as the
 * API and the CLI read them (reports, SBOMs, the vulnerability data's status), and a scan requested by hand.
 */
public final class ScanResults {
    /** The states a scan can be in, from the least finished. */
    static final List<String> STATES = List.of("queued", "indexing", "failed", "unsupported", "done");

    private final Database db;
    private final Outbox outbox;
    private final ScanQueue queue;
    private final VulnerabilityStore vulns;
    private final ImageScanner scanner;
    private final Rematcher rematcher;
    private final PullPolicies policies;
    private final @Nullable ScannerAdapters adapters;

    /** {@code sbomReferrers}: whether scans store their SBOMs as referrers of the image. */
    public ScanResults(Database db, BlobStore blobs, Registry registry, Outbox outbox, boolean sbomReferrers,
                       MeterRegistry meters) {
        this(db, blobs, registry, outbox, sbomReferrers, meters, null);
    }

    /** As above, with the external scanners ({@code adapters}; null where there are none to administer: the CLI). */
    public ScanResults(Database db, BlobStore blobs, Registry registry, Outbox outbox, boolean sbomReferrers,
                       MeterRegistry meters, @Nullable ScannerAdapters adapters) {
        this.adapters = adapters;
        this.db = db;
        this.outbox = outbox;
        this.queue = new ScanQueue(db);
        this.vulns = new VulnerabilityStore(db);
        this.scanner = new ImageScanner(db, blobs, vulns, sbomReferrers ? new SbomReferrers(registry) : null, outbox,
                meters);
        this.rematcher = new Rematcher(db, vulns, outbox, meters);
        this.policies = new PullPolicies(db, outbox, Clock.systemUTC());
        Gauge.builder("bollard.scan.queued", queue, ScanQueue::depth).description("scans queued or running")
                .register(meters);
    }

    /** The vulnerability pull policies (docs/scanning.md, "Pull policy"); the registry's pull gate. */
    public PullPolicies policies() {
        return policies;
    }

    /** The external scanners (docs/scanning.md, "External scanners"). */
    public ScannerAdapters adapters() {
        if (adapters == null) {
            throw new IllegalStateException("external scanners are administered through the running registry");
        }
        return adapters;
    }

    public ScanQueue queue() {
        return queue;
    }

    /** The scan worker (every node; polls the queue every {@code poll}) and the re-match worker (one node). */
    public List<Worker> workers(Duration poll, Duration rematchEvery) {
        return List.of(new ScanWorker(queue.workQueue(), scanner, poll), new RematchWorker(rematcher, rematchEvery));
    }

    /** The re-match, run at once (tests, administration). */
    public int rematch() {
        return rematcher.run(() -> { });
    }

    /** The vulnerability data's state. */
    public VulnerabilityStore.Status vulndb() {
        return vulns.status();
    }

    /** How many scans are in each state. */
    public Map<String, Long> counts() {
        return db.read(ScanDao::countsByState);
    }

    /**
     * The scan of manifest {@code digest} of {@code repository}; for an index, with a report per platform. NOT_FOUND
     * when the manifest is not stored, or was never queued for a scan (stored before scanning on push, or a referrer).
     */
    public ScanReport report(RepositoryName repository, Digest digest) {
        ScanDao.Target target = target(repository, digest);
        Manifest manifest = parse(target);
        if (manifest instanceof Manifest.Index index) {
            List<ScanReport> children = new ArrayList<>();
            for (Descriptor child : index.manifests()) {
                Optional<Long> id = db.read(h -> ScanDao.manifestId(h, repository.value(), child.digest().toString()));
                String platform = child.platform() == null ? null : child.platform().toString();
                Optional<ScanReport> report = id.flatMap(i -> imageReport(repository, child.digest(), i, platform));
                report.ifPresent(children::add);
            }
            String state = children.stream().map(ScanReport::state).min(Comparator.comparingInt(STATES::indexOf))
                    .orElse("unsupported");
            return new ScanReport(repository.value(), digest, null, state, children.isEmpty()
                    ? "none of the index's manifests is stored here and scanned" : null, 0, null, null, null, null, 0,
                    null, null, 0, null, List.of(), List.of(), children, List.of());
        }
        return imageReport(repository, digest, target.manifestId(), null).orElseThrow(() -> BollardException.notFound(
                "manifest " + digest + " of " + repository + " was not scanned (stored before scanning on push, or an "
                        + "artifact about another image); request a scan with POST"));
    }

    /**
     * The scan of one image in brief: its state, when it was last matched (done), its findings counted per severity
     * and those with a fix, the grade, and whether it was matched before any vulnerability data existed.
     */
    public record Summary(Digest digest, @Nullable String platform, String state, @Nullable String reason,
                          @Nullable Instant matchedAt, Map<Severity, Integer> counts, int fixable,
                          @Nullable String grade, boolean noData) {
        public Summary {
            counts = Map.copyOf(counts);
        }
    }

    /**
     * The scan of manifest {@code digest} in brief, as {@link #report} but with the findings counted in the database
     * rather than read (a repository's tags tab lists many images): one summary for an image, one per platform
     * scanned for an index. Empty when the manifest is not stored or an image was never queued for a scan.
     */
    public Optional<List<Summary>> summaries(RepositoryName repository, Digest digest) {
        return db.read(h -> {
            Optional<ScanDao.Target> target = ScanDao.manifestId(h, repository.value(), digest.toString())
                    .flatMap(id -> ScanDao.target(h, id));
            if (target.isEmpty()) {
                return Optional.empty();
            }
            if (parse(target.get()) instanceof Manifest.Index index) {
                List<Summary> children = new ArrayList<>();
                for (Descriptor child : index.manifests()) {
                    String platform = child.platform() == null ? null : child.platform().toString();
                    ScanDao.manifestId(h, repository.value(), child.digest().toString())
                            .flatMap(id -> summary(h, child.digest(), id, platform)).ifPresent(children::add);
                }
                return Optional.of(children);
            }
            return summary(h, digest, target.get().manifestId(), null).map(List::of);
        });
    }

    private static Optional<Summary> summary(org.jdbi.v3.core.Handle h, Digest digest, long manifestId,
                                             @Nullable String platform) {
        return ScanDao.result(h, manifestId).map(r -> {
            Map<Severity, Integer> counts = new java.util.EnumMap<>(Severity.class);
            int fixable = 0;
            for (ScanDao.SeverityCount c : ScanDao.severityCounts(h, manifestId)) {
                counts.merge(Severity.valueOf(c.severity()), (int) c.findings(), Integer::sum);
                fixable += (int) c.fixable();
            }
            return new Summary(digest, platform, r.state(), r.reason(), instant(r.matchedAt()), counts, fixable,
                    r.grade(), r.state().equals("done") && r.importId() == 0);
        });
    }

    /** What the vulnerability pull policy says of manifest {@code digest} of {@code repository} (bypasses aside). */
    public PullPolicies.Verdict policyVerdict(RepositoryName repository, Digest digest) {
        ScanDao.Target target = target(repository, digest);
        return policies.verdict(repository, digest, target.mediaType(), target.content());
    }

    private Optional<ScanReport> imageReport(RepositoryName repository, Digest digest, long manifestId,
                                             @Nullable String platform) {
        return db.read(h -> ScanDao.result(h, manifestId).map(r -> {
            List<ScanDao.PackageRow> rows = ScanDao.packages(h, manifestId);
            List<ScanDao.FindingRow> findingRows = ScanDao.findings(h, manifestId);
            List<ScanReport.Reported> findings = new ArrayList<>();
            for (ScanDao.FindingRow f : findingRows) {
                InstalledPackage pkg = f.packageOrdinal() < rows.size()
                        ? StoredScans.installed(rows.get(f.packageOrdinal())) : null;
                if (pkg != null) {
                    findings.add(new ScanReport.Reported(StoredScans.finding(f, pkg), Instant.ofEpochMilli(f.foundAt())));
                }
            }
            findings.sort(Comparator.comparing((ScanReport.Reported f) -> f.finding().severity()).reversed()
                    .thenComparing(f -> f.finding().id()).thenComparing(f -> f.finding().pkg().name()));
            List<String> notes = new ArrayList<>(StoredScans.strings(r.notes()));
            notes.addAll(StoredScans.strings(r.matchNotes()));
            if (r.state().equals("done") && r.importId() == 0) {
                // Said when read, not stored: it stops being true the moment data arrives, before any re-match.
                notes.add(NO_VULNERABILITY_DATA);
            }
            OsRelease os = r.osId() == null ? null : new OsRelease(r.osId(), r.osVersion(), r.osName());
            return new ScanReport(repository.value(), digest, platform, r.state(), r.reason(), r.attempts(),
                    Instant.ofEpochMilli(r.queuedAt()), instant(r.startedAt()), instant(r.indexedAt()),
                    instant(r.matchedAt()), r.importId(), os, r.osUnsupported(), rows.size(), r.grade(), findings,
                    notes, List.of(), ScannerAdapters.reports(h, manifestId));
        }));
    }

    /**
     * The packages the scan of image {@code digest} of {@code repository} found (its stored inventory), in the order
     * the indexer found them; empty before it was indexed. NOT_FOUND (MANIFEST_UNKNOWN) when the manifest is not stored.
     */
    public List<InstalledPackage> packages(RepositoryName repository, Digest digest) {
        ScanDao.Target target = target(repository, digest);
        return db.read(h -> ScanDao.packages(h, target.manifestId())).stream().map(StoredScans::installed).toList();
    }

    /** The note of a done scan matched before any vulnerability data was imported: its grade A means nothing yet. */
    public static final String NO_VULNERABILITY_DATA = "no vulnerability data had been imported when this image was "
            + "matched, so no vulnerability could be found: import OSV data (bollard vulndb import, or scan.vulndb.urls); "
            + "stored images are matched again when it arrives";

    /** An SBOM document: its media type and bytes. */
    public record Sbom(String mediaType, byte[] content) {
    }

    /**
     * The SBOM of image {@code digest} in {@code format} ({@code cyclonedx} or {@code spdx}), written from the stored
     * inventory: the same document the scan stored as a referrer of the image. NOT_FOUND before the scan is done.
     */
    public Sbom sbom(RepositoryName repository, Digest digest, String format) {
        SbomReferrers.Format f = null;
        for (SbomReferrers.Format candidate : SbomReferrers.Format.values()) {
            if (candidate.apiName.equals(format.toLowerCase(Locale.ROOT))) {
                f = candidate;
            }
        }
        if (f == null) {
            throw BollardException.invalid("format must be cyclonedx or spdx, not \"" + format + "\"");
        }
        ScanDao.Target target = target(repository, digest);
        Optional<ScanDao.ResultRow> result = db.read(h -> ScanDao.result(h, target.manifestId()));
        if (result.isEmpty() || result.get().indexedAt() == null) {
            throw BollardException.notFound("manifest " + digest + " of " + repository + " has no inventory yet: "
                    + (result.isEmpty() ? "it was not scanned" : "its scan is " + result.get().state()));
        }
        List<ScanDao.PackageRow> rows = db.read(h -> ScanDao.packages(h, target.manifestId()));
        Inventory inventory = StoredScans.inventory(result.get(), rows);
        Long indexedAt = result.get().indexedAt();
        return new Sbom(f.mediaType, f.write(inventory, new SbomSubject(repository, digest),
                Instant.ofEpochMilli(indexedAt == null ? 0 : indexedAt)));
    }

    /**
     * Queues manifest {@code digest} of {@code repository} for a scan (again), as {@code actor}; each platform of an
     * index. Returns the manifests queued (none when each is queued or being scanned already).
     */
    public List<Digest> request(RepositoryName repository, Digest digest, Actor actor) {
        ScanDao.Target target = target(repository, digest);
        Manifest manifest = parse(target);
        List<Digest> wanted = new ArrayList<>();
        switch (manifest) {
            case Manifest.Image image -> {
                if (image.subject().isPresent()) {
                    throw BollardException.invalid("manifest " + digest + " is an artifact about another image (it has "
                            + "a subject); scan that image");
                }
                wanted.add(digest);
            }
            case Manifest.Index index -> index.manifests().forEach(d -> wanted.add(d.digest()));
        }
        return db.inTransaction(h -> {
            List<Digest> queued = new ArrayList<>();
            for (Digest d : wanted) {
                Optional<Long> id = ScanDao.manifestId(h, repository.value(), d.toString());
                if (id.isPresent() && queue.enqueue(h, id.get(), repository.value(), d.toString(), true)) {
                    queued.add(d);
                    if (adapters != null) {
                        adapters.enqueue(h, id.get(), repository);
                    }
                }
            }
            outbox.record(h, AuditEvent.onRepository(actor, AuditActions.SCAN_REQUEST, repository.value(),
                    Map.of("digest", digest.toString(), "queued", queued.stream().map(Digest::toString).toList())));
            return queued;
        });
    }

    private ScanDao.Target target(RepositoryName repository, Digest digest) {
        return db.read(h -> ScanDao.manifestId(h, repository.value(), digest.toString()).flatMap(id -> ScanDao.target(h, id)))
                .orElseThrow(() -> new BollardException(ErrorCode.MANIFEST_UNKNOWN, "manifest " + digest
                        + " is not known in " + repository, Map.of("digest", digest.toString())));
    }

    private static Manifest parse(ScanDao.Target target) {
        try {
            return ManifestParser.parse(target.content(), target.mediaType());
        } catch (ManifestInvalidException e) {
            throw new IllegalStateException("a stored manifest does not parse: " + e.getMessage(), e);
        }
    }

    private static @Nullable Instant instant(@Nullable Long millis) {
        return millis == null ? null : Instant.ofEpochMilli(millis);
    }
}
