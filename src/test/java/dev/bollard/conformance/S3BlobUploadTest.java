package dev.bollard.conformance;

import dev.bollard.config.BollardConfig;
import java.nio.file.Path;

/** {@link BlobUploadTest} against a registry whose blobs are in S3 (a real S3-compatible server, s3proxy). */
class S3BlobUploadTest extends BlobUploadTest {
    @Override
    BollardConfig config(Path dataDir) {
        return s3ConfigWith(dataDir);
    }
}
