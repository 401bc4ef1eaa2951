package dev.bollard.http.ui;

import dev.bollard.auth.Permission;
import dev.bollard.error.BollardException;
import dev.bollard.error.ErrorCode;
import dev.bollard.oci.Descriptor;
import dev.bollard.oci.Digest;
import dev.bollard.oci.InvalidDigestException;
import dev.bollard.oci.RepositoryName;
import dev.bollard.registry.RepositoryBrowser;
import dev.bollard.scan.InstalledPackage;
import dev.bollard.scan.policy.PolicyScope;
import dev.bollard.scan.policy.PullPolicies;
import dev.bollard.scan.policy.PullPolicy;
import dev.bollard.scan.results.ScanReport;
import dev.bollard.scan.results.ScanResults;
import dev.bollard.scan.vuln.Severity;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * Vulnerability scanning in the UI (docs/scanning.md): the scan state and severity summary of each tag's image, an
 * image's vulnerabilities page (findings, packages, SBOMs, a scan on request), and the pull policy forms of an
 * organization's and a repository's settings. Everything goes through {@link ScanResults} and {@link PullPolicies},
 * the services of the {@code /api/v1} scan and scan-policy routes, with the permissions those routes require.
 */
final class ScanPages {
    /** Packages listed on a vulnerabilities page; the SBOMs hold them all. */
    static final int PACKAGE_ROWS = 1000;
    private static final String SEVERITY = "severity";
    private static final String FIXABLE = "fixable";

    private final Ui ui;
    private final ScanResults scans;

    ScanPages(Ui ui, ScanResults scans) {
        this.ui = ui;
        this.scans = scans;
    }

    // ---- the tags tab ----

    /** The scans of the images {@code tags} point at, by digest (each image once, however many tags it has). */
    Map<String, Pages.TagScan> ofTags(RepositoryName repository, List<RepositoryBrowser.TagSummary> tags) {
        Map<String, Pages.TagScan> found = new LinkedHashMap<>();
        for (RepositoryBrowser.TagSummary t : tags) {
            if (!found.containsKey(t.digest())) {
                found.put(t.digest(), tagScan(repository, Digest.parse(t.digest())));
            }
        }
        return found;
    }

    private Pages.TagScan tagScan(RepositoryName repository, Digest digest) {
        // Counted in the database, not read: a repository's tags tab lists many images, each with many findings.
        List<Pages.ScanSummary> images = scans.summaries(repository, digest)
                .map(list -> list.stream().map(ScanPages::summary).toList())
                .orElse(List.of(Pages.ScanSummary.notScanned(null, digest.toString())));
        String refusal;
        try {
            refusal = scans.policyVerdict(repository, digest).refusal();
        } catch (BollardException e) {
            refusal = null; // deleted since the tags were read
        }
        return new Pages.TagScan(images, refusal != null, refusal);
    }

    /** An image's report as one summary; an index's as one per platform image scanned. */
    private static List<Pages.ScanSummary> images(ScanReport r) {
        if (r.queuedAt() == null) { // an index
            return r.manifests().stream().map(ScanPages::summary).toList();
        }
        return List.of(summary(r));
    }

    private static Pages.ScanSummary summary(ScanResults.Summary s) {
        return new Pages.ScanSummary(s.platform(), s.digest().toString(), s.state(), s.reason(),
                s.state().equals("done") ? s.matchedAt() : null, s.counts().getOrDefault(Severity.CRITICAL, 0),
                s.counts().getOrDefault(Severity.HIGH, 0), s.counts().getOrDefault(Severity.MEDIUM, 0),
                s.counts().getOrDefault(Severity.LOW, 0), s.counts().getOrDefault(Severity.UNKNOWN, 0), s.fixable(),
                s.grade(), s.noData());
    }

    private static Pages.ScanSummary summary(ScanReport r) {
        Map<Severity, Integer> counts = new EnumMap<>(Severity.class);
        int fixable = 0;
        for (ScanReport.Reported f : r.findings()) {
            counts.merge(f.finding().severity(), 1, Integer::sum);
            fixable += f.finding().fixable() ? 1 : 0;
        }
        return new Pages.ScanSummary(r.platform(), r.digest().toString(), r.state(), r.reason(),
                r.state().equals("done") ? r.matchedAt() : null, counts.getOrDefault(Severity.CRITICAL, 0),
                counts.getOrDefault(Severity.HIGH, 0), counts.getOrDefault(Severity.MEDIUM, 0),
                counts.getOrDefault(Severity.LOW, 0), counts.getOrDefault(Severity.UNKNOWN, 0), fixable, r.grade(),
                r.notes().contains(ScanResults.NO_VULNERABILITY_DATA));
    }

    // ---- an image's vulnerabilities ----

    /**
     * {@code /repo/NAME/-/vulnerabilities/DIGEST[?severity=high&fixable=1]}: for readers of the repository (the scan
     * report's permission); its Rescan form for those who may push (the permission of a scan requested through the
     * API). {@code ?tag=} only names the tag the page was reached from.
     */
    void vulnerabilities(Call call, RepositoryName repository, String digestText) {
        Digest digest;
        try {
            digest = Digest.parse(digestText);
        } catch (InvalidDigestException e) {
            ui.problem(call, 404, "'" + digestText + "' is not a digest.");
            return;
        }
        String name = repository.value();
        boolean mayRescan = ui.permits(call, Permission.REPO_WRITE, name);
        Frame frame = call.frame().titled("Vulnerabilities of " + name + "@" + Format.shortDigest(digest.toString()),
                "repositories");
        int status = 200;
        if (call.isPost()) {
            if (!mayRescan) {
                ui.problem(call, 403, "Only those who may push to " + name + " may have its images scanned again.");
                return;
            }
            try {
                if (!call.field("action").equals("rescan")) {
                    throw BollardException.invalid("unknown action '" + call.field("action") + "'");
                }
                List<Digest> queued = scans.request(repository, digest, call.actor());
                frame = frame.withNotice(queued.isEmpty() ? "A scan of this image is queued or running already."
                        : queued.size() == 1 ? "The image is queued for a scan; reload the page to see its result."
                        : queued.size() + " images are queued for a scan; reload the page to see their results.");
            } catch (BollardException e) {
                if (e.code() == ErrorCode.MANIFEST_UNKNOWN) {
                    ui.problem(call, 404, "There is no manifest " + digest + " in " + name + ".");
                    return;
                }
                frame = Ui.refused(frame, e, call.form());
                status = 400;
            }
        }
        ScanReport report;
        try {
            report = scans.report(repository, digest);
        } catch (BollardException e) {
            if (e.code() == ErrorCode.MANIFEST_UNKNOWN) {
                ui.problem(call, 404, "There is no manifest " + digest + " in " + name + ".");
                return;
            }
            report = null; // stored, never queued for a scan
        }
        String severityText = Optional.ofNullable(call.ex().query(SEVERITY)).orElse("").trim().toLowerCase(Locale.ROOT);
        Severity least = Pages.ScanPolicy.SEVERITIES.contains(severityText) ? PullPolicy.threshold(severityText) : null;
        boolean fixableOnly = "1".equals(call.ex().query(FIXABLE));
        Pages.TagScan policy = tagScan(repository, digest);
        boolean image = report == null || report.queuedAt() != null;
        Pages.ScanSummary summary = report == null ? Pages.ScanSummary.notScanned(null, digest.toString())
                : image ? summary(report) : new Pages.ScanSummary(null, digest.toString(), report.state(),
                report.reason(), null, 0, 0, 0, 0, 0, 0, null, false);
        List<ScanReport.Reported> findings = report == null || !image ? List.of() : report.findings().stream()
                .filter(f -> least == null || f.finding().severity().compareTo(least) >= 0)
                .filter(f -> !fixableOnly || f.finding().fixable()).toList();
        List<InstalledPackage> packages = image && report != null ? scans.packages(repository, digest) : List.of();
        String os = report == null || report.os() == null ? null : Optional.ofNullable(report.os().prettyName())
                .orElse(report.os().id() + " " + Optional.ofNullable(report.os().versionId()).orElse(""));
        ui.render(call, status, "vulnerabilities.jte", frame, new Pages.Vulnerabilities(name, digest.toString(),
                tagParameter(call), summary, image || report == null ? List.of() : images(report), os,
                report == null ? 0 : report.packages(), findings, report == null ? 0 : report.findings().size(),
                least == null ? "" : severityText, fixableOnly,
                packages.subList(0, Math.min(packages.size(), PACKAGE_ROWS)), packages.size() > PACKAGE_ROWS,
                report == null ? List.of() : report.notes(), referrer(repository, digest, "application/vnd.cyclonedx+json"),
                referrer(repository, digest, "application/spdx+json"), policy, mayRescan,
                report == null || !image ? List.of() : report.scanners().stream().map(a -> new Pages.ScannerFindings(a,
                        a.vulnerabilities().stream().filter(v -> least == null || v.severity().compareTo(least) >= 0)
                                .filter(v -> !fixableOnly || v.fixedVersion() != null).toList())).toList()));
    }

    private static @Nullable String tagParameter(Call call) {
        String tag = call.ex().query("tag");
        return tag == null || !dev.bollard.oci.Tag.isValid(tag) ? null : tag;
    }

    /** The newest referrer of {@code digest} with {@code artifactType} (an SBOM the scan stored), or null. */
    private @Nullable String referrer(RepositoryName repository, Digest digest, String artifactType) {
        List<Descriptor> found = ui.registry.manifests().referrers(repository, digest, artifactType);
        return found.isEmpty() ? null : found.getLast().digest().toString();
    }

    // ---- pull policy settings ----

    /** The pull policy settings of {@code scope}, for its settings tab; null for a namespace that is no organization. */
    Pages.@Nullable ScanPolicy policy(PolicyScope scope) {
        try {
            return new Pages.ScanPolicy(scans.policies().settings(scope));
        } catch (BollardException e) {
            return null;
        }
    }

    /** Whether {@code action} is one of the pull policy forms' (the page then hands it to {@link #change}). */
    static boolean isPolicyAction(String action) {
        return action.startsWith("scan-policy-");
    }

    /**
     * Applies a pull policy form to {@code scope}, as the signed-in user, and says what it did. The caller checked the
     * permission the API's change of the same policy requires (administering the organization or the repository).
     */
    String change(Call call, PolicyScope scope) {
        PullPolicies policies = scans.policies();
        return switch (call.field("action")) {
            case "scan-policy-set" -> {
                PullPolicy p = policies.set(call.actor(), scope, PullPolicy.threshold(call.field(SEVERITY)),
                        call.field("block_unscanned").equals("1")).policy();
                yield "Pulls from " + scope + " now refuse images with " + (p == null ? "" : p.describe()) + ".";
            }
            case "scan-policy-remove" -> {
                policies.delete(call.actor(), scope);
                yield scope + " has no vulnerability pull policy of its own any more.";
            }
            case "scan-policy-allow" -> {
                String reason = call.field("reason");
                policies.allow(call.actor(), scope, call.field("vulnerability"), call.field("expires"),
                        reason.isEmpty() ? null : reason);
                yield call.field("vulnerability") + " no longer blocks pulls from " + scope + " until "
                        + call.field("expires") + ".";
            }
            case "scan-policy-disallow" -> {
                policies.disallow(call.actor(), scope, call.field("vulnerability"));
                yield call.field("vulnerability") + " was removed from the allow-list of " + scope + ".";
            }
            case "scan-policy-bypass" -> {
                policies.grantBypass(call.actor(), scope, call.field("principal"));
                yield call.field("principal") + " now pulls from " + scope + " whatever the policy says.";
            }
            case "scan-policy-revoke" -> {
                policies.revokeBypass(call.actor(), scope, call.field("principal"));
                yield call.field("principal") + " no longer bypasses the policy of " + scope + ".";
            }
            default -> throw BollardException.invalid("unknown action '" + call.field("action") + "'");
        };
    }
}
