package dev.bollard.clients;

import static dev.bollard.clients.Exec.ok;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.bollard.testing.Requirements;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * skopeo 1.9 with a two-platform OCI image index (linux/amd64 and linux/arm64, each with layers of its own plus
 * one both share) that the test writes as an OCI layout itself: {@code copy --all} up, {@code inspect --raw}
 * returns the index, {@code --override-arch} resolves each platform's image, {@code copy --all} back keeps every
 * digest.
 */
class SkopeoMultiArchTest {
    private static final String TAG = "multi";
    private static final List<String> ARCHES = List.of("amd64", "arm64");

    @TempDir
    static Path classDir;

    private static OciLayout source;
    private static OciLayout.Descriptor index;
    /** Platform image manifests by architecture. */
    private static final Map<String, OciLayout.Descriptor> manifests = new LinkedHashMap<>();
    private static final Map<String, List<String>> layers = new LinkedHashMap<>();
    private static Map<String, String> sourceBlobs;

    @TempDir
    Path dir;

    private RegistryUnderTest registry;
    private Skopeo skopeo;

    @BeforeAll
    static void writeMultiArchLayout() {
        Requirements.onPath("skopeo");
        source = OciLayout.create(classDir.resolve("source"));
        Map<String, byte[]> shared = Map.of("usr/share/bollard/README", "shared by every platform\n".getBytes(StandardCharsets.UTF_8));

        for (String arch : ARCHES) {
            byte[] binary = new byte[256 * 1024 + arch.length()];
            ThreadLocalRandom.current().nextBytes(binary);
            OciLayout.Descriptor m = source.writeImage("linux", arch, List.of(shared,
                    Map.of("bin/app", binary),
                    Map.of("etc/platform", ("linux/" + arch + "\n").getBytes(StandardCharsets.UTF_8))));
            manifests.put(arch, m);
            layers.put(arch, source.layerDigests(m.digest()));
        }
        index = source.writeLinuxIndex(manifests);
        source.tag(index, TAG);
        sourceBlobs = source.reachable(index);
        assertThat(sourceBlobs).as("index, 2 manifests, 2 configs, 5 distinct layers").hasSize(10);
    }

    @BeforeEach
    void startRegistry() throws Exception {
        registry = RegistryUnderTest.start(dir.resolve("registry"));
        skopeo = new Skopeo(dir);
    }

    @AfterEach
    void stopRegistry() {
        if (registry != null) {
            registry.close();
        }
    }

    private void pushAll() {
        ok(skopeo.copy("--all", "oci:" + source.root() + ":" + TAG, registry.docker("ns/multi", ":v1")));
    }

    private static String text(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    @Test
    void copyAllPushesTheIndexAndInspectRawReturnsIt() {
        pushAll();

        Exec.Result raw = ok(skopeo.cmd("inspect", "--raw", registry.docker("ns/multi", ":v1")));
        String original = text(source.readBlob(index.digest()));
        assertThat(raw.stdout()).as("inspect --raw of the tag is the pushed index, byte for byte").isIn(original, original + "\n");
        JsonNode parsed = OciLayout.parse(raw.stdout());
        assertThat(parsed.path("mediaType").asText()).isEqualTo(OciLayout.OCI_INDEX);
        assertThat(parsed.path("manifests")).hasSize(2);

        for (String arch : ARCHES) {
            OciLayout.Descriptor m = manifests.get(arch);
            Exec.Result child = ok(skopeo.cmd("inspect", "--raw", registry.docker("ns/multi", "@" + m.digest())));
            String childOriginal = text(source.readBlob(m.digest()));
            assertThat(child.stdout()).as("inspect --raw of the %s manifest by digest", arch).isIn(childOriginal, childOriginal + "\n");
        }

        JsonNode tags = OciLayout.parse(ok(skopeo.cmd("list-tags", registry.docker("ns/multi", ""))).stdout());
        assertThat(tags.path("Tags").toString()).isEqualTo("[\"v1\"]");
    }

    @Test
    void overrideArchResolvesEachPlatformsImage() {
        pushAll();

        for (String arch : ARCHES) {
            Exec.Result r = ok(skopeo.cmd(List.of("--override-arch", arch, "--override-os", "linux"), "inspect",
                    registry.docker("ns/multi", ":v1")));
            JsonNode info = OciLayout.parse(r.stdout());
            // skopeo 1.9 reports the digest of the manifest it fetched (the index) and the details of the
            // platform image it resolved from it.
            assertThat(info.path("Digest").asText()).as("Digest for %s", arch).isEqualTo(index.digest());
            assertThat(info.path("Architecture").asText()).as("Architecture resolved with --override-arch %s", arch).isEqualTo(arch);
            assertThat(info.path("Os").asText()).isEqualTo("linux");
            List<String> got = new ArrayList<>();
            info.path("Layers").forEach(l -> got.add(l.asText()));
            assertThat(got).as("Layers resolved with --override-arch %s", arch).containsExactlyElementsOf(layers.get(arch));
        }

        // Without --all, a copy takes just the platform's image, unchanged.
        Path single = dir.resolve("arm64-only");
        ok(skopeo.copy(List.of("--override-arch", "arm64", "--override-os", "linux"), registry.docker("ns/multi", ":v1"),
                "oci:" + single + ":arm64"));
        OciLayout pulled = new OciLayout(single);
        assertThat(pulled.resolve("arm64").digest()).as("manifest copied with --override-arch arm64")
                .isEqualTo(manifests.get("arm64").digest());
        assertThat(pulled.layerDigests(manifests.get("arm64").digest())).containsExactlyElementsOf(layers.get("arm64"));
        assertThat(pulled.corruptBlobs()).isEmpty();
    }

    @Test
    void copyAllBackKeepsEveryDigest() {
        pushAll();

        Path back = dir.resolve("pulled");
        ok(skopeo.copy("--all", registry.docker("ns/multi", ":v1"), "oci:" + back + ":" + TAG));
        OciLayout pulled = new OciLayout(back);
        OciLayout.Descriptor top = pulled.resolve(TAG);
        assertThat(top.digest()).as("index digest after copy --all back").isEqualTo(index.digest());
        assertThat(top.mediaType()).isEqualTo(OciLayout.OCI_INDEX);
        Map<String, String> blobs = pulled.reachable(top);
        assertThat(blobs).as("every blob (digest → media type) reachable from the pulled index").isEqualTo(sourceBlobs);
        for (String digest : blobs.keySet()) {
            assertThat(pulled.readBlob(digest)).as("bytes of %s", digest).isEqualTo(source.readBlob(digest));
        }
        assertThat(pulled.corruptBlobs()).isEmpty();
    }
}
