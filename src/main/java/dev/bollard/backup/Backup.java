package dev.bollard.backup;

import dev.bollard.error.BollardException;
import dev.bollard.json.Json;
import dev.bollard.metadata.Database;
import dev.bollard.oci.Digest;
import dev.bollard.secrets.KeyEncryption;
import dev.bollard.storage.BlobStore;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.OptionalLong;
import java.util.Set;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takes a backup of a registry on the embedded database while it serves. H2's {@code BACKUP TO} writes a
 * transactionally consistent snapshot without stopping writers; then every blob the snapshot names is copied from
 * the blob store, its digest verified on the way. Blobs are immutable and named by digest, so the only way the
 * copy can miss one is the collector deleting it after the snapshot (its last reference removed since): then a new
 * snapshot is taken, which no longer names it, and only what is new is copied. Into a directory holding an earlier
 * backup, only blobs it lacks are copied, and blobs no longer named are removed once the new backup is complete.
 */
public final class Backup {

    private static final Logger LOG = LoggerFactory.getLogger(Backup.class);
    /** Snapshots taken before giving up on a collector that deletes faster than blobs are copied. */
    private static final int MAX_SNAPSHOTS = 5;

    /** What a backup did: the description it wrote, and what it copied, found already there and removed. */
    public record Report(BackupDescription description, Path directory, int copied, long copiedBytes, int kept,
                         int removed, int snapshots, Duration took) {
    }

    private Backup() {
    }

    /**
     * Backs up {@code db} and the blobs of {@code store} into {@code directory} (created when absent; else empty or
     * an earlier backup's). {@code keyEncryptionKey}, when given, is the key file to carry along.
     */
    public static Report take(Database db, BlobStore store, Path directory, @Nullable Path keyEncryptionKey)
            throws IOException {
        if (!db.isEmbedded()) {
            throw BollardException.invalid("bollard backup copies the embedded database; this registry runs on "
                    + "PostgreSQL: back it up with pg_dump, then the blob store (docs/operations.md, Backup and restore)");
        }
        Instant started = Instant.now();
        BackupLayout layout = new BackupLayout(directory);
        prepare(layout);
        Path snapshot = layout.partialDatabase();
        int copied = 0;
        long copiedBytes = 0;
        int kept = 0;
        for (int attempt = 1; ; attempt++) {
            Files.deleteIfExists(snapshot);
            Instant taken = Instant.now();
            db.read(h -> h.execute("BACKUP TO '" + snapshot.toAbsolutePath().toString().replace("'", "''") + "'"));
            Snapshot.Contents contents = Snapshot.read(snapshot);
            List<Digest> collected = new ArrayList<>();
            for (Snapshot.Blob blob : contents.blobs()) {
                Path target = layout.blob(blob.digest());
                if (Files.isRegularFile(target) && Files.size(target) == blob.size()) {
                    kept++;
                } else if (copy(store, blob, target)) {
                    copied++;
                    copiedBytes += blob.size();
                } else {
                    collected.add(blob.digest());
                }
            }
            if (collected.isEmpty()) {
                return finish(layout, snapshot, contents, keyEncryptionKey, taken, started, copied, copiedBytes,
                        kept, attempt);
            }
            if (attempt == MAX_SNAPSHOTS) {
                throw new IOException(attempt + " snapshots each named blobs that were gone from the blob store by the "
                        + "time they were copied (the last: " + collected.getFirst() + " and " + (collected.size() - 1)
                        + " more); the garbage collector deletes faster than the backup copies, or blobs are missing "
                        + "from the store: run bollard backup again, or check the store");
            }
            LOG.info("backup: {} blob(s) of the snapshot were deleted by the collector since; taking a new snapshot",
                    collected.size());
            kept = 0; // counted again against the new snapshot
        }
    }

    /** The directory is new, empty, or an earlier (maybe interrupted) backup's: never someone's other files. */
    private static void prepare(BackupLayout layout) throws IOException {
        Path root = layout.root();
        Files.createDirectories(root);
        try (Stream<Path> entries = Files.list(root)) {
            if (!entries.allMatch(layout::writes)) {
                throw BollardException.invalid(root + " is neither empty nor an earlier Bollard backup (it has no "
                        + "backup.json): give a new or empty directory");
            }
        }
    }

    /** Copies one blob from the store, verified; false when the store no longer has it. */
    private static boolean copy(BlobStore store, Snapshot.Blob blob, Path target) throws IOException {
        Digest digest = blob.digest();
        OptionalLong size = store.size(digest);
        if (size.isEmpty()) {
            return false;
        }
        Files.createDirectories(target.getParent());
        Path partial = target.resolveSibling(target.getFileName() + ".partial");
        MessageDigest hash = digest.algorithm().newMessageDigest();
        try (SeekableByteChannel channel = store.open(digest); InputStream in = Channels.newInputStream(channel);
             FileChannel file = FileChannel.open(partial, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                     StandardOpenOption.TRUNCATE_EXISTING);
             OutputStream out = new DigestOutputStream(Channels.newOutputStream(file), hash)) {
            long written = in.transferTo(out);
            out.flush();
            file.force(false);
            Digest actual = Digest.of(digest.algorithm(), hash.digest());
            if (!actual.equals(digest) || written != blob.size()) {
                throw new IOException("blob " + digest + " in the blob store is damaged: its " + written
                        + " bytes hash to " + actual + " (the database says " + blob.size() + " bytes); the backup "
                        + "stops rather than copy it. Restore that blob from an earlier backup or push its image again");
            }
        } catch (NoSuchFileException e) {
            Files.deleteIfExists(partial);
            return false;
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(partial);
            throw e;
        }
        Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE);
        return true;
    }

    /**
     * Makes the backup whole: the snapshot in place, the blob list, the key if asked, the description last (a
     * directory without a current description is an unfinished backup), then the blobs no longer named removed.
     */
    private static Report finish(BackupLayout layout, Path snapshot, Snapshot.Contents contents,
                                 @Nullable Path keyEncryptionKey, Instant taken, Instant started, int copied,
                                 long copiedBytes, int kept, int snapshots) throws IOException {
        Files.move(snapshot, layout.database(), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        StringBuilder list = new StringBuilder();
        Set<Path> named = new HashSet<>();
        for (Snapshot.Blob blob : contents.blobs()) {
            list.append(blob.digest()).append('\t').append(blob.size()).append('\n');
            named.add(layout.blob(blob.digest()));
        }
        writeAtomically(layout.blobList(), list.toString().getBytes(StandardCharsets.UTF_8));
        Files.deleteIfExists(layout.keyEncryptionKey());
        if (keyEncryptionKey != null) {
            KeyEncryption.writeKeyFile(layout.keyEncryptionKey(), Files.readAllBytes(keyEncryptionKey));
        }
        BackupDescription description = new BackupDescription(taken, contents.blobs().size(), contents.bytes(),
                contents.sealedWith(), keyEncryptionKey != null);
        writeAtomically(layout.description(), Json.PRETTY.writeValueAsBytes(description.toJson()));
        int removed = 0;
        if (Files.isDirectory(layout.blobs())) {
            try (Stream<Path> files = Files.walk(layout.blobs())) {
                for (Path file : files.filter(Files::isRegularFile).filter(f -> !named.contains(f)).toList()) {
                    Files.delete(file);
                    removed++;
                }
            }
        }
        return new Report(description, layout.root(), copied, copiedBytes, kept, removed, snapshots,
                Duration.between(started, Instant.now()));
    }

    static void writeAtomically(Path target, byte[] content) throws IOException {
        Path partial = target.resolveSibling(target.getFileName() + ".partial");
        try (FileChannel file = FileChannel.open(partial, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            file.write(java.nio.ByteBuffer.wrap(content));
            file.force(false);
        }
        Files.move(partial, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
