package dev.bollard.events;

import dev.bollard.error.BollardException;
import java.util.regex.Pattern;

/**
 * A webhook filter's glob over repository or tag names: {@code *} matches any run of characters (slashes included),
 * {@code ?} one character, everything else itself ({@code team/*}, {@code v1.*}, {@code release-??}).
 */
public record Glob(String glob, Pattern regex) {
    private static final Pattern GRAMMAR = Pattern.compile("[a-zA-Z0-9_./*?-]{1,512}");

    public static Glob of(String what, String glob) {
        if (!GRAMMAR.matcher(glob).matches()) {
            throw BollardException.invalid("invalid " + what + " glob '" + glob + "': up to 512 characters of letters, "
                    + "digits, '_', '.', '/', '-' and the wildcards '*' (any run of characters) and '?' (one character)");
        }
        StringBuilder regex = new StringBuilder();
        for (int i = 0; i < glob.length(); i++) {
            char c = glob.charAt(i);
            regex.append(switch (c) {
                case '*' -> ".*";
                case '?' -> ".";
                default -> Pattern.quote(String.valueOf(c));
            });
        }
        return new Glob(glob, Pattern.compile(regex.toString()));
    }

    public boolean matches(String name) {
        return regex.matcher(name).matches();
    }
}
