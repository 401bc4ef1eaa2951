package dev.bollard.scan.version;

/**
 * Debian's version order (deb-version(7), Debian Policy 5.6.12): {@code [epoch:]upstream[-revision]}, compared epoch
 * first (a number, 0 when absent), then the upstream version, then the revision (the text after the last hyphen;
 * absent compares as {@code 0}). Upstream and revision compare by dpkg's {@code verrevcmp}: alternately a run of
 * non-digits, character by character, where letters sort before other characters and {@code ~} before everything,
 * even the end of the string ({@code 1.0~rc1 < 1.0}), and a run of digits, by numeric value.
 */
final class DpkgVersions implements VersionScheme {

    static final DpkgVersions INSTANCE = new DpkgVersions();

    private DpkgVersions() {
    }

    @Override
    public String name() {
        return "dpkg";
    }

    @Override
    public int compare(String a, String b) {
        String x = a.strip();
        String y = b.strip();
        int c = compareEpochs(epoch(x), epoch(y));
        if (c != 0) {
            return c;
        }
        String xs = withoutEpoch(x);
        String ys = withoutEpoch(y);
        c = verrevcmp(upstream(xs), upstream(ys));
        return c != 0 ? c : verrevcmp(revision(xs), revision(ys));
    }

    private static String epoch(String v) {
        int colon = v.indexOf(':');
        return colon < 0 ? "0" : v.substring(0, colon);
    }

    /** Epochs are numbers; compared as digit strings so that no size overflows. */
    private static int compareEpochs(String x, String y) {
        String a = x.replaceFirst("^0+(?=.)", "");
        String b = y.replaceFirst("^0+(?=.)", "");
        return a.length() != b.length() ? Integer.compare(a.length(), b.length()) : Integer.signum(a.compareTo(b));
    }

    private static String withoutEpoch(String v) {
        return v.substring(v.indexOf(':') + 1);
    }

    private static String upstream(String v) {
        int dash = v.lastIndexOf('-');
        return dash < 0 ? v : v.substring(0, dash);
    }

    private static String revision(String v) {
        int dash = v.lastIndexOf('-');
        return dash < 0 ? "" : v.substring(dash + 1);
    }

    /** The weight of a non-digit character: {@code ~} lowest, the end of the string next, letters, then the rest. */
    private static int order(int c) {
        if (isDigit(c)) {
            return 0;
        } else if (isLetter(c)) {
            return c;
        } else if (c == '~') {
            return -1;
        } else if (c != 0) {
            return c + 256;
        }
        return 0;
    }

    static int verrevcmp(String a, String b) {
        int i = 0;
        int j = 0;
        while (i < a.length() || j < b.length()) {
            int firstDiff = 0;
            while ((i < a.length() && !isDigit(a.charAt(i))) || (j < b.length() && !isDigit(b.charAt(j)))) {
                int ac = order(at(a, i));
                int bc = order(at(b, j));
                if (ac != bc) {
                    return Integer.signum(ac - bc);
                }
                i++;
                j++;
            }
            while (at(a, i) == '0') {
                i++;
            }
            while (at(b, j) == '0') {
                j++;
            }
            while (isDigit(at(a, i)) && isDigit(at(b, j))) {
                if (firstDiff == 0) {
                    firstDiff = at(a, i) - at(b, j);
                }
                i++;
                j++;
            }
            if (isDigit(at(a, i))) {
                return 1;
            }
            if (isDigit(at(b, j))) {
                return -1;
            }
            if (firstDiff != 0) {
                return Integer.signum(firstDiff);
            }
        }
        return 0;
    }

    /** The character at {@code i}, or 0 past the end (as C's terminating NUL). */
    static int at(String s, int i) {
        return i < s.length() ? s.charAt(i) : 0;
    }

    static boolean isDigit(int c) {
        return c >= '0' && c <= '9';
    }

    static boolean isLetter(int c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    }
}
