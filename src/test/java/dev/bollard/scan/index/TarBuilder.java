package dev.bollard.scan.index;

import dev.bollard.clients.Tar;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Writes tar layers for the indexer's tests, entry by entry and of every type a layer has (files, directories,
 * symbolic and hard links, whiteouts), including what real writers emit for long names (a pax header) — and, on
 * request, what hostile ones do (declared sizes that the stream does not hold, arbitrary headers).
 */
final class TarBuilder {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    TarBuilder file(String path, byte[] content) {
        return file(path, content, 0644);
    }

    TarBuilder file(String path, String content) {
        return file(path, content.getBytes(StandardCharsets.UTF_8), 0644);
    }

    TarBuilder file(String path, byte[] content, int mode) {
        entry(path, '0', content.length, mode, "");
        out.writeBytes(content);
        pad(content.length);
        return this;
    }

    TarBuilder dir(String path) {
        entry(path.endsWith("/") ? path : path + "/", '5', 0, 0755, "");
        return this;
    }

    TarBuilder symlink(String path, String target) {
        entry(path, '2', 0, 0777, target);
        return this;
    }

    TarBuilder hardlink(String path, String target) {
        entry(path, '1', 0, 0644, target);
        return this;
    }

    /** {@code .wh.NAME} beside {@code path}: deletes it. */
    TarBuilder whiteout(String path) {
        int slash = path.lastIndexOf('/');
        return file(path.substring(0, slash + 1) + ".wh." + path.substring(slash + 1), new byte[0]);
    }

    /** {@code DIR/.wh..wh..opq}: hides what earlier layers had in DIR. */
    TarBuilder opaque(String dir) {
        return file(dir + "/.wh..wh..opq", new byte[0]);
    }

    /** A header only: {@code size} bytes declared and none written (a truncated or hostile stream). */
    TarBuilder declaredOnly(String path, long size) {
        entry(path, '0', size, 0644, "");
        return this;
    }

    /** The two zero blocks that end an archive. */
    byte[] build() {
        ByteArrayOutputStream copy = new ByteArrayOutputStream();
        copy.writeBytes(out.toByteArray());
        copy.writeBytes(new byte[1024]);
        return copy.toByteArray();
    }

    /** The entries written so far, without the end blocks (to cut or continue). */
    byte[] raw() {
        return out.toByteArray();
    }

    static byte[] gzip(byte[] data) {
        return Tar.gzip(data);
    }

    private void entry(String path, char type, long size, int mode, String link) {
        String name = path.startsWith("/") ? "." + path : path;
        byte[] nameBytes = name.getBytes(StandardCharsets.UTF_8);
        byte[] linkBytes = link.getBytes(StandardCharsets.UTF_8);
        if (nameBytes.length > 100 || linkBytes.length > 100) {
            StringBuilder pax = new StringBuilder();
            if (nameBytes.length > 100) {
                pax.append(record("path", name));
            }
            if (linkBytes.length > 100) {
                pax.append(record("linkpath", link));
            }
            byte[] data = pax.toString().getBytes(StandardCharsets.UTF_8);
            header("././@PaxHeader", 'x', data.length, 0644, "");
            out.writeBytes(data);
            pad(data.length);
        }
        header(name, type, size, mode, link);
    }

    private static String record(String key, String value) {
        String body = " " + key + "=" + value + "\n";
        int length = body.getBytes(StandardCharsets.UTF_8).length;
        int digits = String.valueOf(length).length();
        int total = length + digits;
        if (String.valueOf(total).length() > digits) {
            total++;
        }
        return total + body;
    }

    private void header(String name, char type, long size, int mode, String link) {
        byte[] h = new byte[512];
        put(h, 0, 100, name);
        octal(h, 100, 8, mode);
        octal(h, 108, 8, 0);
        octal(h, 116, 8, 0);
        if (size < 077777777777L) {
            octal(h, 124, 12, size);
        } else { // GNU base-256, as GNU tar writes sizes of 8 GiB and more
            h[124] = (byte) 0x80;
            for (int i = 0; i < 8; i++) {
                h[135 - i] = (byte) (size >>> (8 * i));
            }
        }
        octal(h, 136, 12, 1_700_000_000L);
        h[156] = (byte) type;
        put(h, 157, 100, link);
        put(h, 257, 6, "ustar");
        h[263] = '0';
        h[264] = '0';
        for (int i = 148; i < 156; i++) {
            h[i] = ' ';
        }
        long sum = 0;
        for (byte b : h) {
            sum += b & 0xff;
        }
        octal(h, 148, 7, sum);
        out.writeBytes(h);
    }

    private static void put(byte[] h, int offset, int length, String value) {
        byte[] b = value.getBytes(StandardCharsets.UTF_8);
        System.arraycopy(b, 0, h, offset, Math.min(b.length, length));
    }

    private static void octal(byte[] h, int offset, int length, long value) {
        String s = Long.toOctalString(value);
        while (s.length() < length - 1) {
            s = "0" + s;
        }
        put(h, offset, length - 1, s);
    }

    private void pad(long size) {
        out.writeBytes(new byte[(int) ((512 - size % 512) % 512)]);
    }
}
