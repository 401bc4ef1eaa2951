package dev.bollard.secrets;

import dev.bollard.config.BollardConfig;
import dev.bollard.config.ConfigException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.jspecify.annotations.Nullable;

/**
 * Seals secrets the registry must be able to read back before they are stored — the token signing keys, webhook
 * secrets — so that a copy of the database alone (a backup, a dump, a replica) does not reveal them. AES-256-GCM
 * under a key-encryption key that lives outside the database (a file, or the configuration); a context (the signing
 * key's id, say) is the associated data, so a sealed value cannot be moved to where another context is expected.
 *
 * <p>Stored form: {@code kek1:<key-encryption key id>:<base64 of nonce and ciphertext>}. Values written before
 * encryption existed hold the plaintext itself; {@link #open} still reads them, and their owners seal them at start.
 * Earlier key-encryption keys may be configured while values are re-sealed under the current one.
 */
public final class KeyEncryption {
    private static final String PREFIX = "kek1:";
    private static final int NONCE_BYTES = 12;
    private static final int TAG_BITS = 128;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final String currentId;
    /** Every key that may open a row, by id; the current one first. */
    private final Map<String, SecretKey> keys;
    private final String source;

    private KeyEncryption(List<byte[]> keys, String source) {
        Map<String, SecretKey> byId = new LinkedHashMap<>();
        for (byte[] k : keys) {
            byId.putIfAbsent(idOf(k), new SecretKeySpec(k, "AES"));
        }
        this.keys = byId;
        this.currentId = idOf(keys.getFirst());
        this.source = source;
    }

    /** Reads the configured keys, creating the default key file on first start. */
    public static KeyEncryption load(BollardConfig.KeyEncryption config) {
        List<byte[]> keys = new ArrayList<>();
        String source;
        if (!config.key().isEmpty()) {
            keys.add(decode(config.key().trim(), "auth.key-encryption-key"));
            source = "auth.key-encryption-key";
        } else {
            if (config.createFile()) {
                createIfAbsent(config.file());
            }
            keys.add(read(config.file()));
            source = config.file().toString();
        }
        for (Path previous : config.previousFiles()) {
            keys.add(read(previous));
        }
        return new KeyEncryption(keys, source);
    }

    /** A fixed key, for tests that need no file. */
    public static KeyEncryption of(byte[] key) {
        return new KeyEncryption(List.of(key.clone()), "a key given in code");
    }

    /** The id of the key that seals new rows. */
    public String currentKeyId() {
        return currentId;
    }

    /** The ids of every key this node has (the current one and those listed as previous). */
    public java.util.Set<String> keyIds() {
        return java.util.Set.copyOf(keys.keySet());
    }

    /** Where the current key comes from, for messages. */
    public String source() {
        return source;
    }

    /** {@code plaintext} sealed under the current key, bound to {@code context}. */
    public String seal(String context, String plaintext) {
        byte[] nonce = new byte[NONCE_BYTES];
        RANDOM.nextBytes(nonce);
        try {
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.ENCRYPT_MODE, keys.get(currentId), new GCMParameterSpec(TAG_BITS, nonce));
            cipher.updateAAD(context.getBytes(StandardCharsets.UTF_8));
            byte[] sealed = cipher.doFinal(plaintext.getBytes(StandardCharsets.UTF_8));
            byte[] out = new byte[nonce.length + sealed.length];
            System.arraycopy(nonce, 0, out, 0, nonce.length);
            System.arraycopy(sealed, 0, out, nonce.length, sealed.length);
            return PREFIX + currentId + ":" + Base64.getEncoder().encodeToString(out);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM is not available: " + e.getMessage(), e);
        }
    }

    /** Whether a stored row is sealed under the current key (nothing to re-seal). */
    public boolean isCurrent(String stored) {
        return stored.startsWith(PREFIX + currentId + ":");
    }

    /**
     * A stored value sealed for {@code context} under the current key: itself when it already is, else opened and
     * sealed again (a row from before encryption at rest, or sealed under an earlier key-encryption key).
     */
    public String resealed(String context, String stored, String what) {
        return isCurrent(stored) ? stored : seal(context, open(context, stored, what));
    }

    /** The id of the key that sealed a stored row, or null for a row stored in the clear. */
    public static @Nullable String sealedWith(String stored) {
        if (!stored.startsWith(PREFIX)) {
            return null;
        }
        int end = stored.indexOf(':', PREFIX.length());
        return end < 0 ? "?" : stored.substring(PREFIX.length(), end);
    }

    /**
     * The plaintext of a stored value sealed for {@code context}; {@code what} names it in messages.
     *
     * @throws ConfigException when it was sealed under a key this node does not have, or does not open (altered,
     *                         or sealed for another context)
     */
    public String open(String context, String stored, String what) {
        String keyId = sealedWith(stored);
        if (keyId == null) {
            return stored; // written before encryption at rest
        }
        SecretKey key = keys.get(keyId);
        if (key == null) {
            throw new ConfigException(what + " is encrypted with key-encryption key " + keyId
                    + ", which this node does not have (its key " + currentId + " comes from " + source + "). Every "
                    + "node must use the same key-encryption key: copy the file from the node that created the key, "
                    + "or list the earlier key in auth.previous-key-encryption-key-files");
        }
        try {
            byte[] all = Base64.getDecoder().decode(stored.substring(PREFIX.length() + keyId.length() + 1));
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, all, 0, NONCE_BYTES));
            cipher.updateAAD(context.getBytes(StandardCharsets.UTF_8));
            return new String(cipher.doFinal(all, NONCE_BYTES, all.length - NONCE_BYTES), StandardCharsets.UTF_8);
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new ConfigException(what + " in the database does not decrypt with key-encryption key " + keyId
                    + ": it was altered or belongs elsewhere");
        }
    }

    /** A short, stable id of a key: it names the key in stored rows and messages without revealing it. */
    private static String idOf(byte[] key) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update("bollard key-encryption key id\0".getBytes(StandardCharsets.US_ASCII));
            return HexFormat.of().formatHex(sha.digest(key), 0, 6);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] read(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.US_ASCII).trim();
        } catch (IOException e) {
            throw new ConfigException("cannot read the key-encryption key file " + file + " (" + e.getMessage()
                    + "); it encrypts the token signing keys in the database and must be the same on every node");
        }
        return decode(text, "the key-encryption key file " + file);
    }

    private static byte[] decode(String text, String what) {
        byte[] key;
        try {
            key = Base64.getDecoder().decode(text);
        } catch (IllegalArgumentException e) {
            key = new byte[0];
        }
        if (key.length != 32) {
            throw new ConfigException(what + " must hold the base64 form of 32 random bytes "
                    + "(create one with: openssl rand -base64 32)");
        }
        return key;
    }

    /** Writes a new random key readable by its owner only; when two processes start at once, both use the first's. */
    private static void createIfAbsent(Path file) {
        if (Files.exists(file)) {
            return;
        }
        byte[] key = new byte[32];
        RANDOM.nextBytes(key);
        try {
            writeKeyFile(file, (Base64.getEncoder().encodeToString(key) + "\n").getBytes(StandardCharsets.US_ASCII));
        } catch (FileAlreadyExistsException raced) {
            // another process created it first: use theirs
        } catch (IOException e) {
            throw new ConfigException("cannot create the key-encryption key file " + file + " (" + e.getMessage()
                    + "); set auth.key-encryption-key-file to a writable place or provide the key");
        }
    }

    /**
     * Writes a key file readable by its owner only (its directory, when created here, entered by its owner only).
     * Through a temporary file and a hard link, so that the file appears whole or not at all, and never replaces one.
     *
     * @throws FileAlreadyExistsException when {@code file} exists
     */
    public static void writeKeyFile(Path file, byte[] content) throws IOException {
        Path dir = Objects.requireNonNull(file.toAbsolutePath().getParent(), "a file has a directory");
        if (!Files.isDirectory(dir)) {
            Files.createDirectories(dir);
            trySetPermissions(dir, "rwx------");
        }
        Path tmp = Files.createTempFile(dir, ".key-encryption-key", ".tmp");
        try {
            trySetPermissions(tmp, "rw-------");
            Files.write(tmp, content);
            try (FileChannel channel = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                channel.force(true);
            }
            Files.createLink(file, tmp);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static void trySetPermissions(Path path, String permissions) throws IOException {
        try {
            Files.setPosixFilePermissions(path, PosixFilePermissions.fromString(permissions));
        } catch (UnsupportedOperationException notPosix) {
            // other file systems: their own access rules apply
        }
    }
}
