package dev.bollard.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.bollard.oci.Digest;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FilesystemBlobStoreTest extends BlobStoreContract {
    @TempDir
    Path dir;

    @Override
    protected BlobStore newStore() throws Exception {
        return new FilesystemBlobStore(dir.resolve("blobs"), dir.resolve("uploads"));
    }

    @Test
    void blobsLiveUnderAlgorithmAndHexPrefix() throws Exception {
        Digest d = Digest.sha256(new byte[] {1, 2, 3});
        store.commitUpload("u1", stage("u1", new byte[] {1, 2, 3}), d, 3);
        Path expected = dir.resolve("blobs/sha256").resolve(d.hex().substring(0, 2)).resolve(d.hex());
        assertThat(expected).exists().hasBinaryContent(new byte[] {1, 2, 3});
        assertThat(Files.list(dir.resolve("uploads"))).isEmpty();
    }

    @Test
    void uploadIdsCannotEscapeTheStagingDirectory() {
        assertThatThrownBy(() -> store.createUpload("../evil")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> store.appendUpload("a/b", 0, "")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void commitTakesOnlyTheGivenSize() throws Exception {
        Digest d = Digest.sha256("01234".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        store.commitUpload("u2", stage("u2", "0123456789".getBytes(java.nio.charset.StandardCharsets.UTF_8)), d, 5);
        assertThat(readAll(store.open(d))).asString(java.nio.charset.StandardCharsets.UTF_8).isEqualTo("01234");
    }
}
