package dev.bollard.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;

/**
 * Long random tokens (256 bits) with a prefix telling their kind, and their SHA-256, the only form they are stored
 * in. A slow hash adds nothing to a value that cannot be guessed, and a fast one lets the token be found by it.
 */
final class Secrets {
    static final String APP_TOKEN_PREFIX = "bollard_app_";
    static final String ROBOT_TOKEN_PREFIX = "bollard_robot_";
    static final String REFRESH_TOKEN_PREFIX = "bollard_refresh_";
    private static final SecureRandom RANDOM = new SecureRandom();

    private Secrets() {
    }

    static String newToken(String prefix) {
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        return prefix + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    static String sha256(String secret) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(secret.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Compares a secret with a stored SHA-256 in constant time. */
    static boolean matches(String secret, String storedSha256) {
        return MessageDigest.isEqual(sha256(secret).getBytes(StandardCharsets.US_ASCII),
                storedSha256.getBytes(StandardCharsets.US_ASCII));
    }

    /** A random password for {@code bollard user create --generate}. */
    static String newPassword() {
        byte[] bytes = new byte[18];
        RANDOM.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }
}
