package dev.bollard.conformance;

import dev.bollard.config.BollardConfig;
import java.nio.file.Path;

/** {@link BlobPullTest} against a registry whose blobs are in S3 (a real S3-compatible server, s3proxy). */
class S3BlobPullTest extends BlobPullTest {
    @Override
    BollardConfig config(Path dataDir) {
        return s3ConfigWith(dataDir);
    }
}
