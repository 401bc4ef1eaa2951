package dev.bollard.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bollard.config.BollardConfig;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** {@code registry.delete-enabled: false}: every delete is 405 UNSUPPORTED and deletes nothing. */
class DeleteDisabledTest extends ConformanceSupport {

    @Override
    BollardConfig config(Path dataDir) {
        return configWith(dataDir, "registry.delete-enabled", "false");
    }

    @Test
    void manifestDeleteByDigestIs405AndKeepsEverything() {
        String repo = repo("no-delete");
        Image image = pushImage(repo, "v1");
        assertError(delete("/v2/" + repo + "/manifests/" + image.digest()), 405, "UNSUPPORTED");
        assertStatus(get("/v2/" + repo + "/manifests/" + image.digest()), 200);
        assertStatus(get("/v2/" + repo + "/manifests/v1"), 200);
        assertThat(tags(repo)).containsExactly("v1");
    }

    @Test
    void tagDeleteIs405AndKeepsTheTag() {
        String repo = repo("no-delete");
        pushImage(repo, "v1");
        assertError(delete("/v2/" + repo + "/manifests/v1"), 405, "UNSUPPORTED");
        assertStatus(get("/v2/" + repo + "/manifests/v1"), 200);
        assertThat(tags(repo)).containsExactly("v1");
    }

    @Test
    void blobDeleteIs405AndKeepsTheBlob() {
        String repo = repo("no-delete");
        byte[] content = Oci.randomBytes(40);
        String digest = pushBlob(repo, content);
        assertError(delete("/v2/" + repo + "/blobs/" + digest), 405, "UNSUPPORTED");
        Resp r = get("/v2/" + repo + "/blobs/" + digest);
        assertStatus(r, 200);
        assertThat(r.body()).isEqualTo(content);
    }

    @Test
    void pushAndPullStillWork() {
        String repo = repo("no-delete");
        Image image = pushImage(repo, "v1");
        Resp r = get("/v2/" + repo + "/manifests/v1");
        assertStatus(r, 200);
        assertThat(r.body()).isEqualTo(image.bytes());
    }
}
