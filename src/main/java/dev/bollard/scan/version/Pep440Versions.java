package dev.bollard.scan.version;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Python's version order (PEP 440, as the {@code packaging} library implements it): {@code [N!]N(.N)*[{a|b|rc}N]
 * [.postN][.devN][+local]}, with the spellings PEP 440 normalises ({@code alpha}, {@code beta}, {@code c},
 * {@code pre}, {@code preview}, {@code rev}, {@code r}, {@code -N} for a post-release, separators {@code . - _},
 * a leading {@code v}, any case). Order: epoch; release numbers with trailing zeros ignored ({@code 1.0 == 1.0.0});
 * then {@code X.devN < XaN < XbN < XrcN < X < X.postN}, a dev release of a pre- or post-release just before it;
 * and a local version ({@code +ubuntu1}) after the same public version, its segments compared numerically when both
 * are numbers, a number after text.
 */
final class Pep440Versions implements VersionScheme {

    static final Pep440Versions INSTANCE = new Pep440Versions();

    private static final Pattern VERSION = Pattern.compile("""
            v?(?:(?<epoch>[0-9]+)!)?(?<release>[0-9]+(?:\\.[0-9]+)*)\
            (?<pre>[-_.]?(?<prel>alpha|a|beta|b|preview|pre|c|rc)[-_.]?(?<pren>[0-9]+)?)?\
            (?<post>-(?<postn1>[0-9]+)|[-_.]?(?<postl>post|rev|r)[-_.]?(?<postn2>[0-9]+)?)?\
            (?<dev>[-_.]?dev[-_.]?(?<devn>[0-9]+)?)?\
            (?:\\+(?<local>[a-z0-9]+(?:[-_.][a-z0-9]+)*))?""");

    private Pep440Versions() {
    }

    @Override
    public String name() {
        return "pep440";
    }

    /**
     * The sort key of a version. {@code pre}: rank 0 for a dev release without pre or post (before every pre-release),
     * 1..3 for a, b, rc, 4 for none; {@code post}: -1 when absent; {@code dev}: null when absent (after any dev).
     */
    private record Key(BigInteger epoch, List<BigInteger> release, int preRank, BigInteger preNumber,
                       BigInteger post, BigInteger dev, boolean hasDev, List<String> local) {
    }

    private Key parse(String version) {
        Matcher m = VERSION.matcher(version.strip().toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            throw new InvalidVersionException(name(), version, "see PEP 440's version scheme");
        }
        BigInteger epoch = m.group("epoch") == null ? BigInteger.ZERO : new BigInteger(m.group("epoch"));
        List<BigInteger> release = new ArrayList<>();
        for (String part : m.group("release").split("\\.", -1)) {
            release.add(new BigInteger(part));
        }
        while (release.size() > 1 && release.getLast().signum() == 0) {
            release.removeLast();
        }
        boolean hasPre = m.group("pre") != null;
        boolean hasPost = m.group("post") != null;
        boolean hasDev = m.group("dev") != null;
        int preRank = 4;
        BigInteger preNumber = BigInteger.ZERO;
        if (hasPre) {
            preRank = switch (m.group("prel")) {
                case "a", "alpha" -> 1;
                case "b", "beta" -> 2;
                default -> 3; // c, rc, pre, preview
            };
            preNumber = number(m.group("pren"));
        } else if (hasDev && !hasPost) {
            preRank = 0;
        }
        BigInteger post = hasPost ? number(m.group("postn1") != null ? m.group("postn1") : m.group("postn2"))
                : BigInteger.ONE.negate();
        BigInteger dev = hasDev ? number(m.group("devn")) : BigInteger.ZERO;
        List<String> local = m.group("local") == null ? List.of() : List.of(m.group("local").split("[-_.]", -1));
        return new Key(epoch, release, preRank, preNumber, post, dev, hasDev, local);
    }

    private static BigInteger number(String digits) {
        return digits == null ? BigInteger.ZERO : new BigInteger(digits);
    }

    @Override
    public int compare(String a, String b) {
        Key x = parse(a);
        Key y = parse(b);
        int c = x.epoch.compareTo(y.epoch);
        if (c != 0) {
            return c;
        }
        for (int i = 0; i < Math.max(x.release.size(), y.release.size()); i++) {
            BigInteger l = i < x.release.size() ? x.release.get(i) : BigInteger.ZERO;
            BigInteger r = i < y.release.size() ? y.release.get(i) : BigInteger.ZERO;
            c = l.compareTo(r);
            if (c != 0) {
                return c;
            }
        }
        c = Integer.compare(x.preRank, y.preRank);
        if (c == 0) {
            c = x.preNumber.compareTo(y.preNumber);
        }
        if (c == 0) {
            c = x.post.compareTo(y.post);
        }
        if (c == 0) {
            c = x.hasDev != y.hasDev ? (x.hasDev ? -1 : 1) : x.dev.compareTo(y.dev);
        }
        return c != 0 ? c : compareLocal(x.local, y.local);
    }

    /** No local part is older; segments: numbers numerically and after text, text alphabetically; shorter older. */
    private static int compareLocal(List<String> x, List<String> y) {
        for (int i = 0; i < Math.min(x.size(), y.size()); i++) {
            String l = x.get(i);
            String r = y.get(i);
            boolean ln = l.chars().allMatch(DpkgVersions::isDigit);
            boolean rn = r.chars().allMatch(DpkgVersions::isDigit);
            int c = ln && rn ? new BigInteger(l).compareTo(new BigInteger(r)) : ln != rn ? (ln ? 1 : -1)
                    : Integer.signum(l.compareTo(r));
            if (c != 0) {
                return c;
            }
        }
        return Integer.compare(x.size(), y.size());
    }
}
