package dev.bollard.proxy;

import java.io.Closeable;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.channels.NonWritableChannelException;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;
import org.jspecify.annotations.Nullable;

/**
 * One upstream fetch of a blob that every client asking for it meanwhile shares (single flight). The bytes go, as they
 * arrive, into the registry's normal upload path (an upload session: hashed, verified, committed atomically:
 * {@code ProxyCache}), and the clients read them while they grow ({@link #reader()}) from where they are written once:
 * the session's staged file when the store keeps it locally ({@link #staged}), else a spool, an unlinked temporary file
 * that the body is copied into as it is read ({@link #spooled}, {@link #tee}). A reader gets the last byte only after the
 * blob was verified and stored, so a body that breaks off or has the wrong digest never reaches a client complete: its
 * reader fails, and the client's connection is aborted.
 */
final class BlobFlight {
    /** Opens a reader's view of the bytes fetched so far (one per reader). */
    @FunctionalInterface
    interface Opener {
        Bytes open() throws IOException;
    }

    /** The blob's bytes by their offset; closed when its reader is. */
    interface Bytes extends Closeable {
        int read(ByteBuffer dst, long position) throws IOException;

        /** A channel's bytes; closing closes the channel. */
        static Bytes of(SeekableByteChannel channel) {
            return new Bytes() {
                @Override
                public int read(ByteBuffer dst, long position) throws IOException {
                    return channel.position(position).read(dst);
                }

                @Override
                public void close() throws IOException {
                    channel.close();
                }
            };
        }
    }

    private final Path spoolDir;
    private @Nullable FileChannel spool;
    private @Nullable Opener opener;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    /** The size the upstream announced; -1 until it answered. */
    private long size = -1;
    private boolean started;
    private long available;
    private boolean done;
    private @Nullable Exception failure;
    /** The fetch and each open reader hold the spool open. */
    private int holders = 1;
    /** When the upstream last sent bytes (System.nanoTime). */
    private volatile long lastProgress = System.nanoTime();

    BlobFlight(Path spoolDir) {
        this.spoolDir = spoolDir;
    }

    // ---- the fetch ----

    /**
     * The upstream answered with {@code announced} bytes (-1: unknown); readers read them from {@code opener}'s channels
     * (the upload session's staged bytes), where {@code present} bytes are already (a resumed fetch).
     */
    void staged(long announced, long present, Opener staged) {
        change(() -> {
            size = announced;
            available = present;
            opener = staged;
            started = true;
        });
    }

    /** The upstream answered with {@code announced} bytes; readers read the spool that {@link #tee} fills. */
    void spooled(long announced) throws IOException {
        Files.createDirectories(spoolDir);
        Path file = Files.createTempFile(spoolDir, "blob-", ".spool");
        FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
        // Unlinked at once: the open channel keeps the bytes, and nothing is left behind by a crash.
        Files.delete(file);
        change(() -> {
            spool = channel;
            size = announced;
            // Positional reads of one channel are safe to share; the spool is closed by the last holder's release.
            opener = () -> new Bytes() {
                @Override
                public int read(ByteBuffer dst, long position) throws IOException {
                    return channel.read(dst, position);
                }

                @Override
                public void close() {
                    // the spool is shared: release() closes it
                }
            };
            started = true;
        });
    }

    /** {@code position} bytes of the blob are where readers read them (in the staged file). */
    void published(long position) {
        lastProgress = System.nanoTime();
        change(() -> available = position);
    }

    /** The body, copied into the spool as it is read (by the upload path). */
    InputStream tee(InputStream body) {
        FileChannel spool = Objects.requireNonNull(this.spool, "spooled() first");
        return new FilterInputStream(body) {
            private long position;

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                int n = super.read(b, off, len);
                if (n > 0) {
                    ByteBuffer piece = ByteBuffer.wrap(b, off, n);
                    while (piece.hasRemaining()) {
                        position += spool.write(piece, position);
                    }
                    published(position);
                }
                return n;
            }

            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }
        };
    }

    /**
     * Closes the upstream's body when it sent nothing for {@code idle} (a stalled upstream), so that the fetch fails
     * and its clients are released instead of waiting forever; returns when the fetch ended. Run on its own thread.
     * Closing, not interrupting: an interrupt would also close the channels the upload path and the database use.
     */
    void abortWhenIdle(InputStream body, Duration idle) {
        try {
            while (true) {
                Thread.sleep(Math.min(1000, Math.max(1, idle.toMillis() / 4)));
                lock.lock();
                try {
                    if (done || failure != null) {
                        return;
                    }
                } finally {
                    lock.unlock();
                }
                if (System.nanoTime() - lastProgress > idle.toNanos()) {
                    body.close();
                    return;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            // closing a response body: the fetch fails either way
        }
    }

    void succeeded() {
        change(() -> done = true);
    }

    void failed(Exception e) {
        change(() -> failure = e);
    }

    /** Changes the flight's state and wakes every waiting client. */
    private void change(Runnable update) {
        lock.lock();
        try {
            update.run();
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    // ---- the clients ----

    /**
     * Waits until the upstream answered (or {@code maxWait} passed); returns the announced size, or -1 when the
     * upstream announced none (the client then waits for the whole blob). Throws the fetch's failure.
     */
    long awaitStart(long maxWaitNanos) throws Exception {
        lock.lock();
        try {
            awaitLocked(() -> started, maxWaitNanos);
            return started ? size : -1;
        } finally {
            lock.unlock();
        }
    }

    /** Waits until the fetch ended; throws its failure. */
    void awaitEnd(long maxWaitNanos) throws Exception {
        lock.lock();
        try {
            awaitLocked(() -> done, maxWaitNanos);
        } finally {
            lock.unlock();
        }
    }

    /** Waits, holding the lock, until {@code reached}, a failure (thrown) or {@code maxWaitNanos} passed. */
    private void awaitLocked(BooleanSupplier reached, long maxWaitNanos) throws Exception {
        long left = maxWaitNanos;
        while (!reached.getAsBoolean() && failure == null && left > 0) {
            left = changed.awaitNanos(left);
        }
        if (failure != null) {
            throw failure;
        }
    }

    /**
     * A channel over the blob from its start, blocking until bytes arrive; closing it releases the spool. Null when
     * the fetch is over and the spool closed.
     */
    @Nullable SeekableByteChannel reader() {
        lock.lock();
        try {
            if (holders == 0) {
                return null; // the fetch ended and its last reader closed the spool
            }
            holders++;
        } finally {
            lock.unlock();
        }
        return new Tail();
    }

    /** The fetch is over; the spool goes when its last reader closed. */
    void release() {
        boolean last;
        lock.lock();
        try {
            last = --holders == 0;
        } finally {
            lock.unlock();
        }
        if (last) {
            FileChannel channel;
            lock.lock();
            try {
                channel = spool;
            } finally {
                lock.unlock();
            }
            if (channel != null) {
                try {
                    channel.close();
                } catch (IOException ignored) {
                    // an unlinked file: closing is all there is to do
                }
            }
        }
    }

    /** How far a reader may read now: what arrived, less the last byte until the blob is verified. */
    private long readableLocked() {
        if (done) {
            return available;
        }
        return size < 0 ? 0 : Math.min(available, size - 1);
    }

    private final class Tail implements SeekableByteChannel {
        private long position;
        private boolean open = true;
        /** This reader's channel over the bytes, opened at its first read. */
        private @Nullable Bytes in;

        @Override
        public int read(ByteBuffer dst) throws IOException {
            if (!open) {
                throw new ClosedChannelException();
            }
            lock.lock();
            try {
                while (true) {
                    if (failure != null) {
                        throw new IOException("the upstream fetch failed: " + failure.getMessage(), failure);
                    }
                    if (position < readableLocked()) {
                        break;
                    }
                    if (done) {
                        return -1;
                    }
                    changed.await(1, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while waiting for the upstream", e);
            } finally {
                lock.unlock();
            }
            long limit;
            Opener source;
            lock.lock();
            try {
                limit = readableLocked();
                source = opener;
            } finally {
                lock.unlock();
            }
            if (in == null) {
                in = Objects.requireNonNull(source, "bytes are readable only once the fetch started").open();
            }
            ByteBuffer slice = dst.duplicate();
            slice.limit(slice.position() + (int) Math.min(dst.remaining(), limit - position));
            int n = in.read(slice, position);
            if (n > 0) {
                dst.position(dst.position() + n);
                position += n;
            }
            return n;
        }

        @Override
        public int write(ByteBuffer src) {
            throw new NonWritableChannelException();
        }

        @Override
        public long position() {
            return position;
        }

        @Override
        public SeekableByteChannel position(long newPosition) {
            position = newPosition;
            return this;
        }

        @Override
        public long size() {
            return Math.max(size, 0);
        }

        @Override
        public SeekableByteChannel truncate(long ignored) {
            throw new NonWritableChannelException();
        }

        @Override
        public boolean isOpen() {
            return open;
        }

        @Override
        public void close() throws IOException {
            if (open) {
                open = false;
                try {
                    if (in != null) {
                        in.close();
                    }
                } finally {
                    release();
                }
            }
        }
    }
}
