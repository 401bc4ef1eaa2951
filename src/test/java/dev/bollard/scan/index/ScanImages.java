package dev.bollard.scan.index;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bollard.app.Bollard;
import dev.bollard.clients.Exec;
import dev.bollard.clients.OciLayout;
import dev.bollard.clients.Skopeo;
import dev.bollard.config.BollardConfig;
import dev.bollard.oci.Manifest;
import dev.bollard.oci.ManifestParser;
import dev.bollard.scan.Inventory;
import dev.bollard.storage.BlobStore;
import dev.bollard.testing.TestRegistry;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Images for the indexer's tests, pushed with skopeo to a real registry and indexed from its blob store. */
final class ScanImages {
    static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";

    private ScanImages() {
    }

    /** A gzip layer of {@code tar}. */
    static OciLayout.LayerBlob gzipLayer(byte[] tar) {
        return new OciLayout.LayerBlob("application/vnd.oci.image.layer.v1.tar+gzip", TarBuilder.gzip(tar),
                OciLayout.sha256(tar));
    }

    /** The tar of a directory as GNU tar writes it (numeric owners, sorted names), read back into memory. */
    static byte[] tarOfDirectory(Path dir, Path work) throws Exception {
        Path out = Files.createTempFile(work, "layer", ".tar");
        new Exec(work).ok("tar", "--numeric-owner", "--sort=name", "-C", dir.toString(), "-cf", out.toString(), ".");
        byte[] tar = Files.readAllBytes(out);
        Files.delete(out);
        return tar;
    }

    /**
     * Writes an image of {@code layers} to an OCI layout, pushes it with skopeo to {@code registry} as
     * {@code repository:tag}, and returns its manifest as the registry serves it.
     */
    static Manifest.Image push(TestRegistry registry, Path work, String repository, String tag,
                               List<OciLayout.LayerBlob> layers) throws Exception {
        Path layoutDir = Files.createTempDirectory(work, "layout");
        OciLayout layout = OciLayout.create(layoutDir);
        layout.tag(layout.writeImage(layers), tag);
        Exec.Result pushed = new Skopeo(work).copy("oci:" + layoutDir + ":" + tag,
                "docker://" + registry.hostPort() + "/" + repository + ":" + tag);
        assertThat(pushed.ok()).as(pushed.describe()).isTrue();
        HttpResponse<byte[]> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        registry.uri("/v2/" + repository + "/manifests/" + tag)).header("Accept", OCI_MANIFEST).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(response.statusCode()).isEqualTo(200);
        return (Manifest.Image) ManifestParser.parse(response.body(),
                response.headers().firstValue("Content-Type").orElse(OCI_MANIFEST));
    }

    /** Indexes a pushed image from the registry's own blob store, as scan-on-push does. */
    static Inventory indexFromRegistry(TestRegistry registry, Manifest.Image manifest, ImageIndexer indexer)
            throws Exception {
        try (BlobStore store = Bollard.openStore(BollardConfig.defaults(registry.dataDir(), "127.0.0.1", 0))) {
            return indexer.index(store, manifest);
        }
    }
}
