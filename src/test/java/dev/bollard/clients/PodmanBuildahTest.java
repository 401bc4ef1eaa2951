package dev.bollard.clients;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * buildah 1.28 and podman 4.3 as root with the vfs storage driver, each with a private storage root under the
 * test's temp dir: {@code buildah bud} of a {@code FROM scratch} + {@code COPY} Containerfile, {@code buildah push}
 * to Bollard, {@code podman pull} (by tag and by digest), {@code podman push} to another repository and tag; what
 * lands in the registry is checked over HTTP down to the files in the layers. Skipped, with the reason, where
 * buildah or podman cannot work on the machine before any registry is involved.
 */
class PodmanBuildahTest {
    private static final String HELLO = "hello from buildah, via Bollard\n";

    @TempDir
    Path dir;

    @Test
    void buildahBuildsAndPushesThenPodmanPullsAndPushesToAnotherRepository() throws Exception {
        Assumptions.assumeTrue(Exec.onPath("buildah"),
                "buildah not installed: no `buildah` on PATH (" + System.getenv("PATH") + "); .ci/run installs it in CI");
        Assumptions.assumeTrue(Exec.onPath("podman"),
                "podman not installed: no `podman` on PATH (" + System.getenv("PATH") + "); .ci/run installs it in CI");
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

        List<String> buildah = List.of("buildah", "--root", dir.resolve("buildah-root").toString(),
                "--runroot", dir.resolve("buildah-runroot").toString(), "--storage-driver", "vfs");
        List<String> podman = List.of("podman", "--root", dir.resolve("podman-root").toString(),
                "--runroot", dir.resolve("podman-runroot").toString(), "--storage-driver", "vfs",
                "--tmpdir", dir.resolve("podman-tmp").toString(), "--cgroup-manager", "cgroupfs",
                "--events-backend", "none");

        // No registry is involved in these two: a failure is the machine's, not Bollard's.
        Exec.Result bud = exec.run(Exec.concat(buildah, "bud", "--layers", "--isolation", "chroot",
                "-t", "localhost/bollard-clients/built:latest", "-f", ctx.resolve("Containerfile").toString(), ctx.toString()));
        Assumptions.assumeTrue(bud.ok(), () -> "buildah cannot build on this machine (before any registry is involved):\n"
                + bud.describe());
        Exec.Result podmanWorks = exec.run(Exec.concat(podman, "images"));
        Assumptions.assumeTrue(podmanWorks.ok(), () -> "podman cannot run on this machine with a private vfs root "
                + "(before any registry is involved):\n" + podmanWorks.describe());

        try (RegistryUnderTest registry = RegistryUnderTest.start(dir.resolve("registry"))) {
            // buildah push
            ok(exec.run(Exec.concat(buildah, "push", "--tls-verify=false", "localhost/bollard-clients/built:latest",
                    registry.docker("ns/built", ":v1"))));
            Pushed built = fetchImage(registry, "ns/built", "v1");
            assertThat(built.layers()).as("buildah bud --layers: one layer per COPY").hasSize(2);
            assertThat(built.files().get("hello.txt")).as("hello.txt in the layers of ns/built:v1")
                    .isEqualTo(HELLO.getBytes(StandardCharsets.UTF_8));
            assertThat(built.files().get("data/data.bin")).as("data/data.bin in the layers of ns/built:v1").isEqualTo(data);

            // podman pull, by tag and by digest
            ok(exec.run(Exec.concat(podman, "pull", "--tls-verify=false", registry.ref("ns/built", ":v1"))));
            Exec.Result digest = ok(exec.run(Exec.concat(podman, "image", "inspect", "--format", "{{.Digest}}",
                    registry.ref("ns/built", ":v1"))));
            assertThat(digest.stdout().strip()).as("the manifest digest podman pulled").isEqualTo(built.digest());
            ok(exec.run(Exec.concat(podman, "pull", "--tls-verify=false", registry.ref("ns/built", "@" + built.digest()))));

            // podman push to another repository and tag
            ok(exec.run(Exec.concat(podman, "push", "--tls-verify=false", registry.ref("ns/built", ":v1"),
                    registry.docker("other/repushed", ":v2"))));
            Pushed repushed = fetchImage(registry, "other/repushed", "v2");
            assertThat(repushed.layers()).as("layers of other/repushed:v2").hasSize(2);
            assertThat(repushed.files().get("hello.txt")).as("hello.txt in the layers of other/repushed:v2")
                    .isEqualTo(HELLO.getBytes(StandardCharsets.UTF_8));
            assertThat(repushed.files().get("data/data.bin")).as("data/data.bin in the layers of other/repushed:v2")
                    .isEqualTo(data);
            assertThat(repushed.config().path("rootfs").path("diff_ids"))
                    .as("the repushed image has the same layer contents (diff_ids)")
                    .isEqualTo(built.config().path("rootfs").path("diff_ids"));

            HttpResponse<byte[]> tags = registry.get("/v2/" + registry.repo("other/repushed") + "/tags/list");
            assertThat(tags.statusCode()).isEqualTo(200);
            assertThat(OciLayout.parse(tags.body()).path("tags").toString()).isEqualTo("[\"v2\"]");

            if (Exec.onPath("skopeo")) {
                JsonNode info = OciLayout.parse(ok(new Skopeo(dir).cmd("inspect", registry.docker("other/repushed", ":v2"))).stdout());
                assertThat(info.path("Digest").asText()).isEqualTo(repushed.digest());
                assertThat(info.path("Layers")).hasSize(2);
            }
        }
    }

    private static Exec.Result ok(Exec.Result r) {
        assertThat(r.ok()).as("command failed:\n%s", r.describe()).isTrue();
        return r;
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
