package dev.bollard.scan.index;

import dev.bollard.scan.PackageType;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The build information Go (1.18 and later) embeds in every binary it links: a 32-byte header starting
 * {@code "\xff Go buildinf:"}, then, inline, the Go version and the module list ({@code path}, {@code mod},
 * {@code dep}, {@code =>} replacement lines), as {@code go version -m} prints it. Found by scanning the executable's
 * bytes as they stream past (no ELF section table is needed, so the binary is read once and never kept); a
 * candidate header that does not parse (the same bytes as a string literal in a binary that reads build info
 * itself) is passed over. Binaries of older Go keep pointers instead of inline strings: noted, not read.
 */
final class GoBuildInfo {
    private static final byte[] MAGIC = "\u00ff Go buildinf:".getBytes(StandardCharsets.ISO_8859_1);
    private static final int HEADER = 32;
    private static final int CHUNK = 64 * 1024;

    private GoBuildInfo() {
    }

    /** True when {@code start} begins an ELF file. */
    static boolean isElf(byte[] start, int length) {
        return length >= 4 && start[0] == 0x7f && start[1] == 'E' && start[2] == 'L' && start[3] == 'F';
    }

    /**
     * Scans the rest of an executable (its first {@code headLength} bytes already read into {@code head}); null when
     * it holds no Go build information.
     */
    static @Nullable Found scan(byte[] head, int headLength, InputStream rest, String path, int maxMetadata)
            throws IOException {
        // Small while scanning; grown to hold a whole module list only when a header candidate turns up.
        int capacity = Math.max(2 * CHUNK, headLength);
        byte[] buf = new byte[capacity];
        System.arraycopy(head, 0, buf, 0, headLength);
        int length = headLength;
        boolean eof = false;
        int from = 0;
        boolean oldFormat = false;
        while (true) {
            if (!eof && length < capacity) {
                int n = rest.readNBytes(buf, length, Math.min(CHUNK, capacity - length));
                if (n == 0) {
                    eof = true;
                }
                length += n;
            }
            int at = indexOf(buf, from, length);
            while (at >= 0) {
                if (!eof && capacity - at < HEADER + maxMetadata) {
                    // Move the candidate to the front of a buffer large enough for its whole module list.
                    if (capacity < HEADER + maxMetadata + 32) {
                        capacity = HEADER + maxMetadata + 32;
                        byte[] bigger = new byte[capacity];
                        System.arraycopy(buf, at, bigger, 0, length - at);
                        buf = bigger;
                    } else {
                        System.arraycopy(buf, at, buf, 0, length - at);
                    }
                    length -= at;
                    at = 0;
                    int n = rest.readNBytes(buf, length, capacity - length);
                    eof = length + n < capacity;
                    length += n;
                }
                Parsed parsed = parse(buf, at, length);
                if (parsed != null) {
                    return parsed.found(path);
                }
                if (at + 15 < length && (buf[at + 15] & 2) == 0 && (buf[at + 14] == 4 || buf[at + 14] == 8)) {
                    oldFormat = true;
                }
                at = indexOf(buf, at + 1, length);
            }
            if (eof) {
                return oldFormat ? Found.note("a Go binary built before Go 1.18 (module list not read): " + path)
                        : null;
            }
            // Keep the tail that could begin a header split across chunks.
            int keep = Math.min(length, MAGIC.length - 1);
            System.arraycopy(buf, length - keep, buf, 0, keep);
            length = keep;
            from = 0;
        }
    }

    private static int indexOf(byte[] buf, int from, int length) {
        outer:
        for (int i = from; i <= length - MAGIC.length; i++) {
            if (buf[i] != MAGIC[0]) {
                continue;
            }
            for (int j = 1; j < MAGIC.length; j++) {
                if (buf[i + j] != MAGIC[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    private record Parsed(String goVersion, String modinfo) {
        Found found(String path) {
            List<Candidate> packages = new ArrayList<>();
            if (goVersion.startsWith("go")) {
                // The standard library's advisories (Go's vulnerability database) name it "stdlib" at the Go version.
                String v = goVersion.substring(2).split("[ -]", 2)[0];
                if (DpkgStatus.isToken(v)) {
                    packages.add(new Candidate(PackageType.GO, "stdlib", v, null, null, null, path));
                }
            }
            Map<String, String> modules = new LinkedHashMap<>();
            String last = null;
            for (String line : modinfo.split("\n", -1)) {
                String[] f = line.split("\t", -1);
                if ((f[0].equals("mod") || f[0].equals("dep")) && f.length >= 3) {
                    last = f[1];
                    modules.put(f[1], f[2]);
                } else if (f[0].equals("=>") && f.length >= 3 && last != null) {
                    modules.remove(last); // replaced: the replacement is what was built
                    modules.put(f[1], f[2]);
                }
            }
            modules.forEach((module, version) -> {
                if (DpkgStatus.isToken(module) && DpkgStatus.isToken(version)) {
                    packages.add(new Candidate(PackageType.GO, module, version, null, null, null, path));
                }
            });
            return Found.packages(packages, List.of());
        }
    }

    /** The header at {@code at}, when it is a real one of the inline (Go 1.18+) kind. */
    private static @Nullable Parsed parse(byte[] buf, int at, int length) {
        if (at + HEADER > length) {
            return null;
        }
        int ptrSize = buf[at + 14];
        int flags = buf[at + 15];
        if ((ptrSize != 4 && ptrSize != 8) || (flags & 2) == 0) {
            return null;
        }
        int[] pos = {at + HEADER};
        String version = varString(buf, pos, length);
        String modinfo = version == null ? null : varString(buf, pos, length);
        if (version == null || modinfo == null || !version.startsWith("go")) {
            return null;
        }
        // The module list is framed by 16 sentinel bytes on each side.
        if (modinfo.length() >= 33 && modinfo.charAt(modinfo.length() - 17) == '\n') {
            modinfo = modinfo.substring(16, modinfo.length() - 16);
        }
        return new Parsed(version, modinfo);
    }

    private static @Nullable String varString(byte[] buf, int[] pos, int length) {
        long n = 0;
        int shift = 0;
        int p = pos[0];
        while (true) {
            if (p >= length || shift > 28) {
                return null;
            }
            int b = buf[p++] & 0xff;
            n |= (long) (b & 0x7f) << shift;
            if ((b & 0x80) == 0) {
                break;
            }
            shift += 7;
        }
        if (n < 0 || p + n > length) {
            return null;
        }
        pos[0] = p + (int) n;
        return new String(buf, p, (int) n, StandardCharsets.ISO_8859_1);
    }
}
