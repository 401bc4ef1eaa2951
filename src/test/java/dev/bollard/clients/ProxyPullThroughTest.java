package dev.bollard.clients;

import static dev.bollard.clients.Exec.ok;
import static org.assertj.core.api.Assertions.assertThat;

import dev.bollard.auth.Identities;
import dev.bollard.metadata.BlobDao;
import dev.bollard.metadata.ManifestDao;
import dev.bollard.metadata.RepositoryDao;
import dev.bollard.testing.Requirements;
import dev.bollard.testing.TestRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real clients pull through a proxy organization from real upstreams on loopback, both with access control: a second
 * Bollard (the proxy signs in with Bearer tokens) and CNCF Distribution with htpasswd (Basic). A two-platform index is
 * pulled for one platform only: the index and that platform are stored, the other platform's manifest and layers are
 * not fetched. Then the upstream is stopped: the same pulls still work, the manifest answers say they are stale, and
 * what was never cached fails with an error naming the upstream.
 */
class ProxyPullThroughTest {
    private static final List<String> ARCHES = List.of("amd64", "arm64");
    private static final String ADMIN = "admin";
    private static final String ADMIN_PASSWORD = "admin-password-1";
    private static final String PULLER = "puller";
    private static final String PULLER_PASSWORD = "puller-password-1";

    @TempDir
    static Path classDir;
    private static OciLayout source;
    private static OciLayout.Descriptor index;
    private static final Map<String, OciLayout.Descriptor> manifests = new LinkedHashMap<>();
    private static final Map<String, List<String>> layers = new LinkedHashMap<>();

    @TempDir
    Path dir;
    private Skopeo skopeo;
    private TestRegistry proxy;
    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    static void writeIndex() {
        source = OciLayout.create(classDir.resolve("source"));
        for (String arch : ARCHES) {
            byte[] binary = new byte[512 * 1024];
            new Random(arch.hashCode()).nextBytes(binary);
            OciLayout.Descriptor m = source.writeImage("linux", arch, List.of(Map.of("bin/app-" + arch, binary)));
            manifests.put(arch, m);
            layers.put(arch, source.layerDigests(m.digest()));
        }
        index = source.writeLinuxIndex(manifests);
        source.tag(index, "multi");
    }

    @BeforeEach
    void startProxy() throws Exception {
        Requirements.onPath("skopeo");
        skopeo = new Skopeo(dir);
        proxy = TestRegistry.startWithOrganization(dir.resolve("proxy"), ADMIN, ADMIN_PASSWORD, "mirror");
    }

    @AfterEach
    void stopProxy() {
        if (proxy != null) {
            proxy.close();
        }
    }

    private static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    private HttpResponse<String> asAdmin(String method, String path, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(proxy.uri(path)).header("Authorization", basic(ADMIN, ADMIN_PASSWORD))
                .header("Content-Type", "application/json").header("Accept", OciLayout.OCI_INDEX + ", "
                        + OciLayout.OCI_MANIFEST)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private void proxyOf(URI upstream, String prefix) throws Exception {
        HttpResponse<String> r = asAdmin("PUT", "/api/v1/organizations/mirror/proxy", """
                {"url":"%s","prefix":"%s","username":"%s","password":"%s","tag_check_seconds":0}"""
                .formatted(upstream, prefix, PULLER, PULLER_PASSWORD));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(r.body()).doesNotContain(PULLER_PASSWORD);
    }

    private Exec.Result pull(String arch, String reference, String into) {
        return skopeo.copy(List.of("--override-arch", arch, "--override-os", "linux"), "--src-creds",
                ADMIN + ":" + ADMIN_PASSWORD, "docker://" + proxy.hostPort() + "/mirror/app" + reference,
                "oci:" + dir.resolve(into) + ":v1");
    }

    private boolean blobStored(String digest) {
        return proxy.server().database().read(h -> BlobDao.link(h, "mirror/app", digest)).isPresent();
    }

    private boolean manifestStored(String digest) {
        return proxy.server().database().read(h -> RepositoryDao.findId(h, "mirror/app")
                .map(id -> !ManifestDao.storedAmong(h, id, Set.of(digest)).isEmpty()).orElse(false));
    }

    /** The pull-through, the sparse index, the upstream stopped: the same for every upstream. */
    private void pullThroughThenWithoutUpstream(Runnable stopUpstream, String upstreamUrl) throws Exception {
        ok(pull("arm64", ":v1", "pulled-arm64"));
        assertThat(manifestStored(index.digest())).as("the index").isTrue();
        assertThat(manifestStored(manifests.get("arm64").digest())).as("the pulled platform's manifest").isTrue();
        assertThat(manifestStored(manifests.get("amd64").digest())).as("the other platform's manifest").isFalse();
        for (String layer : layers.get("arm64")) {
            assertThat(blobStored(layer)).as("arm64 layer %s", layer).isTrue();
        }
        for (String layer : layers.get("amd64")) {
            assertThat(blobStored(layer)).as("amd64 layer %s: never fetched", layer).isFalse();
        }
        HttpResponse<String> fresh = asAdmin("GET", "/v2/mirror/app/manifests/v1", null);
        assertThat(fresh.statusCode()).isEqualTo(200);
        assertThat(fresh.headers().firstValue("Bollard-Proxy-Stale")).isEmpty();
        // A push into the proxy organization is refused.
        Exec.Result push = skopeo.copy("--dest-creds", ADMIN + ":" + ADMIN_PASSWORD, "oci:" + source.root() + ":multi",
                "docker://" + proxy.hostPort() + "/mirror/pushed:v1");
        assertThat(push.ok()).as(push.describe()).isFalse();
        assertThat(push.output()).containsIgnoringCase("denied");

        stopUpstream.run();

        ok(pull("arm64", ":v1", "pulled-arm64-stale"));
        ok(pull("arm64", "@" + manifests.get("arm64").digest(), "pulled-arm64-by-digest"));
        HttpResponse<String> stale = asAdmin("GET", "/v2/mirror/app/manifests/v1", null);
        assertThat(stale.statusCode()).isEqualTo(200);
        assertThat(stale.headers().firstValue("Bollard-Proxy-Stale")).hasValue("unreachable");
        assertThat(stale.headers().firstValue("Docker-Content-Digest")).hasValue(index.digest());

        Exec.Result never = pull("amd64", ":v1", "pulled-amd64");
        assertThat(never.ok()).as(never.describe()).isFalse();
        HttpResponse<String> refused = asAdmin("GET", "/v2/mirror/app/manifests/" + manifests.get("amd64").digest(),
                null);
        assertThat(refused.statusCode()).isEqualTo(503);
        assertThat(refused.body()).contains("UPSTREAM_UNAVAILABLE").contains(upstreamUrl).contains("unreachable");
        HttpResponse<String> other = asAdmin("GET", "/v2/mirror/other/manifests/v1", null);
        assertThat(other.statusCode()).isEqualTo(503);
        assertThat(other.body()).contains(upstreamUrl);
    }

    @Test
    void skopeoPullsThroughFromBollardWithAccessControlAndKeepsPullingWhenItStops() throws Exception {
        TestRegistry upstream = TestRegistry.startWithAuth(dir.resolve("upstream"));
        try {
            Identities ids = new Identities(upstream.server().database());
            ids.users().create(PULLER, PULLER_PASSWORD, false);
            ids.organizations().create("vendor", PULLER);
            ok(skopeo.copy("--all", "--dest-creds", PULLER + ":" + PULLER_PASSWORD, "oci:" + source.root() + ":multi",
                    "docker://" + upstream.hostPort() + "/vendor/app:v1"));
            // mirror/app is vendor/app upstream.
            proxyOf(upstream.baseUri(), "vendor");
            pullThroughThenWithoutUpstream(upstream::close, upstream.baseUri().toString());
        } finally {
            upstream.close();
        }
    }

    @Test
    void skopeoAndPodmanPullThroughFromDistributionWithHtpasswdAndKeepPullingWhenItStops() throws Exception {
        Requirements.onPath("docker-registry", "podman");
        DistributionServer distribution = DistributionServer.start(dir.resolve("distribution"), PULLER,
                PULLER_PASSWORD);
        try {
            String host = distribution.hostPort();
            ok(skopeo.copy("--all", "--dest-creds", PULLER + ":" + PULLER_PASSWORD, "oci:" + source.root() + ":multi",
                    "docker://" + host + "/app:v1"));
            proxyOf(URI.create("http://" + host), "");
            pullThroughThenWithoutUpstream(distribution::close, "http://" + host);
            podmanPullsTheCachedPlatform();
        } finally {
            distribution.close();
        }
    }

    /**
     * containerd (through ctr) pulls one platform of the index through the proxy of a Distribution with htpasswd: only
     * that platform is fetched. Then the upstream is stopped, and a pull into another containerd namespace (content
     * isolated per namespace, so containerd fetches everything again from the proxy) still works, by tag and by digest;
     * the other platform fails.
     */
    @Test
    void containerdPullsOnePlatformThroughAndKeepsPullingWhenTheUpstreamStops() throws Exception {
        Requirements.onPath("docker-registry", "containerd", "ctr");
        Requirements.root("containerd runs only as root");
        DistributionServer distribution = DistributionServer.start(dir.resolve("distribution"), PULLER,
                PULLER_PASSWORD);
        // A short directory: the socket's path must fit a unix socket address.
        Path daemon = java.nio.file.Files.createTempDirectory(Path.of("/tmp"), "ctrd");
        String socket = daemon.resolve("c.sock").toString();
        Path config = java.nio.file.Files.writeString(daemon.resolve("containerd.toml"), """
                version = 2
                root = "%s"
                state = "%s"
                [grpc]
                  address = "%s"
                [plugins."io.containerd.metadata.v1.bolt"]
                  content_sharing_policy = "isolated"
                """.formatted(daemon.resolve("root"), daemon.resolve("state"), socket));
        Process containerd = new ProcessBuilder("containerd", "--config", config.toString()).redirectErrorStream(true)
                .redirectOutput(daemon.resolve("containerd.log").toFile()).start();
        Exec exec = new Exec(dir);
        try {
            long deadline = System.nanoTime() + 60_000_000_000L;
            while (!exec.run("ctr", "--address", socket, "version").ok()) {
                assertThat(System.nanoTime()).as("containerd answers; its log:\n%s",
                        java.nio.file.Files.readString(daemon.resolve("containerd.log"))).isLessThan(deadline);
                assertThat(containerd.isAlive()).as("containerd runs").isTrue();
                Thread.sleep(250);
            }
            String host = distribution.hostPort();
            ok(skopeo.copy("--all", "--dest-creds", PULLER + ":" + PULLER_PASSWORD, "oci:" + source.root() + ":multi",
                    "docker://" + host + "/app:v1"));
            proxyOf(URI.create("http://" + host), "");
            String ref = proxy.hostPort() + "/mirror/app:v1";
            ok(ctrPull(exec, socket, "first", "linux/arm64", ref));
            assertThat(manifestStored(index.digest())).as("the index").isTrue();
            assertThat(manifestStored(manifests.get("arm64").digest())).as("the pulled platform").isTrue();
            assertThat(manifestStored(manifests.get("amd64").digest())).as("the other platform").isFalse();
            for (String layer : layers.get("amd64")) {
                assertThat(blobStored(layer)).as("amd64 layer %s: never fetched", layer).isFalse();
            }

            distribution.close();

            ok(ctrPull(exec, socket, "second", "linux/arm64", ref));
            Exec.Result listed = exec.run("ctr", "--address", socket, "--namespace", "second", "content", "ls", "-q");
            assertThat(listed.stdout()).as("content containerd fetched again from the proxy")
                    .contains(manifests.get("arm64").digest()).contains(layers.get("arm64").get(0));
            ok(ctrPull(exec, socket, "third", "linux/arm64", proxy.hostPort() + "/mirror/app@"
                    + manifests.get("arm64").digest()));
            Exec.Result never = ctrPull(exec, socket, "fourth", "linux/amd64", ref);
            assertThat(never.ok()).as(never.describe()).isFalse();
        } finally {
            distribution.close();
            containerd.destroy();
            if (!containerd.waitFor(20, java.util.concurrent.TimeUnit.SECONDS)) {
                containerd.destroyForcibly();
            }
            exec.run("umount", "-R", daemon.toString()); // snapshots mounted by unpacking, if any
            exec.run("rm", "-rf", daemon.toString());
        }
    }

    /** ctr pull of one platform, with the admin's credentials, into its own namespace (content fetched afresh). */
    private static Exec.Result ctrPull(Exec exec, String socket, String namespace, String platform, String ref) {
        return exec.run(java.time.Duration.ofMinutes(2), List.of("ctr", "--address", socket, "--namespace", namespace,
                "images", "pull", "--plain-http", "--platform", platform, "--user", ADMIN + ":" + ADMIN_PASSWORD, ref));
    }

    /** podman pulls the cached platform by tag from the proxy whose upstream is gone. */
    private void podmanPullsTheCachedPlatform() {
        Exec exec = new Exec(dir);
        List<String> podman = List.of("podman", "--root", dir.resolve("podman-root").toString(), "--runroot",
                dir.resolve("podman-runroot").toString(), "--storage-driver", "vfs", "--tmpdir",
                dir.resolve("podman-tmp").toString(), "--cgroup-manager", "cgroupfs", "--events-backend", "none");
        ok(exec.run(Exec.concat(podman, "pull", "--tls-verify=false", "--creds", ADMIN + ":" + ADMIN_PASSWORD,
                "--arch", "arm64", proxy.hostPort() + "/mirror/app:v1")));
    }
}
