package dev.bollard.robustness;

import java.io.InputStream;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.util.HexFormat;

/**
 * {@code size} deterministic pseudo-random bytes generated on the fly (never held in memory), hashed with SHA-256 as
 * they are read. Byte {@code p} is byte {@code p % 8} (little-endian) of SplitMix64 of word {@code p / 8}, so any
 * range can be regenerated with {@link #bytes}.
 */
final class PatternStream extends InputStream {

    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    private final long seed;
    private final long size;
    private final MessageDigest sha256 = RegistryClient.sha256Digest();
    private long position;
    private String digest;

    PatternStream(long seed, long size) {
        this.seed = seed;
        this.size = size;
    }

    static long word(long seed, long index) {
        long z = seed + index * 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    static byte byteAt(long seed, long p) {
        return (byte) (word(seed, p >>> 3) >>> ((p & 7) * 8));
    }

    /** Fills {@code b[off, off+len)} with the bytes at {@code offset}. */
    static void fill(long seed, long offset, byte[] b, int off, int len) {
        int i = 0;
        while (i < len && ((offset + i) & 7) != 0) {
            b[off + i] = byteAt(seed, offset + i);
            i++;
        }
        while (len - i >= 8) {
            LONGS.set(b, off + i, word(seed, (offset + i) >>> 3));
            i += 8;
        }
        while (i < len) {
            b[off + i] = byteAt(seed, offset + i);
            i++;
        }
    }

    /** The {@code length} bytes at {@code offset}. */
    static byte[] bytes(long seed, long offset, int length) {
        byte[] b = new byte[length];
        fill(seed, offset, b, 0, length);
        return b;
    }

    /** The sha256 digest of all {@code size} bytes, computed by generating them once. */
    static String digestOf(long seed, long size) {
        PatternStream s = new PatternStream(seed, size);
        byte[] buffer = new byte[1 << 20];
        while (s.read(buffer, 0, buffer.length) > 0) {
            // hashing as it reads
        }
        return s.digest();
    }

    @Override
    public int read() {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) {
        if (len == 0) {
            return 0;
        }
        if (position >= size) {
            return -1;
        }
        int n = (int) Math.min(len, size - position);
        fill(seed, position, b, off, n);
        sha256.update(b, off, n);
        position += n;
        return n;
    }

    @Override
    public int available() {
        return (int) Math.min(Integer.MAX_VALUE, size - position);
    }

    /** Bytes produced so far. */
    long position() {
        return position;
    }

    /** {@code sha256:<hex>} of everything read; only once every byte has been read. */
    String digest() {
        if (position != size) {
            throw new IllegalStateException("only " + position + " of " + size + " bytes have been read");
        }
        if (digest == null) {
            digest = "sha256:" + HexFormat.of().formatHex(sha256.digest());
        }
        return digest;
    }
}
