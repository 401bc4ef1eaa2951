package dev.bollard.scan.index;

import java.io.IOException;
import java.io.InputStream;
import org.jspecify.annotations.Nullable;

/** Reading a file the indexer keeps, never more than a cap. */
final class Reads {
    private Reads() {
    }

    /**
     * The whole of {@code in} if it is at most {@code cap} bytes, else null (what was read is dropped; the rest is
     * left for the caller's stream to skip). {@code declared} is the size the archive declares, or -1.
     */
    static byte @Nullable [] capped(InputStream in, long declared, int cap) throws IOException {
        if (declared > cap) {
            return null;
        }
        byte[] data = in.readNBytes(cap + 1);
        return data.length > cap ? null : data;
    }

    static String tooLarge(String path, int cap) {
        return path + " is larger than the indexer's limit of " + cap + " bytes; not read";
    }
}
