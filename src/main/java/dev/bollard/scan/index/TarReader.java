package dev.bollard.scan.index;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.jspecify.annotations.Nullable;

/**
 * Reads a tar stream entry by entry without buffering any content: ustar, GNU (long names and links, base-256 sizes)
 * and POSIX pax (path, linkpath and size records). Written here rather than taken from a library so that every
 * piece of a hostile archive it keeps in memory is bounded: a long name or a pax header larger than
 * {@link #MAX_HEADER_DATA} ends the layer as corrupt instead of being read into memory. Header checksums are
 * verified, so that a stream that is not tar (or a corrupt one) fails at once instead of yielding garbage entries.
 */
final class TarReader {
    /** The largest long name or pax header kept in memory. Real ones are a few hundred bytes. */
    static final int MAX_HEADER_DATA = 1 << 20;
    private static final int BLOCK = 512;

    /** An entry's header: {@code type} is the tar typeflag ('0' regular, '5' directory, '2' symlink, '1' hard link). */
    record Entry(String name, char type, long size, int mode, String linkName) {
        boolean isRegular() {
            return type == '0' || type == '\0' || type == '7';
        }

        boolean isDirectory() {
            return type == '5';
        }

        boolean isSymlink() {
            return type == '2';
        }

        boolean isHardLink() {
            return type == '1';
        }
    }

    private final InputStream in;
    private final byte[] header = new byte[BLOCK];
    private long position;
    private long remaining; // content bytes of the current entry not yet read
    private long padding;   // bytes after the content up to the next block

    TarReader(InputStream in) {
        this.in = in;
    }

    /** The next entry, or null at the end of the archive. Skips what the caller left unread of the previous one. */
    @Nullable Entry next() throws IOException {
        if (!skipRest()) {
            return null;
        }
        String longName = null;
        String longLink = null;
        String paxPath = null;
        String paxLink = null;
        long paxSize = -1;
        while (true) {
            long at = position;
            if (!readBlock()) {
                return null; // end of stream without the end-of-archive blocks: many writers do that
            }
            if (isZero(header)) {
                return null;
            }
            verifyChecksum(at);
            char type = (char) (header[156] & 0xff);
            long size = number(124, 12, at);
            if (size < 0) {
                throw new TarFormatException("negative size in the tar header at offset " + at);
            }
            switch (type) {
                case 'L', 'K', 'x', 'g' -> {
                    if (size > MAX_HEADER_DATA) {
                        throw new TarFormatException("a tar extended header of " + size + " bytes at offset " + at
                                + " (more than " + MAX_HEADER_DATA + "; corrupt or hostile archive)");
                    }
                    byte[] data = readContent((int) size);
                    if (type == 'L') {
                        longName = cString(data, 0, data.length);
                    } else if (type == 'K') {
                        longLink = cString(data, 0, data.length);
                    } else if (type == 'x') {
                        Pax pax = parsePax(data, at);
                        if (pax.path != null) {
                            paxPath = pax.path;
                        }
                        if (pax.linkPath != null) {
                            paxLink = pax.linkPath;
                        }
                        if (pax.size >= 0) {
                            paxSize = pax.size;
                        }
                    } // 'g': global attributes hold nothing the indexer needs
                    continue;
                }
                default -> {
                }
            }
            String name = cString(header, 0, 100);
            if (header[257] == 'u' && header[258] == 's' && header[259] == 't' && header[260] == 'a'
                    && header[261] == 'r' && header[262] == 0) { // POSIX ustar: a prefix may hold the leading part
                String prefix = cString(header, 345, 155);
                if (!prefix.isEmpty()) {
                    name = prefix + "/" + name;
                }
            }
            if (longName != null) {
                name = longName;
            }
            if (paxPath != null) {
                name = paxPath;
            }
            String link = paxLink != null ? paxLink : longLink != null ? longLink : cString(header, 157, 100);
            if (paxSize >= 0) {
                size = paxSize;
            }
            int mode = (int) number(100, 8, at);
            // Only regular files carry content in the stream (links and directories declare none, whatever the header
            // says; a GNU sparse file carries its stored size).
            long content = (type == '0' || type == '\0' || type == '7' || type == 'S') ? size : 0;
            remaining = content;
            padding = (BLOCK - content % BLOCK) % BLOCK;
            return new Entry(name, type, size, mode, link);
        }
    }

    /** The current entry's content; reading past it gives end of stream. Not to be closed by the caller. */
    InputStream content() {
        return new InputStream() {
            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (remaining <= 0) {
                    return -1;
                }
                int n = in.read(b, off, (int) Math.min(len, remaining));
                if (n < 0) {
                    throw new EOFException("the tar stream ends inside an entry (truncated layer)");
                }
                remaining -= n;
                position += n;
                return n;
            }
        };
    }

    /**
     * Skips what is left of the current entry. A stream that ends where the last entry's padding should be is taken
     * as the end of the archive: the entry's content was whole, only the filler and the end-of-archive blocks are
     * missing, and Debian's umoci 0.4 writes its layers that way (GNU tar says "Unexpected EOF", yet clients pull them).
     *
     * @return false when the stream ended inside that padding
     */
    private boolean skipRest() throws IOException {
        skipBytes(remaining, "inside an entry");
        remaining = 0;
        long pad = padding;
        padding = 0;
        while (pad > 0) {
            long skipped = in.skip(pad);
            if (skipped <= 0) {
                if (in.read() < 0) {
                    return false;
                }
                skipped = 1;
            }
            pad -= skipped;
            position += skipped;
        }
        return true;
    }

    private void skipBytes(long n, String where) throws IOException {
        byte[] scratch = null;
        while (n > 0) {
            long skipped = in.skip(n);
            if (skipped <= 0) {
                if (scratch == null) {
                    scratch = new byte[(int) Math.min(n, 64 * 1024)];
                }
                int r = in.read(scratch, 0, (int) Math.min(n, scratch.length));
                if (r < 0) {
                    throw new EOFException("the tar stream ends " + where + " (truncated layer)");
                }
                skipped = r;
            }
            n -= skipped;
            position += skipped;
        }
    }

    private boolean readBlock() throws IOException {
        int got = in.readNBytes(header, 0, BLOCK);
        position += got;
        if (got == 0) {
            return false;
        }
        if (got < BLOCK) {
            throw new EOFException("the tar stream ends inside a header (truncated layer)");
        }
        return true;
    }

    private byte[] readContent(int size) throws IOException {
        byte[] data = in.readNBytes(size);
        if (data.length < size) {
            throw new EOFException("the tar stream ends inside an extended header (truncated layer)");
        }
        position += size;
        skipBytes((BLOCK - size % BLOCK) % BLOCK, "inside an extended header's padding");
        return data;
    }

    private void verifyChecksum(long at) throws IOException {
        long stored;
        try {
            stored = number(148, 8, at);
        } catch (TarFormatException e) {
            throw new TarFormatException("bad tar header checksum at offset " + at + " (not a tar stream, or corrupt)");
        }
        long unsigned = 0;
        long signed = 0; // some old writers summed signed bytes
        for (int i = 0; i < BLOCK; i++) {
            int b = (i >= 148 && i < 156) ? ' ' : header[i];
            unsigned += b & 0xff;
            signed += (i >= 148 && i < 156) ? ' ' : header[i];
        }
        if (stored != unsigned && stored != signed) {
            throw new TarFormatException("bad tar header checksum at offset " + at + " (not a tar stream, or corrupt)");
        }
    }

    /** An octal field, or a GNU base-256 one (high bit of the first byte set). */
    private long number(int offset, int length, long at) throws IOException {
        if ((header[offset] & 0x80) != 0) {
            if ((header[offset] & 0x40) != 0) {
                return -1; // negative base-256: only meaningful for times; callers reject it for sizes
            }
            long value = header[offset] & 0x3f;
            for (int i = 1; i < length; i++) {
                if (value > (Long.MAX_VALUE >> 8)) {
                    throw new TarFormatException("a number too large in the tar header at offset " + at);
                }
                value = (value << 8) | (header[offset + i] & 0xff);
            }
            return value;
        }
        long value = 0;
        int i = offset;
        int end = offset + length;
        while (i < end && (header[i] == ' ' || header[i] == 0)) {
            i++;
        }
        for (; i < end; i++) {
            byte b = header[i];
            if (b == 0 || b == ' ') {
                break;
            }
            if (b < '0' || b > '7') {
                throw new TarFormatException("a malformed number in the tar header at offset " + at);
            }
            value = (value << 3) | (b - '0');
        }
        return value;
    }

    private static boolean isZero(byte[] block) {
        for (byte b : block) {
            if (b != 0) {
                return false;
            }
        }
        return true;
    }

    private static String cString(byte[] data, int offset, int length) {
        int end = offset;
        while (end < offset + length && data[end] != 0) {
            end++;
        }
        return new String(data, offset, end - offset, StandardCharsets.UTF_8);
    }

    private record Pax(@Nullable String path, @Nullable String linkPath, long size) {
    }

    /** Records of the form {@code "<length> <key>=<value>\n"}, the length counting the whole record. */
    private static Pax parsePax(byte[] data, long at) throws TarFormatException {
        String path = null;
        String linkPath = null;
        long size = -1;
        int i = 0;
        while (i < data.length) {
            int space = i;
            while (space < data.length && data[space] != ' ') {
                space++;
            }
            int length;
            try {
                length = Integer.parseInt(new String(data, i, space - i, StandardCharsets.US_ASCII));
            } catch (NumberFormatException e) {
                if (isZero(java.util.Arrays.copyOfRange(data, i, data.length))) {
                    break; // trailing NULs
                }
                throw new TarFormatException("a malformed pax header at offset " + at);
            }
            if (length <= space - i + 1 || i + length > data.length) {
                throw new TarFormatException("a malformed pax record length at offset " + at);
            }
            String record = new String(data, space + 1, i + length - space - 2, StandardCharsets.UTF_8);
            int eq = record.indexOf('=');
            if (eq > 0) {
                String key = record.substring(0, eq);
                String value = record.substring(eq + 1);
                switch (key) {
                    case "path" -> path = value;
                    case "linkpath" -> linkPath = value;
                    case "size" -> {
                        try {
                            size = Long.parseLong(value);
                        } catch (NumberFormatException e) {
                            throw new TarFormatException("a malformed pax size at offset " + at);
                        }
                        if (size < 0) {
                            throw new TarFormatException("a negative pax size at offset " + at);
                        }
                    }
                    default -> {
                    }
                }
            }
            i += length;
        }
        return new Pax(path, linkPath, size);
    }

    /** The stream is not a well-formed tar archive. */
    static final class TarFormatException extends IOException {
        private static final long serialVersionUID = 1L;

        TarFormatException(String message) {
            super(message);
        }
    }
}
