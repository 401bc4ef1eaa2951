package dev.bollard.clients;

import static dev.bollard.clients.Exec.ok;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.bollard.config.BollardConfig;
import dev.bollard.jobs.GarbageCollector;
import dev.bollard.storage.FilesystemBlobStore;
import dev.bollard.testing.Requirements;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * skopeo 1.9 against Bollard with a multi-layer image that umoci builds locally: push, inspect, list-tags, pull
 * back with every digest kept, repository-to-repository copy through cross-repository blob mounts, delete.
 */
class SkopeoTest {
    private static final String TAG = "v1";

    @TempDir
    static Path classDir;

    /** The umoci-built image, tag {@value #TAG}. */
    private static OciLayout source;
    private static OciLayout.Descriptor sourceManifest;
    private static List<String> sourceLayers;
    private static Map<String, String> sourceBlobs;

    @TempDir
    Path dir;

    private RegistryUnderTest registry;
    private Skopeo skopeo;

    @BeforeAll
    static void buildImageWithUmoci() throws Exception {
        Requirements.onPath("skopeo", "umoci");
        Exec umoci = new Exec(classDir);
        Path layout = classDir.resolve("source");
        String image = layout + ":" + TAG;
        List<String> rootless = "root".equals(System.getProperty("user.name")) ? List.of() : List.of("--rootless");

        Path files = Files.createDirectories(classDir.resolve("files"));
        Path motd = Files.writeString(files.resolve("motd"), "Bollard client test image\n");
        byte[] random = new byte[4 * 1024 * 1024 + 12_345];
        ThreadLocalRandom.current().nextBytes(random);
        Path big = Files.write(files.resolve("random.bin"), random);
        Path appJson = Files.writeString(files.resolve("app.json"), "{\"name\":\"bollard-client-test\"}\n");
        Path share = Files.createDirectories(files.resolve("share"));
        for (int i = 0; i < 5; i++) {
            Files.writeString(share.resolve("doc-" + i + ".txt"), "document " + i + "\n".repeat(i + 1));
        }

        umoci.ok("umoci", "init", "--layout", layout.toString());
        umoci.ok("umoci", "new", "--image", image);
        umoci.ok(Exec.concat(Exec.concat(List.of("umoci", "insert"), rootless.toArray(String[]::new)),
                "--image", image, motd.toString(), "/etc/motd"));
        umoci.ok(Exec.concat(Exec.concat(List.of("umoci", "insert"), rootless.toArray(String[]::new)),
                "--image", image, big.toString(), "/data/random.bin"));
        umoci.ok(Exec.concat(Exec.concat(List.of("umoci", "insert"), rootless.toArray(String[]::new)),
                "--image", image, appJson.toString(), "/opt/app/app.json"));
        umoci.ok(Exec.concat(Exec.concat(List.of("umoci", "insert"), rootless.toArray(String[]::new)),
                "--image", image, share.toString(), "/usr/share/bollard"));
        umoci.ok("umoci", "config", "--image", image, "--architecture", "amd64", "--os", "linux",
                "--config.cmd", "/bin/true");
        umoci.ok("umoci", "gc", "--layout", layout.toString());

        source = new OciLayout(layout);
        sourceManifest = source.resolve(TAG);
        sourceLayers = source.layerDigests(sourceManifest.digest());
        sourceBlobs = source.reachable(sourceManifest);
        assertThat(sourceLayers).as("umoci made one layer per insert").hasSize(4);
        assertThat(sourceLayers.stream().mapToLong(d -> source.readBlob(d).length).max().orElse(0))
                .as("one layer holds megabytes of incompressible bytes").isGreaterThan(4_000_000L);
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

    private String sourceRef() {
        return "oci:" + source.root() + ":" + TAG;
    }

    private void push(String repo, String tag) {
        ok(skopeo.copy(sourceRef(), registry.docker(repo, ":" + tag)));
    }

    /** Pulls {@code dockerRef} into a new layout and checks every blob against the umoci original. */
    private OciLayout pullAndCompare(String dockerRef, String name) {
        Path layout = dir.resolve(name);
        ok(skopeo.copy(dockerRef, "oci:" + layout + ":" + TAG));
        OciLayout pulled = new OciLayout(layout);
        OciLayout.Descriptor m = pulled.resolve(TAG);
        assertThat(m.digest()).as("manifest digest after pulling %s", dockerRef).isEqualTo(sourceManifest.digest());
        Map<String, String> blobs = pulled.reachable(m);
        assertThat(blobs).as("blobs (digest → media type) pulled from %s", dockerRef).isEqualTo(sourceBlobs);
        for (String digest : blobs.keySet()) {
            assertThat(pulled.readBlob(digest)).as("bytes of %s pulled from %s", digest, dockerRef)
                    .isEqualTo(source.readBlob(digest));
        }
        assertThat(pulled.corruptBlobs()).as("blobs in %s whose content does not match their name", layout).isEmpty();
        return pulled;
    }

    @Test
    void pushThenInspectAndListTags() {
        push("ns/app", "v1");
        push("ns/app", "v2");

        Exec.Result raw = ok(skopeo.cmd("inspect", "--raw", registry.docker("ns/app", ":v1")));
        String original = new String(source.readBlob(sourceManifest.digest()), StandardCharsets.UTF_8);
        assertThat(raw.stdout()).as("skopeo inspect --raw returns the pushed manifest byte for byte")
                .isIn(original, original + "\n");

        JsonNode info = OciLayout.parse(ok(skopeo.cmd("inspect", registry.docker("ns/app", ":v1"))).stdout());
        assertThat(info.path("Name").asText()).isEqualTo(registry.ref("ns/app", ""));
        assertThat(info.path("Digest").asText()).isEqualTo(sourceManifest.digest());
        List<String> layers = new ArrayList<>();
        info.path("Layers").forEach(l -> layers.add(l.asText()));
        assertThat(layers).as("Layers of skopeo inspect").containsExactlyElementsOf(sourceLayers);
        assertThat(info.path("Architecture").asText()).isEqualTo("amd64");
        assertThat(info.path("Os").asText()).isEqualTo("linux");
        List<String> repoTags = new ArrayList<>();
        info.path("RepoTags").forEach(t -> repoTags.add(t.asText()));
        assertThat(repoTags).containsExactly("v1", "v2");

        JsonNode tags = OciLayout.parse(ok(skopeo.cmd("list-tags", registry.docker("ns/app", ""))).stdout());
        assertThat(tags.path("Repository").asText()).isEqualTo(registry.ref("ns/app", ""));
        List<String> listed = new ArrayList<>();
        tags.path("Tags").forEach(t -> listed.add(t.asText()));
        assertThat(listed).as("skopeo list-tags").containsExactly("v1", "v2");
    }

    @Test
    void pullBackKeepsEveryBlobDigest() {
        push("ns/app", "v1");
        pullAndCompare(registry.docker("ns/app", ":v1"), "pulled-by-tag");
        pullAndCompare(registry.docker("ns/app", "@" + sourceManifest.digest()), "pulled-by-digest");
    }

    @Test
    void repositoryToRepositoryCopyMountsTheLayersInsteadOfUploadingThem() throws Exception {
        push("ns/app", "v1");

        Exec.Result copy = ok(skopeo.copy(List.of("--debug"), registry.docker("ns/app", ":v1"),
                registry.docker("other/app", ":v1")));
        String log = copy.output();
        String from = URLEncoder.encode(registry.repo("ns/app"), StandardCharsets.UTF_8);
        String target = registry.repo("other/app");
        for (String layer : sourceLayers) {
            // c/image's dockerImageDestination.mountBlob logs "Trying to mount …", then "... mount OK" on 201;
            // copy.go logs "Skipping blob … (already present)" once the destination reports the blob reused.
            assertThat(log).as("skopeo asked to mount %s from %s (debug log in the message)\n%s", layer, from, copy.describe())
                    .contains("Trying to mount /v2/" + target + "/blobs/uploads/?from=" + from + "&mount="
                            + URLEncoder.encode(layer, StandardCharsets.UTF_8));
            assertThat(log).as("skopeo reused %s (debug log in the message)\n%s", layer, copy.describe())
                    .contains("Skipping blob " + layer + " (already present)");
            assertThat(log).as("skopeo did not upload %s\n%s", layer, copy.describe())
                    .doesNotContain("Upload of layer " + layer + " complete");
            assertThat(log).as("skopeo did not download %s from the source repository\n%s", layer, copy.describe())
                    .doesNotContain("GET http://" + registry.hostPort() + "/v2/" + registry.repo("ns/app") + "/blobs/" + layer);
        }
        assertThat(countOf(log, "... mount OK")).as("number of mounts answered 201\n%s", copy.describe())
                .isEqualTo(sourceLayers.size());
        assertThat(log).as("no mount fell back to an upload session\n%s", copy.describe())
                .doesNotContain("started an upload instead").doesNotContain("Error mounting");

        for (String layer : sourceLayers) {
            HttpResponse<Void> head = registry.head("/v2/" + target + "/blobs/" + layer);
            assertThat(head.statusCode()).as("HEAD /v2/%s/blobs/%s after the mount", target, layer).isEqualTo(200);
        }
        pullAndCompare(registry.docker("other/app", ":v1"), "pulled-from-other");
    }

    @Test
    void deleteRemovesTheManifestButTheCopyInAnotherRepositoryStillPulls() throws Exception {
        push("ns/app", "v1");
        ok(skopeo.copy(registry.docker("ns/app", ":v1"), registry.docker("other/app", ":v1")));

        ok(skopeo.cmd("delete", registry.docker("ns/app", ":v1")));

        Exec.Result inspect = skopeo.cmd("inspect", registry.docker("ns/app", ":v1"));
        assertThat(inspect.ok()).as("inspect after delete must fail\n%s", inspect.describe()).isFalse();
        assertThat(inspect.output()).as("inspect after delete\n%s", inspect.describe()).contains("manifest unknown");

        HttpResponse<byte[]> byDigest = registry.get("/v2/" + registry.repo("ns/app") + "/manifests/" + sourceManifest.digest(),
                RegistryUnderTest.acceptManifests());
        assertThat(byDigest.statusCode()).as("GET the deleted manifest by digest: %s",
                new String(byDigest.body(), StandardCharsets.UTF_8)).isEqualTo(404);
        assertThat(OciLayout.parse(byDigest.body()).path("errors").path(0).path("code").asText())
                .isEqualTo("MANIFEST_UNKNOWN");

        Exec.Result tags = skopeo.cmd("list-tags", registry.docker("ns/app", ""));
        if (tags.ok()) {
            assertThat(OciLayout.parse(tags.stdout()).path("Tags").toString()).as("tags of ns/app after delete")
                    .doesNotContain("\"v1\"");
        }

        JsonNode other = OciLayout.parse(ok(skopeo.cmd("inspect", registry.docker("other/app", ":v1"))).stdout());
        assertThat(other.path("Digest").asText()).isEqualTo(sourceManifest.digest());
        pullAndCompare(registry.docker("other/app", ":v1"), "pulled-from-other-after-delete");
    }

    /**
     * Garbage collection with skopeo's images: a layer shared by a copy in another repository stays while that copy
     * is tagged (and pulls back intact after a collection), and goes with the last reference.
     */
    @Test
    void garbageCollectionKeepsWhatATagStillReferencesAndReclaimsTheRest() throws Exception {
        Assumptions.assumeTrue(registry.embedded() != null, "collects through the registry's database: embedded only");
        push("ns/app", "v1");
        ok(skopeo.copy(registry.docker("ns/app", ":v1"), registry.docker("other/app", ":v1")));
        ok(skopeo.cmd("delete", registry.docker("ns/app", ":v1")));
        BollardConfig config = BollardConfig.defaults(registry.embedded().dataDir(), "127.0.0.1", 0);
        GarbageCollector collector = new GarbageCollector(registry.embedded().server().database(),
                new FilesystemBlobStore(config.storage().path(), config.uploads().stagingPath()),
                new GarbageCollector.Settings(Duration.ZERO, Duration.ZERO), new SimpleMeterRegistry());

        GarbageCollector.Report first = collector.collect(false);
        assertThat(first.blobs()).as("every blob is still referenced by other/app:v1: %s", first.listed()).isZero();
        assertThat(first.links()).as("ns/app's links to the deleted image's blobs").isEqualTo(sourceBlobs.size() - 1);
        pullAndCompare(registry.docker("other/app", ":v1"), "pulled-after-gc");

        ok(skopeo.cmd("delete", registry.docker("other/app", ":v1")));
        GarbageCollector.Report second = collector.collect(false);
        assertThat(second.blobs()).as("layers and config").isEqualTo(sourceBlobs.size() - 1);
        for (String layer : sourceLayers) {
            assertThat(Files.exists(config.storage().path().resolve("sha256").resolve(layer.substring(7, 9))
                    .resolve(layer.substring(7)))).as("file of layer %s", layer).isFalse();
        }
        Exec.Result pull = skopeo.copy(registry.docker("other/app", "@" + sourceManifest.digest()),
                "oci:" + dir.resolve("gone") + ":" + TAG);
        assertThat(pull.ok()).as("pull of the collected image\n%s", pull.describe()).isFalse();
    }

    /**
     * A layout with uncompressed layers pushed with {@code --dest-compress-format gzip}: skopeo compresses on the fly
     * and so streams each layer without a Content-Length (chunked PATCH), as buildah and podman push do.
     */
    @Test
    void pushCompressingOnTheFlyStreamsLayersOfUnknownLength() {
        byte[] random = new byte[1024 * 1024 + 99];
        ThreadLocalRandom.current().nextBytes(random);
        List<Map<String, byte[]>> files = List.of(
                Map.of("etc/hello", "uncompressed on disk, gzip in the registry\n".getBytes(StandardCharsets.UTF_8)),
                Map.of("data/random.bin", random));
        OciLayout plain = OciLayout.create(dir.resolve("uncompressed"));
        OciLayout.Descriptor m = plain.writeImage("linux", "amd64", files, false);
        plain.tag(m, "u");
        JsonNode config = OciLayout.parse(plain.readBlob(OciLayout.parse(plain.readBlob(m.digest())).path("config").path("digest").asText()));

        Exec.Result push = ok(skopeo.copy(List.of("--debug"), "--dest-compress-format", "gzip", "oci:" + plain.root() + ":u",
                registry.docker("ns/gz", ":v1")));
        assertThat(push.output()).as("skopeo took the compress-on-the-fly path\n%s", push.describe())
                .contains("Compressing blob on the fly");

        Path back = dir.resolve("gz-back");
        ok(skopeo.copy(registry.docker("ns/gz", ":v1"), "oci:" + back + ":u"));
        OciLayout pulled = new OciLayout(back);
        JsonNode manifest = OciLayout.parse(pulled.readBlob(pulled.resolve("u").digest()));
        assertThat(manifest.path("layers")).hasSize(2);
        for (int n = 0; n < 2; n++) {
            int i = n;
            JsonNode layer = manifest.path("layers").path(i);
            assertThat(layer.path("mediaType").asText()).isEqualTo(OciLayout.OCI_LAYER_GZIP);
            byte[] tar = Tar.gunzip(pulled.readBlob(layer.path("digest").asText()));
            assertThat(OciLayout.sha256(tar)).as("layer %s decompresses to the original tar (diff_id)", i)
                    .isEqualTo(config.path("rootfs").path("diff_ids").path(i).asText());
            Map<String, byte[]> got = Tar.files(tar);
            files.get(i).forEach((path, content) -> assertThat(got.get(path)).as("%s in layer %s", path, i).isEqualTo(content));
        }
        assertThat(pulled.corruptBlobs()).isEmpty();
    }

    private static int countOf(String haystack, String needle) {
        int n = 0;
        for (int i = haystack.indexOf(needle); i >= 0; i = haystack.indexOf(needle, i + needle.length())) {
            n++;
        }
        return n;
    }
}
