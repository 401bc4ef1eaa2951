package dev.bollard.scan.version;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * Maven's version order, the semantics of Maven 3's {@code ComparableVersion} (which OSV's Maven ecosystem follows):
 * the version splits at {@code .}, at {@code -} and where digits meet letters into numbers and qualifiers; a hyphen
 * between two numbers opens a nested list ({@code 1-1} is {@code [1, [1]]}), which is older than a further number
 * ({@code 1-1 < 1.0.1}); trailing zeros and release qualifiers are dropped ({@code 1 = 1.0 = 1.0.0 = 1-ga =
 * 1.final}). Qualifiers order {@code alpha < beta < milestone < rc = cr < snapshot < "" (release) = ga = final < sp}
 * and after those every other qualifier, alphabetically, case-insensitively; {@code a1}, {@code b1}, {@code m1}
 * stand for alpha, beta and milestone when a number follows. A number is newer than a qualifier or a nested list.
 */
final class MavenVersions implements VersionScheme {

    static final MavenVersions INSTANCE = new MavenVersions();

    private static final List<String> QUALIFIERS = List.of("alpha", "beta", "milestone", "rc", "snapshot", "", "sp");
    private static final String RELEASE = String.valueOf(QUALIFIERS.indexOf(""));

    private MavenVersions() {
    }

    @Override
    public String name() {
        return "maven";
    }

    @Override
    public int compare(String a, String b) {
        return Integer.signum(parse(a.strip()).order(parse(b.strip())));
    }

    private sealed interface Item permits Num, Qualifier, Items {
        /** Compared with {@code other}, or with nothing (the other version ended) when null. */
        int order(@Nullable Item other);

        /** True for what normalisation drops at the end: 0, a release qualifier, an empty list. */
        boolean isNull();
    }

    private record Num(BigInteger value) implements Item {
        @Override
        public int order(@Nullable Item other) {
            if (other == null) {
                return value.signum() == 0 ? 0 : 1; // 1.0 == 1, 1.1 > 1
            }
            return other instanceof Num n ? value.compareTo(n.value) : 1; // 1.1 > 1-sp, 1.1 > 1-1
        }

        @Override
        public boolean isNull() {
            return value.signum() == 0;
        }
    }

    private record Qualifier(String value) implements Item {
        static Qualifier of(String text, boolean followedByDigit) {
            String v = text;
            if (followedByDigit && v.length() == 1) {
                v = switch (v.charAt(0)) {
                    case 'a' -> "alpha";
                    case 'b' -> "beta";
                    case 'm' -> "milestone";
                    default -> v;
                };
            }
            v = switch (v) {
                case "ga", "final" -> "";
                case "cr" -> "rc";
                default -> v;
            };
            return new Qualifier(v);
        }

        /** Known qualifiers by their rank; others after them, alphabetically. */
        private static String comparable(String q) {
            int i = QUALIFIERS.indexOf(q);
            return i < 0 ? QUALIFIERS.size() + "-" + q : String.valueOf(i);
        }

        @Override
        public int order(@Nullable Item other) {
            if (other == null) {
                return comparable(value).compareTo(RELEASE); // 1-rc < 1, 1-sp > 1
            }
            return other instanceof Qualifier q ? comparable(value).compareTo(comparable(q.value)) : -1;
        }

        @Override
        public boolean isNull() {
            return comparable(value).equals(RELEASE);
        }
    }

    private record Items(List<Item> items) implements Item {
        Items() {
            this(new ArrayList<>());
        }

        void normalize() {
            for (int i = items.size() - 1; i >= 0 && items.get(i).isNull(); i--) {
                items.remove(i);
            }
        }

        @Override
        public int order(@Nullable Item other) {
            if (other == null) {
                return items.isEmpty() ? 0 : items.getFirst().order(null);
            }
            if (other instanceof Num) {
                return -1; // 1-1 < 1.0.x
            }
            if (other instanceof Qualifier) {
                return 1; // 1-1 > 1-sp
            }
            List<Item> right = ((Items) other).items;
            for (int i = 0; i < Math.max(items.size(), right.size()); i++) {
                Item l = i < items.size() ? items.get(i) : null;
                Item r = i < right.size() ? right.get(i) : null;
                int c = l == null ? (r == null ? 0 : -r.order(null)) : l.order(r);
                if (c != 0) {
                    return c;
                }
            }
            return 0;
        }

        @Override
        public boolean isNull() {
            return items.isEmpty();
        }
    }

    private static Item item(boolean digits, String text) {
        return digits ? new Num(new BigInteger(text)) : Qualifier.of(text, false);
    }

    private static Items parse(String text) {
        String version = text.toLowerCase(Locale.ROOT);
        Items root = new Items();
        Items list = root;
        List<Items> opened = new ArrayList<>();
        opened.add(root);
        boolean digits = false;
        int start = 0;
        for (int i = 0; i < version.length(); i++) {
            char c = version.charAt(i);
            if (c == '.' || c == '-') {
                list.items().add(i == start ? new Num(BigInteger.ZERO) : item(digits, version.substring(start, i)));
                start = i + 1;
                if (c == '-' && digits) {
                    list.normalize(); // 1.0-x = 1-x
                    if (i + 1 < version.length() && DpkgVersions.isDigit(version.charAt(i + 1))) {
                        // only a number after a number needs its own list: 1-1 differs from 1.1
                        Items nested = new Items();
                        list.items().add(nested);
                        list = nested;
                        opened.add(nested);
                    }
                }
            } else if (DpkgVersions.isDigit(c)) {
                if (!digits && i > start) {
                    list.items().add(Qualifier.of(version.substring(start, i), true));
                    start = i;
                }
                digits = true;
            } else {
                if (digits && i > start) {
                    list.items().add(item(true, version.substring(start, i)));
                    start = i;
                }
                digits = false;
            }
        }
        if (version.length() > start) {
            list.items().add(item(digits, version.substring(start)));
        }
        for (int i = opened.size() - 1; i >= 0; i--) {
            opened.get(i).normalize();
        }
        return root;
    }
}
