package dev.bollard.scan.version;

import java.math.BigInteger;

/**
 * Semantic Versioning 2.0.0 precedence (semver.org §11), as npm, crates.io and Go order versions: major, minor and
 * patch numerically; a pre-release ({@code -alpha.1}) is older than its release, and compares identifier by
 * identifier (numbers numerically and before text, text in ASCII order, fewer identifiers older when the rest is
 * equal); build metadata ({@code +build}, Go's {@code +incompatible}) is ignored. A leading {@code v} (Go, tags) is
 * allowed, and so Go's pseudo-versions ({@code v0.0.0-20191109021931-daa7c04131f5},
 * {@code v1.2.4-0.20191109021931-daa7c04131f5}) order by their time stamp, before the release they precede. Missing
 * minor or patch numbers count as 0 ({@code 1.2} is {@code 1.2.0}), as OSV data sometimes writes them.
 */
final class SemverVersions implements VersionScheme {

    static final SemverVersions INSTANCE = new SemverVersions();

    private SemverVersions() {
    }

    @Override
    public String name() {
        return "semver";
    }

    private record Parsed(BigInteger[] core, String[] pre) {
    }

    private Parsed parse(String version) {
        String v = version.strip();
        if (v.startsWith("v") || v.startsWith("V")) {
            v = v.substring(1);
        }
        int plus = v.indexOf('+');
        if (plus >= 0) {
            v = v.substring(0, plus);
        }
        int dash = v.indexOf('-');
        String core = dash < 0 ? v : v.substring(0, dash);
        String[] pre = dash < 0 ? new String[0] : v.substring(dash + 1).split("\\.", -1);
        String[] parts = core.split("\\.", -1);
        if (parts.length > 3 || core.isEmpty()) {
            throw new InvalidVersionException(name(), version, "expected MAJOR.MINOR.PATCH");
        }
        BigInteger[] numbers = {BigInteger.ZERO, BigInteger.ZERO, BigInteger.ZERO};
        for (int i = 0; i < parts.length; i++) {
            if (parts[i].isEmpty() || !parts[i].chars().allMatch(DpkgVersions::isDigit)) {
                throw new InvalidVersionException(name(), version, "'" + parts[i] + "' is not a number");
            }
            numbers[i] = new BigInteger(parts[i]);
        }
        for (String id : pre) {
            if (id.isEmpty()) {
                throw new InvalidVersionException(name(), version, "an empty pre-release identifier");
            }
        }
        return new Parsed(numbers, pre);
    }

    @Override
    public int compare(String a, String b) {
        Parsed x = parse(a);
        Parsed y = parse(b);
        for (int i = 0; i < 3; i++) {
            int c = x.core[i].compareTo(y.core[i]);
            if (c != 0) {
                return c;
            }
        }
        if (x.pre.length == 0 || y.pre.length == 0) {
            return Boolean.compare(x.pre.length == 0, y.pre.length == 0); // the release is newer
        }
        for (int i = 0; i < Math.min(x.pre.length, y.pre.length); i++) {
            int c = compareIdentifiers(x.pre[i], y.pre[i]);
            if (c != 0) {
                return c;
            }
        }
        return Integer.compare(x.pre.length, y.pre.length);
    }

    private static int compareIdentifiers(String a, String b) {
        boolean an = a.chars().allMatch(DpkgVersions::isDigit);
        boolean bn = b.chars().allMatch(DpkgVersions::isDigit);
        if (an && bn) {
            return new BigInteger(a).compareTo(new BigInteger(b));
        }
        if (an != bn) {
            return an ? -1 : 1;
        }
        return Integer.signum(a.compareTo(b));
    }
}
