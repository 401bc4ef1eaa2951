package dev.bollard.http;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.io.RetainableByteBuffer;

/**
 * The mechanics of sending a blob's bytes: copies a range of an open blob to the response through pooled direct
 * buffers, reading ahead on a second thread when there are cores to spare. What to send (which blob, which range,
 * which headers) is {@link BlobEndpoints}' decision.
 */
final class BlobDownload {
    /** Blob downloads in progress, and how many of them may read ahead on a second thread (see stream). */
    private static final AtomicInteger DOWNLOADS = new AtomicInteger();
    private static final int READ_AHEAD_MAX_DOWNLOADS = Math.max(1, Runtime.getRuntime().availableProcessors() / 2);
    /** The size of a piece read from a blob and written to the socket; the server's buffer pool holds buffers this large. */
    static final int READ_CHUNK = 1024 * 1024;

    private final Observability observability;

    BlobDownload(Observability observability) {
        this.observability = observability;
    }

    /**
     * Copies {@code length} bytes from the channel to the response through pooled direct buffers. While there are
     * fewer downloads than cores to serve them, a blob of more than one piece is read ahead on a second (virtual)
     * thread: piece n+1 comes from the file while piece n goes to the socket, so a lone download uses two cores instead
     * of one (docs/benchmarks.md, finding 5). With more downloads the cores are busy anyway, and handing pieces between
     * threads would only add work.
     */
    void stream(Exchange ex, SeekableByteChannel channel, long length) throws IOException {
        var pool = ex.request.getComponents().getByteBufferPool();
        int downloads = DOWNLOADS.incrementAndGet();
        RetainableByteBuffer first = pool.acquire(READ_CHUNK, true);
        try {
            if (length > READ_CHUNK && downloads <= READ_AHEAD_MAX_DOWNLOADS) {
                RetainableByteBuffer second = pool.acquire(READ_CHUNK, true);
                try {
                    copyReadingAhead(ex, channel, length, first.getByteBuffer(), second.getByteBuffer());
                } finally {
                    second.release();
                }
            } else {
                for (long remaining = length; remaining > 0; ) {
                    int n = readPiece(channel, first.getByteBuffer(), remaining);
                    ex.writeBlocking(first.getByteBuffer());
                    observability.pulled(n);
                    remaining -= n;
                }
            }
        } finally {
            first.release();
            DOWNLOADS.decrementAndGet();
        }
    }

    /** Writes piece n from one buffer while a second thread reads piece n+1 into the other; then they swap. */
    private void copyReadingAhead(Exchange ex, SeekableByteChannel channel, long length, ByteBuffer piece,
                                  ByteBuffer spare) throws IOException {
        int n = readPiece(channel, piece, length);
        long remaining = length - n;
        CompletableFuture<Integer> next = null;
        try {
            while (true) {
                if (remaining > 0) {
                    next = readAhead(channel, spare, remaining);
                }
                ex.writeBlocking(piece);
                observability.pulled(n);
                if (next == null) {
                    return;
                }
                n = awaitPiece(next);
                next = null;
                remaining -= n;
                ByteBuffer written = piece;
                piece = spare;
                spare = written;
            }
        } finally {
            if (next != null) {
                // The buffer being read into goes back to the pool only once that read has ended.
                try {
                    awaitPiece(next);
                } catch (IOException | RuntimeException ignored) {
                    // the download failed already; this read's outcome no longer matters
                }
            }
        }
    }

    /** {@link #readPiece} on a new virtual thread. */
    private static CompletableFuture<Integer> readAhead(SeekableByteChannel channel, ByteBuffer into, long remaining) {
        CompletableFuture<Integer> reading = new CompletableFuture<>();
        Thread.ofVirtual().name("bollard-read-ahead").start(() -> {
            try {
                reading.complete(readPiece(channel, into, remaining));
            } catch (Throwable t) {
                reading.completeExceptionally(t);
            }
        });
        return reading;
    }

    /** Fills {@code buffer} with the channel's next bytes, at most {@code remaining}; flipped, ready to write. */
    private static int readPiece(SeekableByteChannel channel, ByteBuffer buffer, long remaining) throws IOException {
        buffer.clear();
        buffer.limit((int) Math.min(buffer.capacity(), remaining));
        while (buffer.hasRemaining()) {
            if (channel.read(buffer) < 0) {
                throw new IOException("blob ended " + (remaining - buffer.position()) + " bytes early");
            }
        }
        buffer.flip();
        return buffer.remaining();
    }

    private static int awaitPiece(CompletableFuture<Integer> piece) throws IOException {
        try {
            return piece.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            throw e.getCause() instanceof RuntimeException r ? r : e;
        }
    }
}
