package dev.bollard.backup;

import dev.bollard.config.BollardConfig;
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
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.Set;
import java.util.UUID;
import org.jspecify.annotations.Nullable;

/**
 * Restores a backup into a registry that has no database yet: the blobs first, each verified against its digest as
 * it is stored, then the database file, put in place whole. A restore that fails part way leaves no database (so
 * it can run again, and stored blobs are not copied twice) and never a database naming a blob the store lacks.
 * Opening the restored database migrates it, so a backup of an earlier version restores into a later one.
 */
public final class Restore {

    /**
     * What a restore did: the backup's description, blobs stored and already present, and where it installed the
     * backup's key-encryption key (null when it did not).
     */
    public record Report(BackupDescription description, int stored, long storedBytes, int present,
                         @Nullable Path keyInstalled, Duration took) {
    }

    private Restore() {
    }

    public static Report into(Path from, BollardConfig.Database database, BollardConfig.KeyEncryption keys,
                              BlobStore store) throws IOException {
        Instant started = Instant.now();
        BackupLayout layout = new BackupLayout(from);
        if (!Files.isRegularFile(layout.description())) {
            throw BollardException.invalid(from + " holds no finished Bollard backup (no backup.json there)");
        }
        BackupDescription description = BackupDescription.parse(Json.MAPPER.readTree(layout.description().toFile()),
                layout.description().toString());
        Path databaseFile = Database.embeddedFile(database);
        if (databaseFile == null) {
            throw BollardException.invalid("bollard restore restores into the embedded database; this configuration "
                    + "names " + database.url() + " (for PostgreSQL, restore the pg_dump and the blob store: "
                    + "docs/operations.md, Backup and restore)");
        }
        if (Files.exists(databaseFile)) {
            throw BollardException.conflict(databaseFile + " exists: a restore goes into a registry without a database "
                    + "(a new --data directory, or move the old database away first)");
        }
        Path keyInstalled = checkKeys(description, layout, keys);
        Snapshot.Contents contents = Snapshot.read(layout.database());
        int stored = 0;
        long storedBytes = 0;
        int present = 0;
        for (Snapshot.Blob blob : contents.blobs()) {
            OptionalLong size = store.size(blob.digest());
            if (size.isPresent() && size.getAsLong() == blob.size()) {
                present++;
                continue;
            }
            store(store, blob, layout.blob(blob.digest()));
            stored++;
            storedBytes += blob.size();
        }
        Files.createDirectories(databaseFile.toAbsolutePath().getParent());
        Snapshot.extract(layout.database(), databaseFile);
        try (Database opened = Database.open(database)) {
            opened.read(h -> h.execute("SELECT 1"));
        }
        return new Report(description, stored, storedBytes, present, keyInstalled,
                Duration.between(started, Instant.now()));
    }

    /**
     * The secrets in the backup must open with the key-encryption keys the restored registry will have: the
     * configured ones, or the key the backup carries, installed where the configuration expects it. Checked before
     * anything is written, since a registry whose signing keys do not open does not start.
     */
    private static @Nullable Path checkKeys(BackupDescription description, BackupLayout layout,
                                            BollardConfig.KeyEncryption keys) throws IOException {
        List<String> needed = description.sealedWith();
        boolean configured = !keys.key().isEmpty() || Files.exists(keys.file());
        Path installed = null;
        if (!configured && description.carriesKeyEncryptionKey()) {
            KeyEncryption.writeKeyFile(keys.file(), Files.readAllBytes(layout.keyEncryptionKey()));
            installed = keys.file();
            configured = true;
        }
        if (needed.isEmpty()) {
            return installed;
        }
        if (!configured) {
            throw BollardException.invalid("the backup's token signing keys are sealed with key-encryption key "
                    + String.join(", ", needed) + ", which this registry does not have: copy the key-encryption key "
                    + "file of the registry that was backed up to " + keys.file() + " (or set auth.key-encryption-key) "
                    + "and run bollard restore again; a backup taken with --include-key-encryption-key carries it");
        }
        KeyEncryption have = KeyEncryption.load(new BollardConfig.KeyEncryption(keys.key(), keys.file(), false,
                keys.previousFiles()));
        Set<String> ids = have.keyIds();
        List<String> missing = new ArrayList<>(needed.stream().filter(id -> !ids.contains(id)).toList());
        if (!missing.isEmpty()) {
            throw BollardException.invalid("the backup's token signing keys are sealed with key-encryption key "
                    + String.join(", ", missing) + ", but this registry's key is " + have.currentKeyId() + " (from "
                    + have.source() + "): list the backed-up registry's key file in "
                    + "auth.previous-key-encryption-key-files (the registry then re-seals with its own key at start)"
                    + (description.carriesKeyEncryptionKey() ? ", for example " + layout.keyEncryptionKey() : ""));
        }
        return installed;
    }

    /** Stores one blob of the backup in the blob store, its bytes verified against its digest before they count. */
    private static void store(BlobStore store, Snapshot.Blob blob, Path file) throws IOException {
        Digest digest = blob.digest();
        if (!Files.isRegularFile(file)) {
            throw new IOException("the backup lacks blob " + digest + " (" + file + "), which its database names: "
                    + "the backup is incomplete; restore an earlier one or take it again");
        }
        String upload = "restore-" + UUID.randomUUID();
        MessageDigest hash = digest.algorithm().newMessageDigest();
        long written;
        String state;
        boolean committed = false;
        try {
            String created = store.createUpload(upload);
            BlobStore.Append append = store.appendUpload(upload, 0, created);
            try (InputStream in = new DigestInputStream(Files.newInputStream(file), hash);
                 OutputStream out = Channels.newOutputStream(append)) {
                written = in.transferTo(out);
            }
            state = append.state();
            Digest actual = Digest.of(digest.algorithm(), hash.digest());
            if (!actual.equals(digest) || written != blob.size()) {
                throw new IOException("blob " + digest + " in the backup is damaged (" + file + ": " + written
                        + " bytes hashing to " + actual + "); nothing was restored from it. Restore an earlier backup");
            }
            store.commitUpload(upload, state, digest, written);
            committed = true;
        } finally {
            if (!committed) {
                store.deleteUpload(upload);
            }
        }
    }
}
