package dev.bollard.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.bouncycastle.crypto.generators.Argon2BytesGenerator;
import org.bouncycastle.crypto.params.Argon2Parameters;

/**
 * Password hashing with Argon2id (OWASP's parameters: 19 MiB, 2 passes, 1 lane), stored as a PHC string
 * {@code $argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>} so that parameters can change without breaking old hashes.
 */
final class Passwords {
    static final int MEMORY_KIB = 19 * 1024;
    static final int ITERATIONS = 2;
    static final int PARALLELISM = 1;
    private static final int SALT_BYTES = 16;
    private static final int HASH_BYTES = 32;
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Base64.Encoder B64 = Base64.getEncoder().withoutPadding();
    private static final Base64.Decoder B64D = Base64.getDecoder();
    /** Separators of the PHC string; split with limit 0 (trailing empty parts dropped, as String.split does). */
    private static final Pattern DOLLAR = Pattern.compile("\\$");
    private static final Pattern COMMA = Pattern.compile(",");
    /**
     * Each derivation takes 19 MiB and a core for tens of milliseconds: bound how many run at once, so that a flood
     * of logins queues instead of exhausting the heap; a verification that would wait longer than {@link #MAX_WAIT}
     * is refused ({@link Busy}) rather than piling up behind the flood.
     */
    static final Semaphore SLOTS =
            new Semaphore(Math.max(2, Runtime.getRuntime().availableProcessors()), true);
    static final Duration MAX_WAIT = Duration.ofSeconds(2);
    /** Verified against when the user does not exist, so that unknown and known names take the same time. */
    private static final String DUMMY = hash("not a password of anyone");

    private Passwords() {
    }

    /** Every slot for a derivation stayed taken for {@link #MAX_WAIT}: the caller is told to come back later. */
    static final class Busy extends RuntimeException {
        Busy() {
            super("too many password checks at once", null, false, false);
        }
    }

    static String hash(String password) {
        byte[] salt = new byte[SALT_BYTES];
        RANDOM.nextBytes(salt);
        byte[] out = derive(password, salt, MEMORY_KIB, ITERATIONS, PARALLELISM, HASH_BYTES, false);
        return "$argon2id$v=19$m=" + MEMORY_KIB + ",t=" + ITERATIONS + ",p=" + PARALLELISM + "$" + B64.encodeToString(salt)
                + "$" + B64.encodeToString(out);
    }

    /**
     * True when {@code password} matches the PHC string; false for any malformed or foreign hash.
     *
     * @throws Busy when no derivation slot came free within {@link #MAX_WAIT}
     */
    static boolean verify(String password, String phc) {
        if (password == null || phc == null) {
            return false;
        }
        String[] parts = DOLLAR.split(phc, 0);
        // "", "argon2id", "v=19", "m=..,t=..,p=..", salt, hash
        if (parts.length != 6 || !parts[1].equals("argon2id") || !parts[2].equals("v=19")) {
            return false;
        }
        try {
            int m = 0;
            int t = 0;
            int p = 0;
            for (String kv : COMMA.split(parts[3], 0)) {
                String[] pair = kv.split("=", 2);
                int v = Integer.parseInt(pair[1]);
                switch (pair[0]) {
                    case "m" -> m = v;
                    case "t" -> t = v;
                    case "p" -> p = v;
                    default -> {
                        return false;
                    }
                }
            }
            if (m < 8 || m > 1024 * 1024 || t < 1 || t > 100 || p < 1 || p > 16) {
                return false;
            }
            byte[] salt = B64D.decode(parts[4]);
            byte[] expected = B64D.decode(parts[5]);
            if (expected.length < 16 || expected.length > 64) {
                return false;
            }
            byte[] actual = derive(password, salt, m, t, p, expected.length, true);
            return MessageDigest.isEqual(expected, actual);
        } catch (Busy e) {
            throw e;
        } catch (RuntimeException e) {
            return false;
        }
    }

    /** Spends the time of one verification, for a user that does not exist. */
    static void verifyDummy(String password) {
        verify(password == null ? "" : password, DUMMY);
    }

    /** One derivation in a slot; {@code bounded}: give up (Busy) when no slot comes free in time. */
    private static byte[] derive(String password, byte[] salt, int memoryKib, int iterations, int parallelism, int length,
                                 boolean bounded) {
        Argon2Parameters params = new Argon2Parameters.Builder(Argon2Parameters.ARGON2_id)
                .withVersion(Argon2Parameters.ARGON2_VERSION_13).withSalt(salt).withMemoryAsKB(memoryKib)
                .withIterations(iterations).withParallelism(parallelism).build();
        Argon2BytesGenerator generator = new Argon2BytesGenerator();
        generator.init(params);
        byte[] out = new byte[length];
        if (!bounded) {
            SLOTS.acquireUninterruptibly();
        } else {
            try {
                if (!SLOTS.tryAcquire(MAX_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
                    throw new Busy();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new Busy();
            }
        }
        try {
            generator.generateBytes(password.getBytes(StandardCharsets.UTF_8), out);
        } finally {
            SLOTS.release();
        }
        return out;
    }
}
