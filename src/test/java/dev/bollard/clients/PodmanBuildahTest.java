package dev.bollard.clients;

import static dev.bollard.clients.Exec.ok;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.bollard.testing.Requirements;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * buildah 1.28 and podman 4.3 as root with the vfs storage driver, each with a private storage root under the
 * test's temp dir: {@code buildah bud} of a {@code FROM scratch} + {@code COPY} Containerfile, {@code buildah push}
 * to Bollard, {@code podman pull} (by tag and by digest), {@code podman push} to another repository and tag; what
 * lands in the registry is checked over HTTP down to the files in the layers. A second test runs the podman part
 * on an image skopeo pushed, so that podman's results stay visible whatever buildah's push does. Skipped, with the
 * reason, where buildah or podman cannot work on the machine before any registry is involved.
 *
 * <p>Not private: the blob-info cache c/image keeps for root in /var/lib/containers/cache (no flag moves it), which
 * lets podman push reuse (mount) the layers it has just pulled instead of uploading re-compressed ones.
 */
class PodmanBuildahTest {
    private static final String HELLO = "hello from buildah, via Bollard\n";

    @TempDir
    Path dir;

    private List<String> buildah() {
        return List.of("buildah", "--root", dir.resolve("buildah-root").toString(),
                "--runroot", dir.resolve("buildah-runroot").toString(), "--storage-driver", "vfs");
    }

    private List<String> podman() {
        return List.of("podman", "--root", dir.resolve("podman-root").toString(),
                "--runroot", dir.resolve("podman-runroot").toString(), "--storage-driver", "vfs",
                "--tmpdir", dir.resolve("podman-tmp").toString(), "--cgroup-manager", "cgroupfs",
                "--events-backend", "none");
    }

    /**
     * Fails unless podman works with the private vfs root: no registry is involved, so a failure is the machine's
     * (podman installed but broken), and reported as such rather than skipped.
     */
    private void checkPodmanWorks(Exec exec) {
        Exec.Result podmanWorks = exec.run(Exec.concat(podman(), "images"));
        assertThat(podmanWorks.ok()).as("podman installed but broken: it cannot run on this machine with a private vfs "
                + "root (before any registry is involved):\n%s", podmanWorks.describe()).isTrue();
    }

    @Test
    void buildahBuildsAndPushesThenPodmanPullsAndPushesToAnotherRepository() throws Exception {
        Requirements.onPath("buildah", "podman", "skopeo");
        Exec exec = new Exec(dir);

        // The build context: two COPY steps, so two layers with --layers.
        Path ctx = Files.createDirectories(dir.resolve("context"));
        Files.writeString(ctx.resolve("hello.txt"), HELLO);
        byte[] data = new byte[300 * 1024 + 7];
        ThreadLocalRandom.current().nextBytes(data);
        Files.write(ctx.resolve("data.bin"), data);
        Files.writeString(ctx.resolve("Containerfile"), """
                FROM scratch
                COPY hello.txt /hello.txt
                COPY data.bin /data/data.bin
                """);

        // No registry is involved in these two: a failure is the machine's, not Bollard's.
        Exec.Result bud = exec.run(Exec.concat(buildah(), "bud", "--layers", "--isolation", "chroot",
                "-t", "localhost/bollard-clients/built:latest", "-f", ctx.resolve("Containerfile").toString(), ctx.toString()));
        assertThat(bud.ok()).as("buildah installed but broken: it cannot build on this machine (before any registry is "
                + "involved):\n%s", bud.describe()).isTrue();
        checkPodmanWorks(exec);

        try (RegistryUnderTest registry = RegistryUnderTest.start(dir.resolve("registry"))) {
            // buildah push: layers compressed on the fly, so PATCH bodies of unknown length (chunked).
            ok(exec.run(Exec.concat(buildah(), "push", "--tls-verify=false", "localhost/bollard-clients/built:latest",
                    registry.docker("ns/built", ":v1"))));
            Pushed built = fetchImage(registry, "ns/built", "v1");
            assertThat(built.layers()).as("buildah bud --layers: one layer per COPY").hasSize(2);
            assertThat(built.files().get("hello.txt")).as("hello.txt in the layers of ns/built:v1")
                    .isEqualTo(HELLO.getBytes(StandardCharsets.UTF_8));
            assertThat(built.files().get("data/data.bin")).as("data/data.bin in the layers of ns/built:v1").isEqualTo(data);

            pullThenPushElsewhere(exec, registry, "ns/built", built, Map.of(
                    "hello.txt", HELLO.getBytes(StandardCharsets.UTF_8), "data/data.bin", data));
        }
    }

    /**
     * podman on its own, on an image that skopeo pushed from an OCI layout this test writes: keeps podman's
     * results visible whatever happens to buildah.
     */
    @Test
    void podmanPullsAndPushesAnImageThatSkopeoPushed() throws Exception {
        Requirements.onPath("podman", "skopeo");
        Exec exec = new Exec(dir);
        checkPodmanWorks(exec);

        byte[] data = new byte[200 * 1024 + 3];
        ThreadLocalRandom.current().nextBytes(data);
        OciLayout layout = OciLayout.create(dir.resolve("seed"));
        layout.tag(layout.writeImage("linux", "amd64", List.of(
                Map.of("hello.txt", HELLO.getBytes(StandardCharsets.UTF_8)),
                Map.of("data/data.bin", data))), "seed");

        try (RegistryUnderTest registry = RegistryUnderTest.start(dir.resolve("registry"))) {
            ok(new Skopeo(dir).copy("oci:" + layout.root() + ":seed", registry.docker("ns/seeded", ":v1")));
            Pushed seeded = fetchImage(registry, "ns/seeded", "v1");
            assertThat(seeded.digest()).isEqualTo(layout.resolve("seed").digest());

            pullThenPushElsewhere(exec, registry, "ns/seeded", seeded, Map.of(
                    "hello.txt", HELLO.getBytes(StandardCharsets.UTF_8), "data/data.bin", data));
        }
    }

    /** podman pull (by tag, by digest) of {@code repo:v1}, podman push to other/repushed:v2, and checks of both. */
    private void pullThenPushElsewhere(Exec exec, RegistryUnderTest registry, String repo, Pushed original,
            Map<String, byte[]> expectedFiles) throws Exception {
        ok(exec.run(Exec.concat(podman(), "pull", "--tls-verify=false", registry.ref(repo, ":v1"))));
        Exec.Result digest = ok(exec.run(Exec.concat(podman(), "image", "inspect", "--format", "{{.Digest}}",
                registry.ref(repo, ":v1"))));
        assertThat(digest.stdout().strip()).as("the manifest digest podman pulled").isEqualTo(original.digest());
        ok(exec.run(Exec.concat(podman(), "pull", "--tls-verify=false", registry.ref(repo, "@" + original.digest()))));

        Path digestFile = dir.resolve("repushed.digest");
        ok(exec.run(Exec.concat(podman(), "push", "--tls-verify=false", "--digestfile", digestFile.toString(),
                registry.ref(repo, ":v1"), registry.docker("other/repushed", ":v2"))));
        Pushed repushed = fetchImage(registry, "other/repushed", "v2");
        assertThat(Files.readString(digestFile).strip()).as("digest podman push reported").isEqualTo(repushed.digest());
        assertThat(repushed.layers()).as("layers of other/repushed:v2").hasSize(original.layers().size());
        expectedFiles.forEach((path, content) -> assertThat(repushed.files().get(path))
                .as("%s in the layers of other/repushed:v2", path).isEqualTo(content));
        assertThat(repushed.config().path("rootfs").path("diff_ids"))
                .as("the repushed image has the same layer contents (diff_ids)")
                .isEqualTo(original.config().path("rootfs").path("diff_ids"));

        HttpResponse<byte[]> tags = registry.get("/v2/" + registry.repo("other/repushed") + "/tags/list");
        assertThat(tags.statusCode()).isEqualTo(200);
        assertThat(OciLayout.parse(tags.body()).path("tags").toString()).isEqualTo("[\"v2\"]");

        // A second client's view of what podman pushed (both tests require skopeo).
        JsonNode info = OciLayout.parse(ok(new Skopeo(dir).cmd("inspect", registry.docker("other/repushed", ":v2"))).stdout());
        assertThat(info.path("Digest").asText()).as("digest skopeo inspect reports").isEqualTo(repushed.digest());
        assertThat(info.path("Layers")).as("layers skopeo inspect reports").hasSize(original.layers().size());
    }

    /** An image as read back over HTTP: its manifest digest, config, layer digests and the files in its layers. */
    record Pushed(String digest, JsonNode config, List<String> layers, Map<String, byte[]> files) {
    }

    /** GETs the manifest, the config and every layer, checking each digest, and unpacks the layers' files. */
    private static Pushed fetchImage(RegistryUnderTest registry, String repo, String tag) throws Exception {
        String base = "/v2/" + registry.repo(repo);
        HttpResponse<byte[]> m = registry.get(base + "/manifests/" + tag, RegistryUnderTest.acceptManifests());
        assertThat(m.statusCode()).as("GET %s/manifests/%s: %s", base, tag, new String(m.body(), StandardCharsets.UTF_8))
                .isEqualTo(200);
        String digest = OciLayout.sha256(m.body());
        assertThat(m.headers().firstValue("Docker-Content-Digest")).as("Docker-Content-Digest of %s:%s", repo, tag)
                .contains(digest);
        JsonNode manifest = OciLayout.parse(m.body());
        assertThat(m.headers().firstValue("Content-Type")).as("Content-Type of %s:%s", repo, tag)
                .contains(manifest.path("mediaType").asText());

        JsonNode config = OciLayout.parse(fetchBlob(registry, base, manifest.path("config").path("digest").asText()));
        List<String> layers = new java.util.ArrayList<>();
        Map<String, byte[]> files = new LinkedHashMap<>();
        for (JsonNode layer : manifest.path("layers")) {
            String layerDigest = layer.path("digest").asText();
            layers.add(layerDigest);
            byte[] blob = fetchBlob(registry, base, layerDigest);
            boolean gzip = blob.length > 2 && (blob[0] & 0xff) == 0x1f && (blob[1] & 0xff) == 0x8b;
            files.putAll(Tar.files(gzip ? Tar.gunzip(blob) : blob));
        }
        return new Pushed(digest, config, layers, files);
    }

    private static byte[] fetchBlob(RegistryUnderTest registry, String base, String digest) throws Exception {
        HttpResponse<byte[]> b = registry.get(base + "/blobs/" + digest);
        assertThat(b.statusCode()).as("GET %s/blobs/%s", base, digest).isEqualTo(200);
        assertThat(OciLayout.sha256(b.body())).as("content of %s/blobs/%s", base, digest).isEqualTo(digest);
        return b.body();
    }
}
