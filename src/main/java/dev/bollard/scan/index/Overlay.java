package dev.bollard.scan.index;

import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * The image's file system as the layers build it up, restricted to the files the indexer kept ({@link Found}),
 * with the OCI layer rules applied as each entry streams past: a file replaces what an earlier layer had at its
 * path (and below it, when that was a directory), {@code .wh.NAME} deletes NAME and everything below it, and
 * {@code .wh..wh..opq} hides everything earlier layers had in its directory. Paths are absolute and normalised
 * ({@code /var/lib/dpkg/status}).
 */
final class Overlay {
    private final NavigableMap<String, Found> files = new TreeMap<>();

    /** Keeps what was found at {@code path} in layer {@code layer}. */
    void put(String path, int layer, Found found) {
        files.put(path, found.inLayer(layer));
    }

    @Nullable Found get(String path) {
        return files.get(path);
    }

    /** An entry of layer {@code layer} at {@code path}: whatever earlier layers had there, or below it, is gone. */
    void replace(String path, int layer) {
        Found existing = files.get(path);
        if (existing != null && existing.layer() < layer) {
            files.remove(path);
        }
        removeBelow(path, layer);
    }

    /** A directory entry of layer {@code layer}: a file an earlier layer had at its path is gone, its contents stay. */
    void directory(String path, int layer) {
        Found existing = files.get(path);
        if (existing != null && existing.layer() < layer) {
            files.remove(path);
        }
    }

    /** {@code .wh.NAME}: NAME and everything below it, from earlier layers, are deleted. */
    void whiteout(String path, int layer) {
        replace(path, layer);
    }

    /** {@code .wh..wh..opq} in {@code directory}: what earlier layers had below it is hidden; this layer's stays. */
    void opaque(String directory, int layer) {
        removeBelow(directory, layer);
    }

    private void removeBelow(String path, int layer) {
        String prefix = path.equals("/") ? "/" : path + "/";
        // Every key below the directory sorts between "dir/" and "dir0" ('0' follows '/').
        String end = path.equals("/") ? "0" : path + "0";
        Map<String, Found> below = files.subMap(prefix, true, end, false);
        below.values().removeIf(f -> f.layer() < layer);
    }

    NavigableMap<String, Found> files() {
        return files;
    }
}
