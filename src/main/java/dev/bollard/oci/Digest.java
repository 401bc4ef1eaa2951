package dev.bollard.oci;

import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * A content digest such as {@code sha256:6c3c62...}: the algorithm and the lower-case hex encoding of the hash.
 * Only algorithms the registry can verify are representable; anything else fails to parse.
 */
public record Digest(DigestAlgorithm algorithm, String hex) implements Comparable<Digest> {

    /** The spec's general digest grammar; used to tell "malformed" from "well-formed but unsupported". */
    private static final Pattern GRAMMAR = Pattern.compile("[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+");
    private static final Pattern LOWER_HEX = Pattern.compile("[a-f0-9]+");

    public Digest {
        if (algorithm == null || hex == null) {
            throw new InvalidDigestException("digest needs an algorithm and an encoded hash");
        }
        if (hex.length() != algorithm.hexLength() || !LOWER_HEX.matcher(hex).matches()) {
            throw new InvalidDigestException(
                    "a " + algorithm.prefix() + " digest has " + algorithm.hexLength() + " lower-case hex characters");
        }
    }

    /** Parses {@code algorithm:hex}, throwing {@link InvalidDigestException} with the reason when it is not valid. */
    public static Digest parse(String text) {
        if (text == null || text.isEmpty()) {
            throw new InvalidDigestException("digest is empty");
        }
        if (text.length() > 256 || !GRAMMAR.matcher(text).matches()) {
            throw new InvalidDigestException("not a digest (expected algorithm:hex): " + abbreviate(text));
        }
        int colon = text.indexOf(':');
        String prefix = text.substring(0, colon);
        DigestAlgorithm algorithm = DigestAlgorithm.byPrefix(prefix)
                .orElseThrow(() -> new InvalidDigestException(
                        "unsupported digest algorithm '" + prefix + "' (supported: sha256, sha512)"));
        return new Digest(algorithm, text.substring(colon + 1));
    }

    /** True when {@code text} parses as a digest. */
    public static boolean isDigest(String text) {
        try {
            parse(text);
            return true;
        } catch (InvalidDigestException e) {
            return false;
        }
    }

    public static Digest of(DigestAlgorithm algorithm, byte[] hash) {
        return new Digest(algorithm, HexFormat.of().formatHex(hash));
    }

    /** The digest of {@code content} with {@code algorithm}. */
    public static Digest compute(DigestAlgorithm algorithm, byte[] content) {
        return of(algorithm, algorithm.newMessageDigest().digest(content));
    }

    public static Digest sha256(byte[] content) {
        return compute(DigestAlgorithm.SHA256, content);
    }

    @Override
    public String toString() {
        return algorithm.prefix() + ":" + hex;
    }

    @Override
    public int compareTo(Digest other) {
        return toString().compareTo(other.toString());
    }

    private static String abbreviate(String s) {
        return s.length() <= 80 ? s : s.substring(0, 77) + "...";
    }
}
