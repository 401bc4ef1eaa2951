package dev.bollard.http.api;

import static dev.bollard.auth.Permission.AUTHENTICATED;
import static dev.bollard.auth.Permission.REPO_READ;
import static dev.bollard.auth.Permission.REPO_WRITE;
import static dev.bollard.auth.Permission.SUPERUSER;
import static dev.bollard.http.api.ManagementApi.PREFIX;

import dev.bollard.error.BollardException;
import dev.bollard.metadata.VulnerabilityDao;
import dev.bollard.oci.Digest;
import dev.bollard.oci.RepositoryName;
import dev.bollard.scan.adapter.AdapterReport;
import dev.bollard.scan.adapter.ScannerAdapters;
import dev.bollard.scan.policy.PullPolicies;
import dev.bollard.scan.results.ScanReport;
import dev.bollard.scan.results.ScanResults;
import dev.bollard.scan.vuln.Finding;
import dev.bollard.scan.vuln.Severity;
import dev.bollard.scan.vuln.VulnerabilityStore;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/** Vulnerability scanning (docs/scanning.md): scan reports and SBOMs per manifest, scans on request, the data's status. */
final class ScanEndpoints implements ApiEndpoints {
    private final ApiServices services;

    ScanEndpoints(ApiServices services) {
        this.services = services;
    }

    @Override
    public List<ApiRoute> routes() {
        String manifest = PREFIX + "/repositories/{repository*}/-/manifests/{digest}";
        return List.of(
                ApiRoute.get(manifest + "/scan", REPO_READ, "The scan report of a manifest: state (queued, indexing, "
                        + "done, failed, unsupported) with the reason, OS, findings worst first, health grade; an index: "
                        + "one per platform", this::report),
                ApiRoute.post(manifest + "/scan", REPO_WRITE, "Queue a manifest (each platform of an index) for a scan, "
                        + "again if it was scanned; 202 with the manifests queued", this::request),
                ApiRoute.get(manifest + "/sbom", REPO_READ, "The SBOM of a scanned image: ?format=cyclonedx (CycloneDX "
                        + "1.6 JSON, the default) or spdx (SPDX 2.3 JSON)", this::sbom),
                ApiRoute.get(PREFIX + "/vulndb", AUTHENTICATED, "The vulnerability data's state: records per "
                        + "ecosystem, newest record, age, last import; scans per state", this::vulndb),
                ApiRoute.get(PREFIX + "/scan-adapters", SUPERUSER, "The external scanners (Harbor scanner adapter API "
                        + "v1.1): name, URL, organization (null: every image), the scanner its metadata names",
                        this::adapters),
                ApiRoute.put(PREFIX + "/scan-adapters/{name}", SUPERUSER, "Register or replace an external scanner: "
                        + "{url, authorization? (the Authorization header sent to it), organization? (only its images; "
                        + "none: every image)}; its GET /api/v1/metadata is fetched first", this::setAdapter),
                ApiRoute.delete(PREFIX + "/scan-adapters/{name}", SUPERUSER, "Remove an external scanner and its "
                        + "results", this::deleteAdapter));
    }

    private ScanResults scans() {
        return services.scans();
    }

    private static RepositoryName repository(ApiCall call) {
        return BollardException.parsed(() -> new RepositoryName(call.param("repository")));
    }

    private static Digest digest(ApiCall call) {
        return BollardException.parsed(() -> Digest.parse(call.param("digest")));
    }

    private void report(ApiCall call) throws IOException {
        RepositoryName repository = repository(call);
        Digest digest = digest(call);
        Map<String, Object> m = report(scans().report(repository, digest));
        // Whether the vulnerability pull policy refuses pulls of this manifest (docs/scanning.md, "Pull policy").
        PullPolicies.Verdict verdict = scans().policyVerdict(repository, digest);
        Map<String, Object> policy = new LinkedHashMap<>();
        policy.put("applies", ScanPolicyEndpoints.policy(verdict.policy()));
        policy.put("blocked", verdict.refusal() != null);
        policy.put("reason", verdict.refusal());
        m.put("policy", policy);
        call.send(200, m);
    }

    private void request(ApiCall call) throws IOException {
        List<Digest> queued = scans().request(repository(call), digest(call), call.actor());
        call.send(202, Map.of("queued", queued.stream().map(Digest::toString).toList()));
    }

    private void sbom(ApiCall call) {
        String format = call.query("format");
        ScanResults.Sbom sbom = scans().sbom(repository(call), digest(call), format == null ? "cyclonedx" : format);
        call.exchange().setHeader("Cache-Control", "no-store");
        call.exchange().sendBytes(200, sbom.mediaType(), sbom.content());
    }

    private void vulndb(ApiCall call) throws IOException {
        VulnerabilityStore.Status status = scans().vulndb();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("records", status.records());
        m.put("records_by_ecosystem", status.recordsByEcosystem());
        m.put("newest_modified", text(status.newestModified()));
        Duration age = status.age(Instant.now());
        m.put("age_seconds", age == null ? null : age.toSeconds());
        VulnerabilityDao.ImportRow last = status.lastImport();
        if (last == null) {
            m.put("last_import", null);
        } else {
            Map<String, Object> i = new LinkedHashMap<>();
            i.put("id", last.id());
            i.put("source", last.source());
            i.put("finished_at", Instant.ofEpochMilli(last.finishedAt()).toString());
            i.put("added", last.added());
            i.put("updated", last.updated());
            i.put("unchanged", last.unchanged());
            i.put("withdrawn", last.withdrawn());
            m.put("last_import", i);
        }
        m.put("scans", scans().counts());
        call.send(200, m);
    }

    static Map<String, Object> report(ScanReport r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("repository", r.repository());
        m.put("digest", r.digest().toString());
        if (r.platform() != null) {
            m.put("platform", r.platform());
        }
        m.put("state", r.state());
        m.put("reason", r.reason());
        if (!r.manifests().isEmpty() || r.queuedAt() == null) { // an index
            m.put("manifests", r.manifests().stream().map(ScanEndpoints::report).toList());
            return m;
        }
        m.put("attempts", r.attempts());
        m.put("queued_at", text(r.queuedAt()));
        m.put("started_at", text(r.startedAt()));
        m.put("indexed_at", text(r.indexedAt()));
        m.put("matched_at", text(r.matchedAt()));
        m.put("vulndb_import", r.vulndbImport());
        if (r.os() == null) {
            m.put("os", null);
        } else {
            Map<String, Object> os = new LinkedHashMap<>();
            os.put("id", r.os().id());
            os.put("version_id", r.os().versionId());
            os.put("pretty_name", r.os().prettyName());
            m.put("os", os);
        }
        m.put("os_unsupported", r.osUnsupported());
        m.put("packages", r.packages());
        m.put("grade", r.grade());
        Map<String, Object> summary = new LinkedHashMap<>();
        for (Severity s : List.of(Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.LOW, Severity.UNKNOWN)) {
            summary.put(s.name().toLowerCase(Locale.ROOT), r.findings().stream()
                    .filter(f -> f.finding().severity() == s).count());
        }
        summary.put("fixable", r.findings().stream().filter(f -> f.finding().fixable()).count());
        m.put("summary", summary);
        m.put("findings", r.findings().stream().map(ScanEndpoints::finding).toList());
        m.put("notes", r.notes());
        m.put("scanners", r.scanners().stream().map(ScanEndpoints::external).toList());
        return m;
    }

    /** What an external scanner found, under its name (docs/scanning.md, "External scanners"). */
    private static Map<String, Object> external(AdapterReport a) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("adapter", a.adapter());
        m.put("scanner", Map.of("name", a.scanner(), "vendor", a.vendor(), "version", a.version()));
        m.put("state", a.state());
        m.put("reason", a.reason());
        m.put("queued_at", a.queuedAt().toString());
        m.put("finished_at", text(a.finishedAt()));
        m.put("vulnerabilities", a.vulnerabilities().stream().map(v -> {
            Map<String, Object> f = new LinkedHashMap<>();
            f.put("id", v.id());
            f.put("severity", v.severity().name());
            f.put("package", v.pkg());
            f.put("version", v.version());
            f.put("fixed_version", v.fixedVersion());
            f.put("cvss_score", v.cvssScore());
            f.put("cvss_vector", v.cvssVector());
            f.put("description", v.description());
            f.put("links", v.links());
            return f;
        }).toList());
        return m;
    }

    private void adapters(ApiCall call) throws IOException {
        call.send(200, Map.of("adapters", scans().adapters().list().stream().map(ScanEndpoints::adapter).toList()));
    }

    private void setAdapter(ApiCall call) throws IOException {
        ScannerAdapters.Adapter a = scans().adapters().set(call.actor(), call.param("name"), call.text("url"),
                call.optionalText("authorization"), call.optionalText("organization"));
        call.send(200, adapter(a));
    }

    private void deleteAdapter(ApiCall call) {
        scans().adapters().delete(call.actor(), call.param("name"));
        call.noContent();
    }

    private static Map<String, Object> adapter(ScannerAdapters.Adapter a) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", a.name());
        m.put("url", a.url().toString());
        m.put("authorization", a.authorization()); // whether one is sent, never the header
        m.put("organization", a.organization());
        m.put("scanner", Map.of("name", a.scanner(), "vendor", a.vendor(), "version", a.version()));
        m.put("updated_by", a.updatedBy());
        m.put("updated_at", a.updatedAt().toString());
        return m;
    }

    private static Map<String, Object> finding(ScanReport.Reported reported) {
        Finding f = reported.finding();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", f.id());
        m.put("aliases", f.aliases());
        m.put("severity", f.severity().name());
        m.put("cvss_score", f.cvssScore());
        m.put("cvss_vector", f.cvssVector());
        m.put("package", f.pkg().name());
        m.put("version", f.pkg().version());
        m.put("type", f.pkg().type().name().toLowerCase(Locale.ROOT));
        m.put("purl", f.pkg().purl());
        m.put("path", f.pkg().path());
        m.put("ecosystem", f.ecosystem());
        m.put("matched_package", f.matchedName());
        m.put("matched_version", f.matchedVersion());
        m.put("fixed_version", f.fixedVersion());
        m.put("summary", f.summary());
        m.put("links", f.links());
        m.put("published", f.published().toString());
        m.put("found_at", reported.foundAt().toString());
        return m;
    }

    private static @Nullable String text(@Nullable Instant instant) {
        return instant == null ? null : instant.toString();
    }
}
