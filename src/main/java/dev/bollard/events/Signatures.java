package dev.bollard.events;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The signature of a webhook delivery (docs/events.md, "Verifying a delivery"): HMAC-SHA256, keyed with the
 * webhook's secret (its UTF-8 bytes), over {@code <timestamp>.<body>}, where the timestamp is the
 * {@code Bollard-Timestamp} header (Unix seconds) and the body the exact bytes sent. The timestamp is signed so a
 * receiver can refuse a captured delivery replayed later; the header carries {@code sha256=<hex>}.
 */
public final class Signatures {
    public static final String SIGNATURE_HEADER = "Bollard-Signature";
    public static final String TIMESTAMP_HEADER = "Bollard-Timestamp";

    private static final SecureRandom RANDOM = new SecureRandom();

    private Signatures() {
    }

    /** A new secret: 32 random bytes, base64url, with a prefix that says what it is. */
    static String newSecret() {
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        return "whsec_" + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    /** The value of {@value #SIGNATURE_HEADER} for {@code body} sent at {@code timestampSeconds}. */
    public static String sign(String secret, long timestampSeconds, byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            mac.update((timestampSeconds + ".").getBytes(StandardCharsets.US_ASCII));
            return "sha256=" + HexFormat.of().formatHex(mac.doFinal(body));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
        }
    }

    /**
     * What a receiver does (the recipe of docs/events.md, in Java): true when {@code signature} is the signature of
     * {@code body} at {@code timestampSeconds}, compared in constant time, and the timestamp is within
     * {@code toleranceSeconds} of {@code nowSeconds}.
     */
    public static boolean verify(String secret, String timestampHeader, String signature, byte[] body, long nowSeconds,
                                 long toleranceSeconds) {
        long timestamp;
        try {
            timestamp = Long.parseLong(timestampHeader.trim());
        } catch (NumberFormatException e) {
            return false;
        }
        if (Math.abs(nowSeconds - timestamp) > toleranceSeconds) {
            return false;
        }
        return MessageDigest.isEqual(sign(secret, timestamp, body).getBytes(StandardCharsets.US_ASCII),
                signature.trim().getBytes(StandardCharsets.US_ASCII));
    }
}
