package dev.bollard.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.bollard.oci.Digest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FilesystemBlobStoreTest extends BlobStoreContract {
    @TempDir
    Path dir;

    @Override
    protected BlobStore newStore() throws Exception {
        return new FilesystemBlobStore(dir.resolve("blobs"), dir.resolve("uploads"));
    }

    @Override
    protected BlobStore openAgain() throws Exception {
        return newStore();
    }

    @Override
    protected List<String> leftovers() throws Exception {
        return filesUnder(dir);
    }

    @Test
    void blobsLiveUnderAlgorithmAndHexPrefix() throws Exception {
        Digest d = Digest.sha256(new byte[] {1, 2, 3});
        store.commitUpload("u1", stage("u1", new byte[] {1, 2, 3}), d, 3);
        Path expected = dir.resolve("blobs/sha256").resolve(d.hex().substring(0, 2)).resolve(d.hex());
        assertThat(expected).exists().hasBinaryContent(new byte[] {1, 2, 3});
        try (Stream<Path> uploads = Files.list(dir.resolve("uploads"))) {
            assertThat(uploads).isEmpty();
        }
    }

    @Test
    void uploadIdsCannotEscapeTheStagingDirectory() {
        assertThatThrownBy(() -> store.createUpload("../evil")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> store.appendUpload("a/b", 0, "")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void commitTakesOnlyTheGivenSize() throws Exception {
        Digest d = Digest.sha256("01234".getBytes(StandardCharsets.UTF_8));
        store.commitUpload("u2", stage("u2", "0123456789".getBytes(StandardCharsets.UTF_8)), d, 5);
        assertThat(readAll(store.open(d))).asString(StandardCharsets.UTF_8).isEqualTo("01234");
    }

    @Test
    void aBlobWrittenWhileABackgroundSyncRunsIsWhole() throws Exception {
        // Crossing 32 MiB starts a sync on another thread, which the append's close leaves to close the file.
        byte[] content = random((32 << 20) + 4096, 21);
        String state = append("u3", 0, store.createUpload("u3"), Arrays.copyOf(content, 32 << 20));
        state = append("u3", 32 << 20, state, Arrays.copyOfRange(content, 32 << 20, content.length));
        Digest d = Digest.sha256(content);
        store.commitUpload("u3", state, d, content.length);
        assertThat(readAll(store.open(d))).isEqualTo(content);
    }
}
