package dev.bollard.registry;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bollard.config.BollardConfig;
import dev.bollard.config.ConfigLoader;
import dev.bollard.oci.Digest;
import dev.bollard.oci.DigestAlgorithm;
import dev.bollard.oci.RepositoryName;
import dev.bollard.storage.BlobStore;
import dev.bollard.storage.S3BlobStore;
import dev.bollard.testing.S3Server;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link BlobUploadsTest} with blobs in S3 (s3proxy), where the running hash is saved with the session; and two
 * registries on one database and one bucket taking turns in one session, as two nodes do.
 */
class S3BlobUploadsTest extends BlobUploadsTest {
    private String bucket;
    private final java.util.List<BlobStore> opened = new java.util.ArrayList<>();

    @org.junit.jupiter.api.AfterEach
    void closeStores() {
        opened.forEach(BlobStore::close);
    }

    @Override
    BlobStore store(String node) throws IOException {
        S3Server s3 = S3Server.shared();
        if (bucket == null) {
            bucket = s3.createBucket();
        }
        ConfigLoader.Builder config = ConfigLoader.builder();
        s3.settings(bucket).forEach(config::set);
        BlobStore store = S3BlobStore.open(config.load().storage().s3(), dir.resolve(node));
        opened.add(store);
        return store;
    }

    @Test
    void twoNodesTakeTurnsInOneSessionWithoutReadingBack() throws IOException {
        RepositoryName repo = RepositoryName.parse("test/two-nodes");
        Registry other = registryOn(store("node-b"));
        byte[] content = new byte[13 * 1024 * 1024 + 5];
        new Random(3).nextBytes(content);
        Digest digest = Digest.of(DigestAlgorithm.SHA256, DigestAlgorithm.SHA256.newMessageDigest().digest(content));
        UploadStatus session = registry.uploads().start(repo);
        int offset = 0;
        int[] sizes = {1_000_000, 6 * 1024 * 1024, 17, 4 * 1024 * 1024};
        for (int i = 0; i < sizes.length; i++) {
            Registry node = i % 2 == 0 ? other : registry;
            UploadStatus status = node.uploads().append(repo, session.uploadId(),
                    new ByteArrayInputStream(content, offset, sizes[i]), (long) offset, (long) sizes[i]);
            offset += sizes[i];
            assertThat(status.size()).isEqualTo(offset);
        }
        int rest = content.length - offset;
        BlobInfo info = other.uploads().complete(repo, session.uploadId(), digest,
                new ByteArrayInputStream(content, offset, rest), (long) rest);
        assertThat(info).isEqualTo(new BlobInfo(digest, content.length));
        assertThat(registry.blobs().stat(repo, digest).size()).isEqualTo(content.length);
    }
}
