package dev.bollard.storage;

import dev.bollard.oci.Digest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * Blobs as files: {@code <root>/<algorithm>/<first two hex>/<hex>}; uploads staged as
 * {@code <staging>/<upload id>}. Both directories should be on one file system so that commit is a rename.
 */
public final class FilesystemBlobStore implements BlobStore {

    private final Path root;
    private final Path staging;

    public FilesystemBlobStore(Path root, Path staging) throws IOException {
        this.root = Files.createDirectories(root);
        this.staging = Files.createDirectories(staging);
    }

    /** The file that holds {@code digest}, whether or not it exists. */
    public Path pathOf(Digest digest) {
        return root.resolve(digest.algorithm().prefix()).resolve(digest.hex().substring(0, 2)).resolve(digest.hex());
    }

    private Path uploadPath(String uploadId) {
        if (!uploadId.matches("[a-zA-Z0-9-]{1,64}")) {
            throw new IllegalArgumentException("invalid upload id");
        }
        return staging.resolve(uploadId);
    }

    @Override
    public boolean isReachable() {
        return Files.isDirectory(root) && Files.isWritable(root) && Files.isDirectory(staging) && Files.isWritable(staging);
    }

    @Override
    public OptionalLong size(Digest digest) throws IOException {
        try {
            return OptionalLong.of(Files.size(pathOf(digest)));
        } catch (NoSuchFileException e) {
            return OptionalLong.empty();
        }
    }

    @Override
    public SeekableByteChannel open(Digest digest) throws IOException {
        return FileChannel.open(pathOf(digest), StandardOpenOption.READ);
    }

    @Override
    public boolean delete(Digest digest) throws IOException {
        return Files.deleteIfExists(pathOf(digest));
    }

    /** The staged file is the whole state of an upload: the state text is always empty. */
    @Override
    public String createUpload(String uploadId) throws IOException {
        try {
            Files.createFile(uploadPath(uploadId));
        } catch (FileAlreadyExistsException e) {
            throw new IOException("upload " + uploadId + " exists already", e);
        }
        return "";
    }

    @Override
    public Append appendUpload(String uploadId, long offset, String state) throws IOException {
        FileChannel channel = FileChannel.open(uploadPath(uploadId), StandardOpenOption.WRITE, StandardOpenOption.CREATE);
        try {
            if (channel.size() < offset) {
                throw new IOException("upload " + uploadId + " holds " + channel.size() + " bytes, fewer than the "
                        + offset + " recorded");
            }
            channel.truncate(offset);
            channel.position(offset);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
        return new SyncingChannel(channel, offset);
    }

    /**
     * An upload's file, flushed to disk in the background as it grows: the commit must sync the whole blob before it
     * becomes visible, and syncing a gigabyte at the end took a large part of a push's time. Each time the file
     * crosses a multiple of {@link #SYNC_EVERY} bytes (counted from the start of the file, so that a series of
     * chunked PATCHes syncs as one stream does), a sync starts on another thread; the commit then syncs only the tail.
     */
    private static final class SyncingChannel implements Append {
        static final long SYNC_EVERY = 32L * 1024 * 1024;

        private final FileChannel channel;
        private long position;
        private boolean syncing;
        private boolean closed;

        SyncingChannel(FileChannel channel, long position) {
            this.channel = channel;
            this.position = position;
        }

        @Override
        public int write(ByteBuffer src) throws IOException {
            int n = channel.write(src);
            long before = position;
            position += n;
            if (before / SYNC_EVERY != position / SYNC_EVERY) {
                startSync();
            }
            return n;
        }

        private void startSync() {
            synchronized (this) {
                if (syncing) {
                    return;
                }
                syncing = true;
            }
            Thread.ofVirtual().name("bollard-sync").start(() -> {
                try {
                    channel.force(false);
                } catch (IOException ignored) {
                    // Only an early flush: the commit syncs again and reports failures.
                } finally {
                    boolean closeNow;
                    synchronized (this) {
                        syncing = false;
                        closeNow = closed;
                    }
                    if (closeNow) {
                        closeQuietly(channel);
                    }
                }
            });
        }

        /** The file is the whole state of the upload. */
        @Override
        public String state() {
            return "";
        }

        @Override
        public synchronized boolean isOpen() {
            return !closed;
        }

        /**
         * Closes the file, or leaves that to a sync in flight (closing under it would fail it, and waiting for it
         * would delay the response). No sync is needed here: staged bytes need not survive a power loss (the upload
         * then fails to resume and the client starts over); commitUpload syncs what becomes a blob.
         */
        @Override
        public void close() throws IOException {
            synchronized (this) {
                if (closed) {
                    return;
                }
                closed = true;
                if (syncing) {
                    return;
                }
            }
            channel.close();
        }

        private static void closeQuietly(FileChannel channel) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // nothing was written through this close
            }
        }
    }

    @Override
    public SeekableByteChannel readUpload(String uploadId, String state, long size) throws IOException {
        return FileChannel.open(uploadPath(uploadId), StandardOpenOption.READ);
    }

    @Override
    public boolean readsUploadsCheaply() {
        return true;
    }

    @Override
    public void commitUpload(String uploadId, String state, Digest digest, long size) throws IOException {
        Path source = uploadPath(uploadId);
        Path target = pathOf(digest);
        if (Files.exists(target)) {
            Files.deleteIfExists(source);
            return;
        }
        try (FileChannel channel = FileChannel.open(source, StandardOpenOption.WRITE)) {
            if (channel.size() != size) {
                channel.truncate(size);
            }
            channel.force(false); // data and size (fdatasync); timestamps need not be durable
        }
        Path directory = Objects.requireNonNull(target.getParent(), "a blob's path is in a directory");
        Files.createDirectories(directory);
        try {
            // Atomic: readers see no file or the whole, verified file; a concurrent commit of the same content
            // replaces identical bytes.
            Files.move(source, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException("blob directory " + root + " and upload directory " + staging
                    + " must be on one file system", e);
        }
        forceDirectory(directory);
    }

    private static void forceDirectory(Path dir) {
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException ignored) {
            // Not every file system lets a directory be opened for sync; the rename itself is still atomic.
        }
    }

    @Override
    public void deleteUpload(String uploadId) throws IOException {
        Files.deleteIfExists(uploadPath(uploadId));
    }

    @Override
    public List<StagedUpload> listUploads() throws IOException {
        List<StagedUpload> uploads = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(staging)) {
            for (Path p : entries) {
                try {
                    uploads.add(new StagedUpload(p.getFileName().toString(),
                            Files.getLastModifiedTime(p).toInstant(), Files.size(p)));
                } catch (NoSuchFileException e) {
                    // finished while we listed
                }
            }
        }
        return uploads;
    }

    /** Every file at {@code <root>/<algorithm>/<xx>/<hex>} whose name is a digest; anything else is passed over. */
    @Override
    public void listBlobs(Consumer<StoredBlob> each) throws IOException {
        try (Stream<Path> files = Files.walk(root, 3)) {
            for (Path file : (Iterable<Path>) files.filter(p -> root.relativize(p).getNameCount() == 3)::iterator) {
                String text = root.relativize(file).getName(0) + ":" + file.getFileName();
                Digest digest;
                try {
                    digest = Digest.parse(text);
                } catch (IllegalArgumentException e) {
                    continue;
                }
                if (!pathOf(digest).equals(file)) {
                    continue;
                }
                try {
                    each.accept(new StoredBlob(digest, Files.size(file), Files.getLastModifiedTime(file).toInstant()));
                } catch (NoSuchFileException e) {
                    // deleted while we listed
                }
            }
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }
}
