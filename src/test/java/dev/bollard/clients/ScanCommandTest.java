package dev.bollard.clients;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bollard.config.BollardConfig;
import dev.bollard.config.ConfigLoader;
import dev.bollard.testing.Cli;
import dev.bollard.testing.TestRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bollard scan REPOSITORY:TAG}: the indexer reads a pushed image's layers, the matcher checks its packages
 * against imported OSV records, and the report names what is vulnerable (glibc below DSA-5514-1's fix, by its
 * source package) and not what is fixed (openssh at DSA-5724-1's fixed version), with the health grade.
 */
class ScanCommandTest {

    @TempDir
    Path dir;

    @Test
    void aScanReportsWhatIsVulnerableAndNotWhatIsFixed() throws Exception {
        // Scanning on push is off: this test scans with the command, and the in-process registry's scanner would log
        // into the standard error the command's run captures.
        BollardConfig withoutScanOnPush = ConfigLoader.builder().set("data-dir", dir.resolve("data").toString())
                .set("server.listen", "127.0.0.1:0").set("auth.enabled", "false").set("scan.on-push", "false").load();
        try (TestRegistry registry = TestRegistry.start(withoutScanOnPush);
             HttpClient http = HttpClient.newHttpClient()) {
            Map<String, byte[]> files = debian12("");
            byte[] layer = Tar.gzip(Tar.tar(files));
            byte[] config = "{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}"
                    .getBytes(StandardCharsets.UTF_8);
            push(http, registry.baseUri(), layer);
            push(http, registry.baseUri(), config);
            String manifest = "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
                    + "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\""
                    + digest(config) + "\",\"size\":" + config.length + "},\"layers\":[{\"mediaType\":"
                    + "\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"" + digest(layer) + "\",\"size\":"
                    + layer.length + "}]}";
            HttpResponse<String> put = http.send(HttpRequest.newBuilder(registry.uri("/v2/acme/base/manifests/v1"))
                    .header("Content-Type", "application/vnd.oci.image.manifest.v1+json")
                    .PUT(HttpRequest.BodyPublishers.ofString(manifest)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(put.statusCode()).as(put.body()).isEqualTo(201);
            String data = registry.dataDir().toString();

            Cli.Result withoutData = Cli.run("scan", "acme/base:v1", "--data", data);
            assertThat(withoutData.exit()).as(withoutData.err()).isZero();
            assertThat(withoutData.out()).contains("no vulnerability data is imported")
                    .contains("Debian GNU/Linux 12 (bookworm), 2 package(s)").contains("0 finding(s)");

            assertThat(Cli.run("vulndb", "import", "src/test/resources/osv/real", "--data", data).exit()).isZero();
            Cli.Result scan = Cli.run("scan", "acme/base:v1", "--data", data);
            assertThat(scan.exit()).as(scan.err()).isZero();
            assertThat(scan.out()).contains("Debian GNU/Linux 12 (bookworm), 2 package(s), health grade ")
                    .containsPattern("UNKNOWN\\s+DSA-5514-1\\s+CVE-2023-4911\\s+libc6 2.36-9\\+deb12u1 -> fixed in "
                            + "2.36-9\\+deb12u3")
                    .doesNotContain("DSA-5724-1").contains("1 finding(s)").contains("1 with a fix");

            Cli.Result unknown = Cli.run("scan", "acme/base:v2", "--data", data);
            assertThat(unknown.exit()).isEqualTo(1);
            assertThat(unknown.err()).startsWith("bollard: ").doesNotContain("\tat ");
        }
    }

    /**
     * The files of a Debian 12 image: its os-release and a dpkg status with libc6 from glibc 2.36-9+deb12u1 (below
     * DSA-5514-1's fix) and openssh-client at 1:9.2p1-2+deb12u3 (DSA-5724-1's fix), then {@code moreStanzas}.
     */
    static Map<String, byte[]> debian12(String moreStanzas) {
        return dev.bollard.testing.ScanFixtures.debian12(moreStanzas);
    }

    private static void push(HttpClient http, URI base, byte[] blob) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + "/v2/acme/base/blobs/uploads/?digest="
                        + digest(blob))).header("Content-Type", "application/octet-stream")
                .POST(HttpRequest.BodyPublishers.ofByteArray(blob)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    }

    private static String digest(byte[] data) {
        return OciLayout.sha256(data);
    }
}
