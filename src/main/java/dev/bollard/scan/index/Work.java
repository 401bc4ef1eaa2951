package dev.bollard.scan.index;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/** The work one image has cost so far, checked against its {@link IndexLimits} at every entry and every read. */
final class Work {
    private final IndexLimits limits;
    private final long deadline;
    private long entries;
    private long bytes;

    Work(IndexLimits limits) {
        this.limits = limits;
        this.deadline = System.nanoTime() + limits.maxTime().toNanos();
    }

    IndexLimits limits() {
        return limits;
    }

    void entry() {
        if (++entries > limits.maxEntries()) {
            throw new LimitExceeded("the image has more than " + limits.maxEntries()
                    + " files (the indexer's limit; a tar bomb?)");
        }
        checkTime();
    }

    void bytes(long n) {
        bytes += n;
        if (bytes > limits.maxUncompressedBytes()) {
            throw new LimitExceeded("the image unpacks to more than " + limits.maxUncompressedBytes()
                    + " bytes (the indexer's limit; a compression bomb?)");
        }
    }

    void checkTime() {
        if (System.nanoTime() - deadline > 0) {
            throw new LimitExceeded("indexing took longer than " + limits.maxTime().toSeconds()
                    + " s (the indexer's limit)");
        }
    }

    long entries() {
        return entries;
    }

    long bytes() {
        return bytes;
    }

    /** {@code in}, charging every byte read (and the time spent) to this image. */
    InputStream charged(InputStream in) {
        return new FilterInputStream(in) {
            private int reads;

            @Override
            public int read() throws IOException {
                int b = super.read();
                if (b >= 0) {
                    bytes(1);
                }
                return b;
            }

            @Override
            public int read(byte[] buf, int off, int len) throws IOException {
                int n = super.read(buf, off, len);
                if (n > 0) {
                    bytes(n);
                }
                if ((++reads & 0xff) == 0) {
                    checkTime();
                }
                return n;
            }

            private final byte[] scratch = new byte[64 * 1024];

            @Override
            public long skip(long n) throws IOException {
                // Skipping decompressed data still costs its decompression: read it, so that it is charged.
                int read = read(scratch, 0, (int) Math.min(n, scratch.length));
                return Math.max(read, 0);
            }
        };
    }
}
