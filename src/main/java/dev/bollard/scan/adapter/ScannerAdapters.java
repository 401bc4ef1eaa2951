package dev.bollard.scan.adapter;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bollard.audit.Actor;
import dev.bollard.audit.AuditActions;
import dev.bollard.audit.AuditEvent;
import dev.bollard.error.BollardException;
import dev.bollard.events.Outbox;
import dev.bollard.jobs.WorkQueue;
import dev.bollard.jobs.Worker;
import dev.bollard.json.Json;
import dev.bollard.metadata.Database;
import dev.bollard.metadata.ScanAdapterDao;
import dev.bollard.metadata.ScanDao;
import dev.bollard.metadata.WorkItemDao;
import dev.bollard.oci.Manifest;
import dev.bollard.oci.RepositoryName;
import dev.bollard.registry.PushListener;
import dev.bollard.scan.vuln.Severity;
import dev.bollard.secrets.KeyEncryption;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import org.jdbi.v3.core.Handle;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * External scanners (docs/scanning.md, "External scanners"): adapters speaking Harbor's scanner adapter API v1.1,
 * registered by superusers, each scanning every image or those of one organization. A push queues each image manifest
 * for each adapter that covers it (work queue {@value #QUEUE}) in the push's transaction; a worker on any node asks
 * the adapter for the scan, handing it the registry's URL and a pull token scoped to the image's repository, polls the
 * report and stores its vulnerabilities beside the built-in scanner's results.
 */
public final class ScannerAdapters {
    private static final Logger LOG = LoggerFactory.getLogger(ScannerAdapters.class);
    public static final String QUEUE = "scan-adapter";
    /** A claim is renewed while the adapter is polled; a node that died lets it lapse and another asks again. */
    static final WorkQueue.Settings SETTINGS = new WorkQueue.Settings(Duration.ofMinutes(2), 5, Duration.ofSeconds(10),
            Duration.ofMinutes(10));
    /** How long one attempt waits for the report before it fails (a scanner that never finishes). */
    static final Duration REPORT_DEADLINE = Duration.ofMinutes(15);
    private static final String SEALED = "scan-adapter-authorization";
    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9._-]{0,62}");
    private static final TypeReference<List<String>> STRINGS = new TypeReference<>() {
    };

    /** Issues the Authorization header an adapter pulls {@code repository} with; null when the registry is open. */
    @FunctionalInterface
    public interface PullAuthorization {
        PullAuthorization OPEN = (subject, repository) -> null;

        @Nullable String authorization(String subject, String repository);
    }

    /** A registered adapter as users see it (whether it has an Authorization header, never the header). */
    public record Adapter(String name, URI url, boolean authorization, @Nullable String organization, String scanner,
                          String vendor, String version, String updatedBy, Instant updatedAt) {
    }

    private final Database db;
    private final Outbox outbox;
    private final KeyEncryption sealing;
    private final PullAuthorization pulls;
    private final java.util.function.Supplier<URI> registryUrl;
    private final Duration timeout;
    private final WorkQueue queue;

    /**
     * {@code registryUrl}: where adapters reach this registry's {@code /v2/} API; {@code timeout}: of each request to
     * an adapter.
     */
    public ScannerAdapters(Database db, Outbox outbox, KeyEncryption sealing, PullAuthorization pulls,
                           java.util.function.Supplier<URI> registryUrl,
                           Duration timeout) {
        this.db = db;
        this.outbox = outbox;
        this.sealing = sealing;
        this.pulls = pulls;
        this.registryUrl = registryUrl;
        this.timeout = timeout;
        // Ordered by adapter: one adapter's scans go one at a time, so a slow adapter holds up only its own.
        this.queue = WorkQueue.ordered(db, QUEUE, SETTINGS, ScannerAdapters::adapterOf, 4);
    }

    // ---- registration ----

    /**
     * Registers (or replaces) adapter {@code name} at {@code url}, as {@code actor}: its metadata is fetched first,
     * and an adapter that does not answer it, or produces no v1.1 vulnerability report, is refused (INVALID).
     * {@code authorization}: the header sent to it (null: none); {@code organization}: only images of it (null: all).
     */
    public Adapter set(Actor actor, String name, String url, @Nullable String authorization,
                       @Nullable String organization) {
        if (!NAME.matcher(name).matches()) {
            throw BollardException.invalid("an adapter name is 1-63 lower-case letters, digits, '.', '_' or '-', not \""
                    + name + "\"");
        }
        URI uri;
        try {
            uri = URI.create(url);
        } catch (IllegalArgumentException e) {
            throw BollardException.invalid("url is not a URL: " + e.getMessage());
        }
        if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || uri.getHost() == null) {
            throw BollardException.invalid("url must be an http:// or https:// URL, not \"" + url + "\"");
        }
        if (organization != null && (organization.isEmpty() || organization.contains("/"))) {
            throw BollardException.invalid("organization must name one organization (or be left out: every image)");
        }
        AdapterClient.Metadata metadata;
        try {
            metadata = new AdapterClient(uri, authorization, timeout).metadata();
        } catch (AdapterClient.AdapterException e) {
            throw BollardException.invalid("the scanner adapter at " + uri + " is not usable: " + e.getMessage());
        } catch (IOException e) {
            throw BollardException.invalid("the scanner adapter at " + uri + " does not answer GET /api/v1/metadata: "
                    + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
        if (!metadata.producesReport()) {
            throw BollardException.invalid("the scanner adapter at " + uri + " (" + metadata.name() + ") produces no "
                    + AdapterClient.REPORT_TYPE + " report, which Bollard reads");
        }
        long now = System.currentTimeMillis();
        ScanAdapterDao.AdapterRow row = new ScanAdapterDao.AdapterRow(0, name, uri.toString(),
                authorization == null ? null : sealing.seal(SEALED, authorization), organization, metadata.name(),
                metadata.vendor(), metadata.version(), actor.name(), now);
        db.inTransaction(h -> {
            ScanAdapterDao.upsert(h, row);
            Map<String, Object> details = new LinkedHashMap<>();
            details.put("name", name);
            details.put("url", uri.toString());
            details.put("organization", organization);
            details.put("scanner", metadata.name() + " " + metadata.version());
            details.put("authorization", authorization != null);
            outbox.record(h, AuditEvent.onNamespace(actor, AuditActions.SCAN_ADAPTER_SET, organization, details));
            return null;
        });
        return adapter(row);
    }

    public List<Adapter> list() {
        return db.read(ScanAdapterDao::all).stream().map(ScannerAdapters::adapter).toList();
    }

    /** Removes adapter {@code name} with its results; NOT_FOUND when there is none. */
    public void delete(Actor actor, String name) {
        db.inTransaction(h -> {
            Optional<ScanAdapterDao.AdapterRow> row = ScanAdapterDao.find(h, name);
            if (row.isEmpty()) {
                throw BollardException.notFound("there is no scanner adapter " + name);
            }
            queue.dropWaiting(h, row.get().id() + ":");
            ScanAdapterDao.delete(h, name);
            outbox.record(h, AuditEvent.onNamespace(actor, AuditActions.SCAN_ADAPTER_DELETE, row.get().organization(),
                    Map.of("name", name)));
            return null;
        });
    }

    private static Adapter adapter(ScanAdapterDao.AdapterRow r) {
        return new Adapter(r.name(), URI.create(r.url()), r.authHeader() != null, r.organization(), r.scannerName(),
                r.scannerVendor(), r.scannerVersion(), r.updatedBy(), Instant.ofEpochMilli(r.updatedAt()));
    }

    // ---- queueing ----

    /** What a push tells: each image manifest it stored is queued for each adapter that covers its repository. */
    public PushListener onPush() {
        return (h, pushed) -> {
            if (pushed.manifest() instanceof Manifest.Image image && image.subject().isEmpty() && pushed.complete()) {
                enqueue(h, pushed.manifestId(), pushed.repository());
            }
        };
    }

    /** Queues image manifest {@code manifestId} of {@code repository} for each adapter covering it (again if done). */
    public void enqueue(Handle h, long manifestId, RepositoryName repository) {
        String organization = RepositoryName.namespaceOf(repository.value());
        List<ScanAdapterDao.AdapterRow> adapters = organization == null
                ? ScanAdapterDao.all(h).stream().filter(a -> a.organization() == null).toList()
                : ScanAdapterDao.forOrganization(h, organization);
        long now = System.currentTimeMillis();
        for (ScanAdapterDao.AdapterRow a : adapters) {
            if (ScanAdapterDao.queue(h, a.id(), manifestId, now)) {
                queue.enqueue(h, a.id() + ":" + manifestId, "{}");
            }
        }
    }

    /** The worker that asks the adapters for the queued scans (every node). */
    public Worker worker(Duration poll) {
        return new AdapterScanWorker(queue, this, poll);
    }

    // ---- scanning ----

    /** The adapter part of a scan's work item, {@code <adapter id>:<manifest id>}. */
    static String adapterOf(String key) {
        return key.substring(0, key.indexOf(':'));
    }

    /** Scans the queued item {@code item} ({@code <adapter id>:<manifest id>}), its attempt of at most max. */
    void scan(WorkItemDao.Item item) throws IOException, InterruptedException {
        int colon = item.key().indexOf(':');
        long adapterId = Long.parseLong(item.key().substring(0, colon));
        long manifestId = Long.parseLong(item.key().substring(colon + 1));
        Optional<ScanAdapterDao.AdapterRow> found = db.read(h -> ScanAdapterDao.find(h, adapterId));
        Optional<ScanDao.Target> target = db.read(h -> ScanDao.target(h, manifestId));
        if (found.isEmpty() || target.isEmpty()) {
            return; // the adapter or the image was deleted meanwhile, and its result with it
        }
        ScanAdapterDao.AdapterRow adapter = found.get();
        ScanDao.Target image = target.get();
        state(adapterId, manifestId, "scanning", null, null, null);
        try {
            String authorization = adapter.authHeader() == null ? null
                    : sealing.open(SEALED, adapter.authHeader(), "the Authorization header of scanner adapter "
                    + adapter.name());
            AdapterClient client = new AdapterClient(URI.create(adapter.url()), authorization, timeout);
            String id = client.scan(scanRequest(adapter, image));
            state(adapterId, manifestId, "scanning", null, id, null);
            Instant deadline = Instant.now().plus(REPORT_DEADLINE);
            while (true) {
                AdapterClient.Poll poll = client.report(id);
                if (poll instanceof AdapterClient.Poll.Ready ready) {
                    List<ScanAdapterDao.FindingRow> findings = findings(ready.report());
                    db.inTransaction(h -> ScanAdapterDao.storeDone(h, adapterId, manifestId, findings,
                            System.currentTimeMillis()));
                    LOG.info("scanner adapter {} scanned {}@{}: {} vulnerabilities", adapter.name(),
                            image.repository(), image.digest(), findings.size());
                    return;
                }
                Duration wait = ((AdapterClient.Poll.Pending) poll).refreshAfter();
                if (Instant.now().plus(wait).isAfter(deadline)) {
                    throw new AdapterClient.AdapterException("no report after " + REPORT_DEADLINE.toMinutes()
                            + " minutes (scan request " + id + ")");
                }
                Thread.sleep(wait);
            }
        } catch (AdapterClient.AdapterException e) {
            // What the adapter answered: asking again would get the same answer.
            String reason = "scanner adapter " + adapter.name() + ": " + e.getMessage();
            LOG.warn("scan of {}@{} by {} failed: {}", image.repository(), image.digest(), adapter.name(), reason);
            state(adapterId, manifestId, "failed", reason, null, System.currentTimeMillis());
        } catch (IOException | RuntimeException e) {
            boolean last = item.attempt() >= SETTINGS.maxAttempts();
            String reason = "scanner adapter " + adapter.name() + " could not be reached: " + e;
            state(adapterId, manifestId, last ? "failed" : "queued", last ? reason
                    : "attempt " + item.attempt() + " failed, to be retried: " + reason, null,
                    last ? System.currentTimeMillis() : null);
            throw e;
        }
    }

    private void state(long adapterId, long manifestId, String state, @Nullable String reason,
                       @Nullable String requestId, @Nullable Long finishedAt) {
        db.inTransaction(h -> ScanAdapterDao.setState(h, adapterId, manifestId, state, reason, requestId, finishedAt));
    }

    /** The spec's ScanRequest: where to pull from, with a token for the image's repository only, and what. */
    private JsonNode scanRequest(ScanAdapterDao.AdapterRow adapter, ScanDao.Target image) {
        ObjectNode request = Json.MAPPER.createObjectNode();
        ObjectNode registry = request.putObject("registry");
        registry.put("url", registryUrl.get().toString());
        String authorization = pulls.authorization("scan-adapter:" + adapter.name(), image.repository());
        if (authorization != null) {
            registry.put("authorization", authorization);
        }
        ObjectNode artifact = request.putObject("artifact");
        artifact.put("repository", image.repository());
        artifact.put("digest", image.digest());
        artifact.put("mime_type", image.mediaType());
        return request;
    }

    /** The vulnerabilities of a HarborVulnerabilityReport; an item without id or package is refused. */
    static List<ScanAdapterDao.FindingRow> findings(JsonNode report) throws AdapterClient.AdapterException {
        JsonNode items = report.path("vulnerabilities");
        if (!items.isMissingNode() && !items.isNull() && !items.isArray()) {
            throw new AdapterClient.AdapterException("its report's vulnerabilities is not an array");
        }
        List<ScanAdapterDao.FindingRow> rows = new ArrayList<>();
        for (JsonNode v : items) {
            String id = v.path("id").asText("");
            String pkg = v.path("package").asText("");
            if (id.isEmpty() || pkg.isEmpty()) {
                throw new AdapterClient.AdapterException("its report lists a vulnerability without id or package (item "
                        + (rows.size() + 1) + ")");
            }
            List<String> links = new ArrayList<>();
            v.path("links").forEach(l -> links.add(l.asText()));
            JsonNode cvss = v.path("preferred_cvss");
            rows.add(new ScanAdapterDao.FindingRow(clip(id, 255), clip(pkg, 1024), clip(v.path("version").asText(""),
                    512), v.hasNonNull("fix_version") && !v.path("fix_version").asText().isEmpty()
                    ? clip(v.path("fix_version").asText(), 512) : null, severity(v.path("severity").asText("")).name(),
                    cvss.path("score_v3").isNumber() ? cvss.path("score_v3").asDouble() : null,
                    cvss.path("vector_v3").isTextual() ? clip(cvss.path("vector_v3").asText(), 512) : null,
                    v.path("description").isTextual() ? v.path("description").asText() : null, json(links)));
        }
        return rows;
    }

    /** The spec's severity words as Bollard's: Negligible counts as low; anything else unknown. */
    static Severity severity(String word) {
        return switch (word.toLowerCase(Locale.ROOT)) {
            case "critical" -> Severity.CRITICAL;
            case "high" -> Severity.HIGH;
            case "medium" -> Severity.MEDIUM;
            case "low", "negligible" -> Severity.LOW;
            default -> Severity.UNKNOWN;
        };
    }

    private static String clip(String s, int max) {
        return s.length() > max ? s.substring(0, max) : s;
    }

    private static String json(List<String> list) {
        try {
            return Json.MAPPER.writeValueAsString(list);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("a list of strings always serialises", e);
        }
    }

    // ---- reading ----

    /** Every adapter's report of image manifest {@code manifestId}, by adapter name, each worst first. */
    public static List<AdapterReport> reports(Handle h, long manifestId) {
        Map<Long, ScanAdapterDao.AdapterRow> adapters = new LinkedHashMap<>();
        ScanAdapterDao.all(h).forEach(a -> adapters.put(a.id(), a));
        List<AdapterReport> reports = new ArrayList<>();
        for (ScanAdapterDao.ResultRow r : ScanAdapterDao.results(h, manifestId)) {
            ScanAdapterDao.AdapterRow a = adapters.get(r.adapterId());
            if (a == null) {
                continue;
            }
            List<AdapterReport.Vulnerability> vulns = new ArrayList<>();
            for (ScanAdapterDao.FindingRow f : ScanAdapterDao.findings(h, r.adapterId(), manifestId)) {
                vulns.add(new AdapterReport.Vulnerability(f.vulnId(), f.pkg(), f.version(), f.fixedVersion(),
                        Severity.valueOf(f.severity()), f.cvssScore(), f.cvssVector(), f.description(),
                        strings(f.links())));
            }
            vulns.sort(Comparator.comparing(AdapterReport.Vulnerability::severity).reversed()
                    .thenComparing(AdapterReport.Vulnerability::id));
            reports.add(new AdapterReport(a.name(), a.scannerName(), a.scannerVendor(), a.scannerVersion(), r.state(),
                    r.reason(), Instant.ofEpochMilli(r.queuedAt()),
                    r.finishedAt() == null ? null : Instant.ofEpochMilli(r.finishedAt()), vulns));
        }
        return reports;
    }

    private static List<String> strings(String json) {
        try {
            List<String> list = Json.MAPPER.readValue(json, STRINGS);
            return list == null ? List.of() : list;
        } catch (IOException e) {
            return List.of();
        }
    }
}
