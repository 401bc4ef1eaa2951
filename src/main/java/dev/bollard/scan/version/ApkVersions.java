package dev.bollard.scan.version;

/**
 * Alpine's version order (apk-tools' {@code apk_version_compare}): a version is a sequence of tokens — numbers
 * separated by dots, one optional letter, suffixes {@code _alpha}, {@code _beta}, {@code _pre}, {@code _rc} (before
 * the plain version, in that order) and {@code _cvs}, {@code _svn}, {@code _git}, {@code _hg}, {@code _p} (after
 * it), each with an optional number, and a package revision {@code -rN}. Tokens compare pairwise while their kinds
 * agree; where the kinds part, the version that ends or goes on with a kind that comes later in that list is older,
 * except that a pre-release suffix makes its side older. A number after a dot that begins with {@code 0} compares
 * as text-like (fewer leading zeros is newer: {@code 1.001 < 1.01 < 1.1}).
 */
final class ApkVersions implements VersionScheme {

    static final ApkVersions INSTANCE = new ApkVersions();

    private static final String[] PRE = {"alpha", "beta", "pre", "rc"};
    private static final String[] POST = {"cvs", "svn", "git", "hg", "p"};

    // Token kinds, in apk-tools' order: a later kind, met where the other version goes on, makes a version older.
    private static final int INVALID = -1;
    private static final int DIGIT_OR_ZERO = 0;
    private static final int DIGIT = 1;
    private static final int LETTER = 2;
    private static final int SUFFIX = 3;
    private static final int SUFFIX_NO = 4;
    private static final int REVISION_NO = 5;
    private static final int END = 6;

    private ApkVersions() {
    }

    @Override
    public String name() {
        return "apk";
    }

    /** A cursor over one version's text: the kind of the next token and where it starts. */
    private static final class Cursor {
        final String s;
        int pos;
        int type = DIGIT;

        Cursor(String s) {
            this.s = s;
        }

        int remaining() {
            return s.length() - pos;
        }

        /** Reads the token of {@link #type} and moves to the next one, setting its kind; returns its value. */
        long token() {
            if (remaining() <= 0) {
                type = END;
                return 0;
            }
            long v = 0;
            int i = 0;
            int next = INVALID;
            switch (type) {
                case DIGIT_OR_ZERO, DIGIT, SUFFIX_NO, REVISION_NO -> {
                    if (type == DIGIT_OR_ZERO && s.charAt(pos) == '0') {
                        // Leading zeros after a dot: each zero before the last one makes the version older
                        // (1.001 < 1.01 < 1.1); the last is read with the number that follows.
                        while (i + 1 < remaining() && s.charAt(pos + i + 1) == '0') {
                            i++;
                        }
                        next = DIGIT;
                        v = -i;
                    } else {
                        while (i < remaining() && DpkgVersions.isDigit(s.charAt(pos + i)) && i < 18) {
                            v = v * 10 + (s.charAt(pos + i) - '0');
                            i++;
                        }
                        while (i < remaining() && DpkgVersions.isDigit(s.charAt(pos + i))) {
                            i++; // beyond 18 digits the value saturates; such versions do not occur
                        }
                    }
                }
                case LETTER -> v = s.charAt(pos + i++);
                case SUFFIX -> {
                    int found = prefix(PRE);
                    if (found >= 0) {
                        i = PRE[found].length();
                        v = (long) found - PRE.length;
                    } else {
                        found = prefix(POST);
                        if (found < 0) {
                            type = INVALID;
                            return -1;
                        }
                        i = POST[found].length();
                        v = found;
                    }
                }
                default -> {
                    type = INVALID;
                    return -1;
                }
            }
            pos += i;
            if (remaining() == 0) {
                type = END;
            } else if (next != INVALID) {
                type = next;
            } else {
                nextType();
            }
            return v;
        }

        private int prefix(String[] names) {
            for (int k = 0; k < names.length; k++) {
                if (s.startsWith(names[k], pos)) {
                    return k;
                }
            }
            return -1;
        }

        /** After a token: the kind of the next one, from its first character (and the separator skipped). */
        private void nextType() {
            int n = INVALID;
            char c = s.charAt(pos);
            if ((type == DIGIT || type == DIGIT_OR_ZERO) && c >= 'a' && c <= 'z') {
                n = LETTER;
            } else if (type == LETTER && DpkgVersions.isDigit(c)) {
                n = DIGIT;
            } else if (type == SUFFIX && DpkgVersions.isDigit(c)) {
                n = SUFFIX_NO;
            } else {
                switch (c) {
                    case '.' -> n = DIGIT_OR_ZERO;
                    case '_' -> n = SUFFIX;
                    case '-' -> {
                        if (remaining() > 1 && s.charAt(pos + 1) == 'r') {
                            n = REVISION_NO;
                            pos++;
                        }
                    }
                    default -> {
                    }
                }
                pos++;
            }
            if (n < type && !((n == DIGIT_OR_ZERO && type == DIGIT) || (n == SUFFIX && type == SUFFIX_NO)
                    || (n == DIGIT && type == LETTER))) {
                n = INVALID; // tokens must come in order: no letter after a suffix, nothing after the revision
            }
            type = n;
        }
    }

    @Override
    public int compare(String a, String b) {
        Cursor x = new Cursor(a.strip());
        Cursor y = new Cursor(b.strip());
        long av = 0;
        long bv = 0;
        while (x.type == y.type && x.type != END && x.type != INVALID && av == bv) {
            av = x.token();
            bv = y.token();
        }
        if (av != bv) {
            return av < bv ? -1 : 1;
        }
        if (x.type == y.type) {
            return 0;
        }
        // Equal so far; one goes on (or is malformed) where the other does not.
        if (x.type == SUFFIX && peekSuffix(x) < 0) {
            return -1;
        }
        if (y.type == SUFFIX && peekSuffix(y) < 0) {
            return 1;
        }
        return x.type > y.type ? -1 : 1;
    }

    private static long peekSuffix(Cursor c) {
        Cursor copy = new Cursor(c.s);
        copy.pos = c.pos;
        copy.type = c.type;
        return copy.token();
    }
}
