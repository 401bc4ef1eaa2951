package dev.bollard.scan.version;

/**
 * RPM's version order: {@code [epoch:]version[-release]}, epoch first (0 when absent), then version and release by
 * {@code rpmvercmp} (rpm 4.15 and later): the strings split into runs of digits and runs of letters, everything else
 * separating them; digit runs compare numerically and beat letter runs; letter runs compare as text; {@code ~} sorts
 * before everything, even the end ({@code 1.0~rc1 < 1.0}); {@code ^} sorts after the end but before anything else
 * ({@code 1.0 < 1.0^git1 < 1.0.1}); otherwise the longer string wins when all runs were equal. A version without a
 * release is older than the same version with one.
 */
final class RpmVersions implements VersionScheme {

    static final RpmVersions INSTANCE = new RpmVersions();

    private RpmVersions() {
    }

    @Override
    public String name() {
        return "rpm";
    }

    @Override
    public int compare(String a, String b) {
        String x = a.strip();
        String y = b.strip();
        int c = compareEpoch(x, y);
        if (c != 0) {
            return c;
        }
        String xs = x.substring(x.indexOf(':') + 1);
        String ys = y.substring(y.indexOf(':') + 1);
        int xd = xs.lastIndexOf('-');
        int yd = ys.lastIndexOf('-');
        c = rpmvercmp(xd < 0 ? xs : xs.substring(0, xd), yd < 0 ? ys : ys.substring(0, yd));
        if (c != 0) {
            return c;
        }
        return rpmvercmp(xd < 0 ? "" : xs.substring(xd + 1), yd < 0 ? "" : ys.substring(yd + 1));
    }

    private static int compareEpoch(String x, String y) {
        return rpmvercmp(epochOf(x), epochOf(y));
    }

    private static String epochOf(String v) {
        int colon = v.indexOf(':');
        return colon <= 0 ? "0" : v.substring(0, colon);
    }

    static int rpmvercmp(String a, String b) {
        if (a.equals(b)) {
            return 0;
        }
        int one = 0;
        int two = 0;
        while (one < a.length() || two < b.length()) {
            while (one < a.length() && !isSegmentStart(a.charAt(one))) {
                one++;
            }
            while (two < b.length() && !isSegmentStart(b.charAt(two))) {
                two++;
            }
            int ca = DpkgVersions.at(a, one);
            int cb = DpkgVersions.at(b, two);
            if (ca == '~' || cb == '~') {
                if (ca != '~') {
                    return 1;
                }
                if (cb != '~') {
                    return -1;
                }
                one++;
                two++;
                continue;
            }
            if (ca == '^' || cb == '^') {
                if (ca == 0) {
                    return -1;
                }
                if (cb == 0) {
                    return 1;
                }
                if (ca != '^') {
                    return 1;
                }
                if (cb != '^') {
                    return -1;
                }
                one++;
                two++;
                continue;
            }
            if (ca == 0 || cb == 0) {
                break;
            }
            boolean numeric = DpkgVersions.isDigit(ca);
            int endA = run(a, one, numeric);
            int endB = run(b, two, numeric);
            if (endB == two) {
                return numeric ? 1 : -1; // a digit run beats a letter run
            }
            String segA = a.substring(one, endA);
            String segB = b.substring(two, endB);
            if (numeric) {
                segA = segA.replaceFirst("^0+", "");
                segB = segB.replaceFirst("^0+", "");
                if (segA.length() != segB.length()) {
                    return segA.length() > segB.length() ? 1 : -1;
                }
            }
            int c = segA.compareTo(segB);
            if (c != 0) {
                return c < 0 ? -1 : 1;
            }
            one = endA;
            two = endB;
        }
        if (one >= a.length() && two >= b.length()) {
            return 0;
        }
        return one >= a.length() ? -1 : 1;
    }

    private static boolean isSegmentStart(char c) {
        return DpkgVersions.isDigit(c) || DpkgVersions.isLetter(c) || c == '~' || c == '^';
    }

    private static int run(String s, int from, boolean digits) {
        int i = from;
        while (i < s.length() && (digits ? DpkgVersions.isDigit(s.charAt(i)) : DpkgVersions.isLetter(s.charAt(i)))) {
            i++;
        }
        return i;
    }
}
