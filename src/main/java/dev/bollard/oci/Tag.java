package dev.bollard.oci;

import java.util.regex.Pattern;

/** A tag: up to 128 characters of {@code [a-zA-Z0-9_][a-zA-Z0-9._-]*}. */
public record Tag(String value) implements Comparable<Tag> {

    private static final Pattern GRAMMAR = Pattern.compile("[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}");

    public Tag {
        if (value == null || !GRAMMAR.matcher(value).matches()) {
            throw new IllegalArgumentException("invalid tag '" + value
                    + "': up to 128 characters of letters, digits, '_', '.' and '-', not starting with '.' or '-'");
        }
    }

    public static boolean isValid(String value) {
        return value != null && GRAMMAR.matcher(value).matches();
    }

    /**
     * The tag the referrers tag schema uses for {@code subject}: {@code <alg>-<ref>}, where the spec limits
     * {@code <ref>} (the encoded digest) to 64 characters, so a sha512 subject keeps only its first 64 hex digits.
     */
    public static Tag referrersFallback(Digest subject) {
        String hex = subject.hex();
        return new Tag(subject.algorithm().prefix() + "-" + (hex.length() > 64 ? hex.substring(0, 64) : hex));
    }

    @Override
    public String toString() {
        return value;
    }

    @Override
    public int compareTo(Tag other) {
        return value.compareTo(other.value);
    }
}
