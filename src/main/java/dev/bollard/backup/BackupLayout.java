package dev.bollard.backup;

import dev.bollard.oci.Digest;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * Where a backup directory keeps what, for the writer and the reader alike. Blobs are files named by their digest,
 * so a second backup into the same directory copies only the blobs the first did not have.
 */
record BackupLayout(Path root) {

    /** The description of the backup, written last: a directory without it holds no finished backup. */
    Path description() {
        return root.resolve("backup.json");
    }

    /** The database snapshot, as H2's {@code BACKUP TO} writes it. */
    Path database() {
        return root.resolve("database.zip");
    }

    /** Every blob of the snapshot, one {@code digest<TAB>size} a line, for people and scripts. */
    Path blobList() {
        return root.resolve("blobs.tsv");
    }

    Path blobs() {
        return root.resolve("blobs");
    }

    Path blob(Digest digest) {
        return blobs().resolve(digest.algorithm().prefix()).resolve(digest.hex().substring(0, 2)).resolve(digest.hex());
    }

    /** The snapshot while it is being taken. */
    Path partialDatabase() {
        return root.resolve("database.zip.partial");
    }

    /**
     * Whether {@code entry}, directly in the root, is one this layout writes, so that a directory holding only such
     * entries is a backup (finished or interrupted) and nobody's other files.
     */
    boolean writes(Path entry) {
        String name = entry.getFileName().toString();
        String whole = name.endsWith(".partial") ? name.substring(0, name.length() - ".partial".length()) : name;
        return Stream.of(description(), database(), blobList(), blobs(), keyEncryptionKey())
                .anyMatch(own -> own.getFileName().toString().equals(whole))
                || (name.startsWith(".key-encryption-key") && name.endsWith(".tmp")); // KeyEncryption.writeKeyFile's
    }

    /** The key-encryption key, present only when the backup was asked to carry it. */
    Path keyEncryptionKey() {
        return root.resolve("key-encryption-key");
    }
}
