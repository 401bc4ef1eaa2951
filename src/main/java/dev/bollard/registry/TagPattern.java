package dev.bollard.registry;

import dev.bollard.error.BollardException;
import java.util.regex.Pattern;

/**
 * A glob over tag names: {@code *} matches any run of characters, {@code ?} one character, everything else itself
 * ({@code v*}, {@code release-*}, {@code 1.?}). Used by immutable-tag rules and retention policies.
 */
public record TagPattern(String glob) {

    private static final Pattern GRAMMAR = Pattern.compile("[a-zA-Z0-9_.*?-]{1,128}");

    public TagPattern {
        if (glob == null || !GRAMMAR.matcher(glob).matches()) {
            throw BollardException.invalid("invalid tag pattern '" + glob + "': up to 128 characters of letters, "
                    + "digits, '_', '.', '-' and the wildcards '*' (any run of characters) and '?' (one character)");
        }
    }

    public boolean matches(String tag) {
        return matches(glob, 0, tag, 0);
    }

    private static boolean matches(String glob, int g, String tag, int t) {
        while (g < glob.length()) {
            char c = glob.charAt(g);
            if (c == '*') {
                for (int skip = t; skip <= tag.length(); skip++) {
                    if (matches(glob, g + 1, tag, skip)) {
                        return true;
                    }
                }
                return false;
            }
            if (t >= tag.length() || (c != '?' && c != tag.charAt(t))) {
                return false;
            }
            g++;
            t++;
        }
        return t == tag.length();
    }

    @Override
    public String toString() {
        return glob;
    }
}
