package dev.bollard.registry;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import org.jspecify.annotations.Nullable;

/**
 * Feeds pieces of a stream to a {@link RunningHash} on a second (virtual) thread, so that hashing one piece
 * overlaps with reading and writing the next. The caller hands over a piece with {@link #hash} and may keep reading
 * it (to write it out) but must not change it; {@link #freePiece} returns a piece whose hashing is done, for the next
 * read. {@link #finish} waits until every piece handed over is hashed; only then is the digest's state complete.
 */
final class PipelinedHash implements AutoCloseable {

    /** Pieces in flight: enough to keep both threads busy without holding much memory per upload. */
    private static final int DEPTH = 4;
    private static final Piece END = new Piece(new byte[0], -1);

    private record Piece(byte[] bytes, int length) {
    }

    private final RunningHash digest;
    private final BlockingQueue<Piece> toHash = new ArrayBlockingQueue<>(DEPTH + 1);
    private final BlockingQueue<byte[]> free = new ArrayBlockingQueue<>(DEPTH);
    private final Thread hasher;
    private volatile @Nullable Throwable failure;
    private boolean ended;

    PipelinedHash(RunningHash digest, byte[] firstPiece) {
        this.digest = digest;
        for (int i = 1; i < DEPTH; i++) {
            free.add(new byte[firstPiece.length]);
        }
        this.hasher = Thread.ofVirtual().name("bollard-hash").start(this::run);
    }

    @SuppressWarnings("ReferenceEquality") // END is a sentinel: the very object, not any equal piece, ends the stream
    private void run() {
        try {
            for (Piece piece = toHash.take(); piece != END; piece = toHash.take()) {
                digest.update(piece.bytes(), 0, piece.length());
                free.put(piece.bytes());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Throwable t) {
            failure = t;
            free.offer(new byte[0]); // wakes a caller waiting for a piece; finish() reports the failure
        }
    }

    void hash(byte[] piece, int length) {
        putUninterruptibly(new Piece(piece, length));
    }

    /** A piece whose bytes have been hashed, for the next read. */
    byte[] freePiece() {
        byte[] piece = takeUninterruptibly();
        if (failure != null) {
            throw new IllegalStateException("hashing failed", failure);
        }
        return piece;
    }

    /** Waits until every piece handed over is hashed. */
    void finish() {
        end();
        joinUninterruptibly();
        if (failure != null) {
            throw new IllegalStateException("hashing failed", failure);
        }
    }

    /** Stops the hasher (after the pieces already handed over); the digest is then to be discarded or complete. */
    @Override
    public void close() {
        end();
        joinUninterruptibly();
    }

    private void end() {
        if (!ended) {
            ended = true;
            putUninterruptibly(END);
        }
    }

    private void putUninterruptibly(Piece piece) {
        boolean interrupted = false;
        while (true) {
            try {
                toHash.put(piece);
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private byte[] takeUninterruptibly() {
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return free.take();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void joinUninterruptibly() {
        boolean interrupted = false;
        while (true) {
            try {
                hasher.join();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
