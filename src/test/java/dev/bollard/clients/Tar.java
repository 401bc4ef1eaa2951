package dev.bollard.clients;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

/** Just enough ustar to make image layers and to read files back out of them. */
public final class Tar {
    private static final int BLOCK = 512;
    private static final long MTIME = 1_700_000_000L;

    private Tar() {
    }

    /** A deterministic tar of regular files (mode 0644, root-owned), with parent directories, uncompressed. */
    public static byte[] tar(Map<String, byte[]> files) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        java.util.Set<String> dirs = new java.util.HashSet<>();
        for (Map.Entry<String, byte[]> e : files.entrySet()) {
            String path = e.getKey().startsWith("/") ? e.getKey().substring(1) : e.getKey();
            int slash = -1;
            while ((slash = path.indexOf('/', slash + 1)) > 0) {
                String dir = path.substring(0, slash + 1);
                if (dirs.add(dir)) {
                    header(out, dir, 0, '5', 0755);
                }
            }
            byte[] data = e.getValue();
            header(out, path, data.length, '0', 0644);
            out.writeBytes(data);
            pad(out, data.length);
        }
        out.writeBytes(new byte[2 * BLOCK]);
        return out.toByteArray();
    }

    public static byte[] gzip(byte[] data) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(data);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    static byte[] gunzip(byte[] data) {
        try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(data))) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Regular files of an uncompressed tar, by path without a leading {@code /} or {@code ./}. */
    static Map<String, byte[]> files(byte[] tar) {
        Map<String, byte[]> files = new LinkedHashMap<>();
        int pos = 0;
        String longName = null;
        while (pos + BLOCK <= tar.length) {
            byte[] h = Arrays.copyOfRange(tar, pos, pos + BLOCK);
            if (isZero(h)) {
                break;
            }
            String name = cstring(h, 0, 100);
            String prefix = cstring(h, 345, 155);
            if (!prefix.isEmpty() && "ustar".equals(cstring(h, 257, 6).trim())) {
                name = prefix + "/" + name;
            }
            long size = octal(h, 124, 12);
            char type = (char) h[156];
            int dataStart = pos + BLOCK;
            byte[] data = Arrays.copyOfRange(tar, dataStart, (int) (dataStart + size));
            pos = dataStart + (int) ((size + BLOCK - 1) / BLOCK * BLOCK);
            if (type == 'L') { // GNU long name for the next entry
                longName = new String(data, StandardCharsets.UTF_8).replace("\0", "");
                continue;
            }
            if (longName != null) {
                name = longName;
                longName = null;
            }
            if (type == '0' || type == '\0') {
                while (name.startsWith("./") || name.startsWith("/")) {
                    name = name.substring(name.startsWith("./") ? 2 : 1);
                }
                files.put(name, data);
            }
        }
        return files;
    }

    private static void header(ByteArrayOutputStream out, String name, long size, char type, int mode) {
        byte[] h = new byte[BLOCK];
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        if (n.length > 100) {
            throw new IllegalArgumentException("name too long for this little tar writer: " + name);
        }
        System.arraycopy(n, 0, h, 0, n.length);
        octal(h, 100, 8, mode);
        octal(h, 108, 8, 0);
        octal(h, 116, 8, 0);
        octal(h, 124, 12, size);
        octal(h, 136, 12, MTIME);
        Arrays.fill(h, 148, 156, (byte) ' ');
        h[156] = (byte) type;
        System.arraycopy("ustar\0".getBytes(StandardCharsets.US_ASCII), 0, h, 257, 6);
        h[263] = '0';
        h[264] = '0';
        long sum = 0;
        for (byte b : h) {
            sum += b & 0xff;
        }
        String chk = String.format("%06o", sum);
        System.arraycopy(chk.getBytes(StandardCharsets.US_ASCII), 0, h, 148, 6);
        h[154] = 0;
        h[155] = ' ';
        out.writeBytes(h);
    }

    private static void octal(byte[] h, int off, int len, long value) {
        String s = String.format("%0" + (len - 1) + "o", value);
        System.arraycopy(s.getBytes(StandardCharsets.US_ASCII), 0, h, off, len - 1);
        h[off + len - 1] = 0;
    }

    private static long octal(byte[] h, int off, int len) {
        String s = cstring(h, off, len).trim();
        return s.isEmpty() ? 0 : Long.parseLong(s, 8);
    }

    private static String cstring(byte[] h, int off, int len) {
        int end = off;
        while (end < off + len && h[end] != 0) {
            end++;
        }
        return new String(h, off, end - off, StandardCharsets.UTF_8);
    }

    private static boolean isZero(byte[] b) {
        for (byte x : b) {
            if (x != 0) {
                return false;
            }
        }
        return true;
    }

    private static void pad(ByteArrayOutputStream out, long size) {
        int rem = (int) (size % BLOCK);
        if (rem != 0) {
            out.writeBytes(new byte[BLOCK - rem]);
        }
    }
}
