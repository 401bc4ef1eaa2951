package dev.bollard.scan.vuln;

import java.time.Instant;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * One vulnerability record in the Open Source Vulnerability format (ossf.github.io/osv-schema), the parts Bollard
 * uses. {@link OsvParser} reads it from JSON.
 *
 * @param id        the record's id, e.g. {@code DSA-5417-1}, {@code GHSA-57j2-w4cx-62h2}, {@code CVE-2023-4911}
 * @param modified  when the record last changed: an import replaces a stored record only with a newer one
 * @param withdrawn when the record was withdrawn (an import deletes it); null while it stands
 * @param aliases   other ids of the same vulnerability (the CVE id), with Ubuntu's {@code upstream} ids folded in
 * @param severity  the {@code severity[]} entries: type ({@code CVSS_V3}, {@code CVSS_V4}, {@code Ubuntu}) and score
 * @param severityText a qualitative severity the record states outside {@code severity[]} ({@code
 *                  database_specific.severity}, as GitHub's advisories have it); null when none
 */
public record OsvRecord(String id, Instant modified, @Nullable Instant published, @Nullable Instant withdrawn,
                        List<String> aliases, @Nullable String summary, @Nullable String details,
                        List<SeverityScore> severity, @Nullable String severityText, List<Affected> affected,
                        List<Reference> references) {

    public OsvRecord {
        aliases = List.copyOf(aliases);
        severity = List.copyOf(severity);
        affected = List.copyOf(affected);
        references = List.copyOf(references);
    }

    /** One {@code severity[]} entry: {@code type} and {@code score} (a CVSS vector, or a word for {@code Ubuntu}). */
    public record SeverityScore(String type, String score) {
    }

    /** A link of {@code references[]}: {@code ADVISORY}, {@code FIX}, {@code WEB}, … and its URL. */
    public record Reference(String type, String url) {
    }

    /**
     * One package the record affects: its ecosystem as OSV spells it ({@code Debian:12}, {@code Maven}), its name,
     * the version ranges and explicitly listed versions, its own severity ({@code ecosystem_specific.severity} or the
     * entry's {@code severity[]}) when it has one.
     */
    public record Affected(String ecosystem, String name, @Nullable String purl, List<Range> ranges,
                           List<String> versions, List<SeverityScore> severity, @Nullable String severityText) {
        public Affected {
            ranges = List.copyOf(ranges);
            versions = List.copyOf(versions);
            severity = List.copyOf(severity);
        }
    }

    /** A range: {@code ECOSYSTEM}, {@code SEMVER} or {@code GIT} (ignored by the matcher), and its events. */
    public record Range(String type, List<Event> events) {
        public Range {
            events = List.copyOf(events);
        }
    }

    /** One event of a range. {@code introduced} {@code "0"} means every version from the first. */
    public record Event(EventKind kind, String version) {
    }

    public enum EventKind {
        INTRODUCED, FIXED, LAST_AFFECTED, LIMIT
    }
}
