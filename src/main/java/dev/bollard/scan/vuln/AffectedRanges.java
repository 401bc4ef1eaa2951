package dev.bollard.scan.vuln;

import dev.bollard.scan.version.VersionScheme;
import dev.bollard.scan.version.VersionSchemes;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Whether a version falls in an OSV {@code affected[]} entry, by the schema's evaluation: listed in {@code versions},
 * or inside one of its {@code ECOSYSTEM} or {@code SEMVER} ranges — events sorted by version, the last event at or
 * below the version deciding ({@code introduced}: affected from there; {@code fixed}: not from there;
 * {@code last_affected}: not above it), and never at or above a {@code limit}. {@code GIT} ranges name commits, which
 * an installed package does not have: they are skipped.
 */
final class AffectedRanges {
    private AffectedRanges() {
    }

    /** The verdict on one version: affected or not, and the fix to take when there is one. */
    record Verdict(boolean affected, @Nullable String fixed) {
        static final Verdict NOT_AFFECTED = new Verdict(false, null);
    }

    /**
     * Evaluates {@code version} against {@code entry}, comparing with {@code scheme} (the ecosystem's) in
     * {@code ECOSYSTEM} ranges and with semver in {@code SEMVER} ones.
     *
     * @throws dev.bollard.scan.version.InvalidVersionException when a version cannot be ordered in its scheme
     */
    static Verdict evaluate(OsvRecord.Affected entry, String version, VersionScheme scheme) {
        boolean listed = entry.versions().contains(version);
        boolean inRange = false;
        String fixed = null;
        for (OsvRecord.Range range : entry.ranges()) {
            VersionScheme s = switch (range.type()) {
                case "ECOSYSTEM" -> scheme;
                case "SEMVER" -> VersionSchemes.semver();
                default -> null;
            };
            if (s == null) {
                continue;
            }
            boolean hit = inRange(range, version, s);
            inRange |= hit;
            if (hit || listed) { // the fix to take: the lowest fixed event above the version
                String fix = nextFix(range, version, s);
                if (fix != null && (fixed == null || s.compare(fix, fixed) < 0)) {
                    fixed = fix;
                }
            }
        }
        if (!listed && !inRange) {
            return Verdict.NOT_AFFECTED;
        }
        return new Verdict(true, fixed);
    }

    private static boolean inRange(OsvRecord.Range range, String version, VersionScheme s) {
        List<OsvRecord.Event> events = new ArrayList<>(range.events());
        events.sort(order(s));
        boolean affected = false;
        for (OsvRecord.Event e : events) {
            switch (e.kind()) {
                case INTRODUCED -> {
                    if (e.version().equals("0") || s.compare(version, e.version()) >= 0) {
                        affected = true;
                    }
                }
                case FIXED -> {
                    if (s.compare(version, e.version()) >= 0) {
                        affected = false;
                    }
                }
                case LAST_AFFECTED -> {
                    if (s.compare(version, e.version()) > 0) {
                        affected = false;
                    }
                }
                case LIMIT -> {
                    if (!e.version().equals("*") && s.compare(version, e.version()) >= 0) {
                        return false;
                    }
                }
            }
        }
        return affected;
    }

    /** Events by version, {@code introduced: "0"} first; at one version, introduced before the others. */
    private static Comparator<OsvRecord.Event> order(VersionScheme s) {
        return (a, b) -> {
            boolean az = a.kind() == OsvRecord.EventKind.INTRODUCED && a.version().equals("0");
            boolean bz = b.kind() == OsvRecord.EventKind.INTRODUCED && b.version().equals("0");
            if (az || bz) {
                return Boolean.compare(bz, az);
            }
            if (a.kind() == OsvRecord.EventKind.LIMIT && a.version().equals("*")) {
                return 1;
            }
            if (b.kind() == OsvRecord.EventKind.LIMIT && b.version().equals("*")) {
                return -1;
            }
            int c = s.compare(a.version(), b.version());
            return c != 0 ? c : a.kind().compareTo(b.kind());
        };
    }

    /** The lowest {@code fixed} event above {@code version} in {@code range}; null when none. */
    private static @Nullable String nextFix(OsvRecord.Range range, String version, VersionScheme s) {
        String best = null;
        for (OsvRecord.Event e : range.events()) {
            if (e.kind() == OsvRecord.EventKind.FIXED && s.compare(e.version(), version) > 0
                    && (best == null || s.compare(e.version(), best) < 0)) {
                best = e.version();
            }
        }
        return best;
    }
}
