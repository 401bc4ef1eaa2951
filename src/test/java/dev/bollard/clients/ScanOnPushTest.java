package dev.bollard.clients;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.bollard.auth.Identities;
import dev.bollard.config.ConfigLoader;
import dev.bollard.json.Json;
import dev.bollard.metadata.Database;
import dev.bollard.metadata.EventDao;
import dev.bollard.scan.vuln.VulnerabilityStore;
import dev.bollard.testing.Requirements;
import dev.bollard.testing.TestRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import dev.bollard.config.BollardConfig;
import dev.bollard.testing.TestDatabase;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Scanning on push, as users see it: skopeo pushes a Debian 12 image (libc6 from glibc 2.36-9+deb12u1, below
 * DSA-5514-1's fix; openssh at DSA-5724-1's fixed version; libssl3 from openssl 3.0.11-1~deb12u1, below DSA-5532-1's
 * fix); the scan worker indexes and matches it, and the report in the API reaches {@code done} with DSA-5514-1 and
 * not DSA-5724-1. A newer OSV import bringing DSA-5532-1 is matched against the stored inventory — the new finding
 * appears, a {@code vulnerability.found} event is published, and the image was not indexed again. The SBOMs are
 * OCI referrers of the image that a client fetches; they are not scanned themselves. Users without read access to
 * the repository get nothing.
 */
class ScanOnPushTest {
    private static final String OSV = "src/test/resources/osv/real/";

    @TempDir
    Path dir;

    /** A registry with access control on, scanning and re-matching promptly, on the database of {@code kind}. */
    private TestRegistry start(String kind) throws Exception {
        return start(dir, kind, closeAfter);
    }

    /** The same, in {@code dir}; the PostgreSQL database goes into {@code closeAfter}. */
    static TestRegistry start(Path dir, String kind, List<AutoCloseable> closeAfter) throws Exception {
        ConfigLoader.Builder config = ConfigLoader.builder().set("data-dir", dir.resolve("data").toString())
                .set("server.listen", "127.0.0.1:0")
                .set("scan.poll-interval", "200ms").set("scan.rematch-interval", "500ms")
                .set("events.poll-interval", "200ms");
        if (!kind.equals("h2")) { // H2: the default, in the data directory (where bollard scan --data finds it)
            TestDatabase database = TestDatabase.of(kind, dir.resolve("h2"));
            closeAfter.add(database);
            BollardConfig.Database db = database.config(8);
            config.set("database.url", db.url()).set("database.username", db.username())
                    .set("database.password", db.password());
            // The command line finds this registry's database and key through a configuration file (cliArgs).
            java.nio.file.Files.writeString(dir.resolve("cli.yaml"), "data-dir: " + dir.resolve("data")
                    + "\ndatabase:\n  url: \"" + db.url() + "\"\n  username: \"" + db.username()
                    + "\"\n  password: \"" + db.password() + "\"\n");
        }
        return TestRegistry.start(config.load());
    }

    /** The options that point {@code bollard} at the registry {@link #start(Path, String, List)} started in dir. */
    static List<String> cliArgs(Path dir, String kind) {
        return kind.equals("h2") ? List.of("--data", dir.resolve("data").toString())
                : List.of("--config", dir.resolve("cli.yaml").toString());
    }

    private final List<AutoCloseable> closeAfter = new ArrayList<>();

    @AfterEach
    void closeDatabase() throws Exception {
        for (AutoCloseable c : closeAfter) {
            c.close();
        }
    }

    @ParameterizedTest(name = "on {0}")
    @ValueSource(strings = {"h2", "postgres"})
    @Timeout(300)
    void aPushedImageIsScannedAndMatchedAgainWhenNewDataArrives(String kind) throws Exception {
        Requirements.onPath("skopeo");
        try (TestRegistry registry = start(kind);
             HttpClient http = HttpClient.newHttpClient()) {
            Database db = registry.server().database();
            Identities ids = new Identities(db);
            ids.users().create("boss", "boss-password", false);
            ids.users().create("eve", "eve-password", false);
            ids.organizations().create("acme", "boss");
            String boss = basic("boss", "boss-password");
            String eve = basic("eve", "eve-password");
            VulnerabilityStore vulns = new VulnerabilityStore(db);
            Path first = Files.createDirectories(dir.resolve("osv-1"));
            for (String id : List.of("DSA-5514-1", "DSA-5724-1")) {
                Files.copy(Path.of(OSV + id + ".json"), first.resolve(id + ".json"));
            }
            long firstImport = vulns.importPath(first).importId();

            Map<String, byte[]> files = ScanCommandTest.debian12("""

                    Package: libssl3
                    Status: install ok installed
                    Architecture: amd64
                    Source: openssl
                    Version: 3.0.11-1~deb12u1
                    """);
            String digest = push(registry, Tar.tar(files), "acme/debian:v1").digest();
            String scan = "/api/v1/repositories/acme/debian/-/manifests/" + digest + "/scan";

            // push -> queued/indexing -> done, with the finding expected and not the one fixed
            JsonNode report = await(http, registry, scan, boss, r -> r.path("state").asText().equals("done"));
            assertThat(report.path("os").path("pretty_name").asText()).isEqualTo("Debian GNU/Linux 12 (bookworm)");
            assertThat(report.path("packages").asInt()).isEqualTo(3);
            assertThat(report.path("vulndb_import").asLong()).isEqualTo(firstImport);
            assertThat(ids(report)).containsExactly("DSA-5514-1");
            JsonNode glibc = report.path("findings").get(0);
            assertThat(glibc.path("package").asText()).isEqualTo("libc6");
            assertThat(glibc.path("matched_package").asText()).isEqualTo("glibc");
            assertThat(glibc.path("version").asText()).isEqualTo("2.36-9+deb12u1");
            assertThat(glibc.path("fixed_version").asText()).isEqualTo("2.36-9+deb12u3");
            assertThat(glibc.path("aliases").toString()).contains("CVE-2023-4911");
            assertThat(glibc.path("links").size()).isPositive();
            assertThat(report.path("grade").asText()).isNotEmpty();
            String indexedAt = report.path("indexed_at").asText();
            String firstFoundAt = glibc.path("found_at").asText();
            JsonNode finished = awaitEvent(db, "scan.finished");
            assertThat(finished.path("repository").asText()).isEqualTo("acme/debian");
            assertThat(finished.path("data").path("digest").asText()).isEqualTo(digest);
            assertThat(finished.path("data").path("state").asText()).isEqualTo("done");
            assertThat(finished.path("data").path("findings").asInt()).isEqualTo(1);
            assertThat(finished.path("data").path("fixable").asInt()).isEqualTo(1);
            assertThat(finished.path("data").path("packages").asInt()).isEqualTo(3);
            assertThat(finished.path("data").path("grade").asText()).isEqualTo(report.path("grade").asText());

            // a newer import: matched again from the stored packages, the new finding published as an event
            Path second = Files.createDirectories(dir.resolve("osv-2"));
            Files.copy(Path.of(OSV + "DSA-5532-1.json"), second.resolve("DSA-5532-1.json"));
            long secondImport = vulns.importPath(second).importId();
            report = await(http, registry, scan, boss, r -> r.path("vulndb_import").asLong() == secondImport);
            assertThat(ids(report)).containsExactlyInAnyOrder("DSA-5514-1", "DSA-5532-1");
            assertThat(report.path("indexed_at").asText()).as("not indexed again").isEqualTo(indexedAt);
            assertThat(report.path("state").asText()).isEqualTo("done");
            for (JsonNode f : report.path("findings")) {
                if (f.path("id").asText().equals("DSA-5514-1")) {
                    assertThat(f.path("found_at").asText()).isEqualTo(firstFoundAt);
                } else {
                    assertThat(f.path("package").asText()).isEqualTo("libssl3");
                    assertThat(f.path("fixed_version").asText()).isEqualTo("3.0.11-1~deb12u2");
                }
            }
            JsonNode event = awaitEvent(db, "vulnerability.found");
            assertThat(event.path("repository").asText()).isEqualTo("acme/debian");
            assertThat(event.path("data").path("digest").asText()).isEqualTo(digest);
            assertThat(event.path("data").path("findings").size()).isEqualTo(1);
            assertThat(event.path("data").path("findings").get(0).path("id").asText()).isEqualTo("DSA-5532-1");
            assertThat(event.path("data").path("findings").get(0).path("package").asText()).isEqualTo("libssl3");

            // the SBOMs are referrers of the image, fetched as a client does, and not scanned themselves
            HttpResponse<String> referrers = get(http, registry, "/v2/acme/debian/referrers/" + digest, boss);
            assertThat(referrers.statusCode()).isEqualTo(200);
            JsonNode index = Json.MAPPER.readTree(referrers.body());
            Map<String, String> byType = new LinkedHashMap<>();
            for (JsonNode d : index.path("manifests")) {
                byType.put(d.path("artifactType").asText(), d.path("digest").asText());
            }
            assertThat(byType).containsOnlyKeys("application/vnd.cyclonedx+json", "application/spdx+json");
            Path copy = dir.resolve("sbom-copy");
            Exec.Result fetched = new Skopeo(dir).copy("--src-creds", "boss:boss-password", "docker://"
                    + registry.hostPort() + "/acme/debian@" + byType.get("application/vnd.cyclonedx+json"), "dir:" + copy);
            assertThat(fetched.ok()).as(fetched.describe()).isTrue();
            JsonNode sbomManifest = Json.MAPPER.readTree(Files.readAllBytes(copy.resolve("manifest.json")));
            assertThat(sbomManifest.path("subject").path("digest").asText()).isEqualTo(digest);
            byte[] bom = Files.readAllBytes(copy.resolve(sbomManifest.path("layers").get(0).path("digest").asText()
                    .substring("sha256:".length())));
            assertThat(new org.cyclonedx.parsers.JsonParser().validate(bom, org.cyclonedx.Version.VERSION_16)).isEmpty();
            assertThat(new String(bom, StandardCharsets.UTF_8)).contains("pkg:deb/debian/libc6@").contains("libssl3");
            HttpResponse<String> notScanned = get(http, registry, "/api/v1/repositories/acme/debian/-/manifests/"
                    + byType.get("application/spdx+json") + "/scan", boss);
            assertThat(notScanned.statusCode()).as(notScanned.body()).isEqualTo(404);

            // the SBOMs from the API, and the data's status
            HttpResponse<String> spdx = get(http, registry, "/api/v1/repositories/acme/debian/-/manifests/" + digest
                    + "/sbom?format=spdx", boss);
            assertThat(spdx.statusCode()).isEqualTo(200);
            assertThat(spdx.headers().firstValue("Content-Type").orElse("")).startsWith("application/spdx+json");
            assertThat(spdx.body()).contains("\"spdxVersion\"").contains("libssl3");
            JsonNode status = Json.MAPPER.readTree(get(http, registry, "/api/v1/vulndb", eve).body());
            assertThat(status.path("records").asLong()).isEqualTo(3);
            assertThat(status.path("last_import").path("id").asLong()).isEqualTo(secondImport);
            assertThat(status.path("scans").path("done").asLong()).isEqualTo(1);

            // without read access: nothing
            for (String path : List.of(scan, "/api/v1/repositories/acme/debian/-/manifests/" + digest + "/sbom")) {
                assertThat(get(http, registry, path, eve).statusCode()).as(path).isEqualTo(403);
                assertThat(get(http, registry, path, null).statusCode()).as(path).isEqualTo(401);
            }
            assertThat(get(http, registry, "/api/v1/vulndb", null).statusCode()).isEqualTo(401);
        }
    }

    /**
     * A real Debian: the debootstrapped bookworm tree (scripts/debootstrap-cache.sh) pushed with skopeo is scanned on
     * push: done, with every package dpkg reports, Debian 12, and none of the real advisories of the fixtures (this
     * bookworm is past each of their fixes: DSA-5514-1's glibc 2.36-9+deb12u3 among them), so grade A; its SBOM
     * referrers list the same packages.
     */
    @Test
    @Timeout(900)
    void aDebootstrappedDebianIsScannedOnPush() throws Exception {
        Requirements.onPath("skopeo", "tar", "dpkg-query");
        Path root = dev.bollard.scan.index.DebianImageIndexTest.bookworm(Path.of("").toAbsolutePath());
        Map<String, String[]> installed = dev.bollard.scan.index.DebianImageIndexTest.dpkgQuery(root, dir);
        assertThat(installed).containsKey("libc6");
        try (TestRegistry registry = start("h2"); HttpClient http = HttpClient.newHttpClient()) {
            Database db = registry.server().database();
            Identities ids = new Identities(db);
            ids.users().create("boss", "boss-password", false);
            String boss = basic("boss", "boss-password");
            long imported = new VulnerabilityStore(db).importPath(Path.of(OSV)).importId();

            Path tarFile = dir.resolve("bookworm.tar");
            new Exec(dir).ok("tar", "--numeric-owner", "--sort=name", "-C", root.toString(), "-cf",
                    tarFile.toString(), ".");
            OciLayout.Descriptor image = push(registry, Files.readAllBytes(tarFile), "boss/bookworm:minbase");

            JsonNode report = await(http, registry, "/api/v1/repositories/boss/bookworm/-/manifests/"
                    + image.digest() + "/scan", boss, r -> !List.of("queued", "indexing").contains(r.path("state").asText()));
            assertThat(report.path("state").asText()).as(report.toString()).isEqualTo("done");
            assertThat(report.path("os").path("id").asText()).isEqualTo("debian");
            assertThat(report.path("os").path("version_id").asText()).isEqualTo("12");
            assertThat(report.path("packages").asInt()).isEqualTo(installed.size());
            assertThat(report.path("vulndb_import").asLong()).isEqualTo(imported);
            assertThat(ids(report)).doesNotContain("DSA-5514-1", "DSA-5532-1", "DSA-5724-1");
            assertThat(report.path("os_unsupported").isNull()).isTrue();
            assertThat(report.path("grade").asText()).isEqualTo("A");

            HttpResponse<String> referrers = get(http, registry, "/v2/boss/bookworm/referrers/" + image.digest()
                    + "?artifactType=application/spdx%2Bjson", boss);
            JsonNode listed = Json.MAPPER.readTree(referrers.body()).path("manifests");
            assertThat(listed.size()).isEqualTo(1);
            JsonNode spdxManifest = Json.MAPPER.readTree(get(http, registry, "/v2/boss/bookworm/manifests/"
                    + listed.get(0).path("digest").asText(), boss).body());
            JsonNode spdx = Json.MAPPER.readTree(get(http, registry, "/v2/boss/bookworm/blobs/"
                    + spdxManifest.path("layers").get(0).path("digest").asText(), boss).body());
            List<String> names = new ArrayList<>();
            spdx.path("packages").forEach(p -> names.add(p.path("name").asText()));
            assertThat(names).containsAll(installed.keySet());
        }
    }

    /**
     * An image scanned before any vulnerability data exists says so (its empty report and grade A mean nothing yet),
     * and once data is imported the re-match finds what it could not, and the note is gone.
     */
    @Test
    @Timeout(300)
    void aScanWithoutVulnerabilityDataSaysSoUntilDataArrives() throws Exception {
        try (TestRegistry registry = start("h2"); HttpClient http = HttpClient.newHttpClient()) {
            Database db = registry.server().database();
            new Identities(db).users().create("boss", "boss-password", false);
            String boss = basic("boss", "boss-password");
            String digest = pushImage(http, registry, boss, ScanCommandTest.debian12("")).split(" ", -1)[0];
            String scan = "/api/v1/repositories/boss/multi/-/manifests/" + digest + "/scan";
            JsonNode before = await(http, registry, scan, boss, r -> r.path("state").asText().equals("done"));
            assertThat(before.path("findings").size()).isZero();
            assertThat(before.path("notes").toString()).contains("no vulnerability data had been imported");

            new VulnerabilityStore(db).importPath(Path.of(OSV));
            JsonNode after = await(http, registry, scan, boss, r -> r.path("findings").size() > 0);
            assertThat(ids(after)).containsExactly("DSA-5514-1");
            assertThat(after.path("notes").toString()).doesNotContain("no vulnerability data");
        }
    }

    /**
     * An index of two platforms: each platform's image manifest is scanned on its own push, and the index's report
     * gathers them with their platforms — the arm64 image (which also has openssl below DSA-5532-1's fix) with one
     * finding more. Then a scan whose last attempt a dying node abandoned (its work item dead, the scan left
     * "indexing") is marked failed with the queue's reason by the next re-match turn, not left stuck.
     */
    @Test
    @Timeout(300)
    void eachPlatformOfAnIndexIsScannedAndAnAbandonedScanFails() throws Exception {
        try (TestRegistry registry = start("h2"); HttpClient http = HttpClient.newHttpClient()) {
            Database db = registry.server().database();
            new Identities(db).users().create("boss", "boss-password", false);
            String boss = basic("boss", "boss-password");
            new VulnerabilityStore(db).importPath(Path.of(OSV));
            Map<String, String> images = new LinkedHashMap<>();
            images.put("amd64", pushImage(http, registry, boss, ScanCommandTest.debian12("")));
            images.put("arm64", pushImage(http, registry, boss, ScanCommandTest.debian12("""

                    Package: libssl3
                    Status: install ok installed
                    Architecture: arm64
                    Source: openssl
                    Version: 3.0.11-1~deb12u1
                    """)));
            StringBuilder index = new StringBuilder("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"manifests\":[");
            String sep = "";
            for (Map.Entry<String, String> e : images.entrySet()) {
                String[] digestAndSize = e.getValue().split(" ", -1);
                index.append(sep).append("{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"")
                        .append(digestAndSize[0]).append("\",\"size\":").append(digestAndSize[1])
                        .append(",\"platform\":{\"architecture\":\"").append(e.getKey()).append("\",\"os\":\"linux\"}}");
                sep = ",";
            }
            byte[] body = index.append("]}").toString().getBytes(StandardCharsets.UTF_8);
            assertThat(send(http, registry, "PUT", "/v2/boss/multi/manifests/v1", boss, body,
                    "application/vnd.oci.image.index.v1+json").statusCode()).isEqualTo(201);

            JsonNode report = await(http, registry, "/api/v1/repositories/boss/multi/-/manifests/"
                    + OciLayout.sha256(body) + "/scan", boss, r -> r.path("state").asText().equals("done"));
            assertThat(report.path("manifests").size()).isEqualTo(2);
            JsonNode amd64 = report.path("manifests").get(0);
            JsonNode arm64 = report.path("manifests").get(1);
            assertThat(amd64.path("platform").asText()).isEqualTo("linux/amd64");
            assertThat(ids(amd64)).containsExactly("DSA-5514-1");
            assertThat(arm64.path("platform").asText()).isEqualTo("linux/arm64");
            assertThat(ids(arm64)).containsExactlyInAnyOrder("DSA-5514-1", "DSA-5532-1");
            dev.bollard.testing.Cli.Result cli = dev.bollard.testing.Cli.run("scan", "boss/multi:v1", "--stored",
                    "--data", registry.dataDir().toString());
            assertThat(cli.exit()).as(cli.err()).isZero();
            assertThat(cli.out()).contains("linux/amd64  " + images.get("amd64").split(" ", -1)[0] + "  done")
                    .contains("linux/arm64").contains("Debian GNU/Linux 12 (bookworm), 3 package(s), health grade ")
                    .containsPattern("UNKNOWN\\s+DSA-5532-1\\s+libssl3 3.0.11-1~deb12u1 -> fixed in 3.0.11-1~deb12u2");

            // a node died in the last attempt: the queue keeps the item dead; the scan must not stay "indexing"
            String amd64Digest = images.get("amd64").split(" ", -1)[0];
            db.inTransaction(h -> {
                long id = h.createQuery("SELECT id FROM manifest WHERE digest = :d").bind("d", amd64Digest)
                        .mapTo(Long.class).one();
                h.createUpdate("UPDATE scan_result SET state = 'indexing' WHERE manifest_id = :m").bind("m", id).execute();
                return dev.bollard.metadata.WorkItemDao.enqueue(h, "scan", Long.toString(id), "{}", java.time.Instant.now())
                        && h.createUpdate("UPDATE work_item SET state = 'dead', pending_key = NULL, attempts = 5, "
                        + "last_error = 'the lease of node-x lapsed' WHERE queue = 'scan' AND item_key = :k")
                        .bind("k", Long.toString(id)).execute() == 1;
            });
            JsonNode failed = await(http, registry, "/api/v1/repositories/boss/multi/-/manifests/" + amd64Digest
                    + "/scan", boss, r -> !r.path("state").asText().equals("indexing"));
            assertThat(failed.path("state").asText()).isEqualTo("failed");
            assertThat(failed.path("reason").asText()).contains("lapsed");
            JsonNode announced = awaitEvent(db, "scan.finished",
                    e -> e.path("data").path("digest").asText().equals(amd64Digest)
                            && e.path("data").path("state").asText().equals("failed"));
            assertThat(announced.path("data").path("reason").asText()).contains("lapsed");
        }
    }

    /** Pushes an image of one uncompressed tar layer of {@code files} to boss/multi by digest; "DIGEST SIZE". */
    private static String pushImage(HttpClient http, TestRegistry registry, String auth, Map<String, byte[]> files)
            throws Exception {
        byte[] layer = Tar.tar(files);
        byte[] config = "{\"architecture\":\"amd64\",\"os\":\"linux\"}".getBytes(StandardCharsets.UTF_8);
        for (byte[] blob : List.of(layer, config)) {
            assertThat(send(http, registry, "POST", "/v2/boss/multi/blobs/uploads/?digest=" + OciLayout.sha256(blob),
                    auth, blob, "application/octet-stream").statusCode()).isEqualTo(201);
        }
        byte[] manifest = ("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
                + "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\""
                + OciLayout.sha256(config) + "\",\"size\":" + config.length + "},\"layers\":[{\"mediaType\":"
                + "\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"" + OciLayout.sha256(layer) + "\",\"size\":"
                + layer.length + "}]}").getBytes(StandardCharsets.UTF_8);
        String digest = OciLayout.sha256(manifest);
        assertThat(send(http, registry, "PUT", "/v2/boss/multi/manifests/" + digest, auth, manifest,
                "application/vnd.oci.image.manifest.v1+json").statusCode()).isEqualTo(201);
        return digest + " " + manifest.length;
    }

    static HttpResponse<String> send(HttpClient http, TestRegistry registry, String method, String path,
                                     String authorization, byte[] body, String contentType) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(registry.baseUri() + path))
                .header("Authorization", authorization).header("Content-Type", contentType)
                .method(method, HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private OciLayout.Descriptor push(TestRegistry registry, byte[] tar, String target) {
        return push(dir, registry, tar, target);
    }

    /** Pushes an image of one gzip layer of {@code tar} with skopeo, as boss, to {@code target} (REPO:TAG). */
    static OciLayout.Descriptor push(Path dir, TestRegistry registry, byte[] tar, String target) {
        Path layoutDir = dir.resolve("layout-" + target.replaceAll("[^a-z0-9]", "-"));
        OciLayout layout = OciLayout.create(layoutDir);
        OciLayout.Descriptor image = layout.writeImage(List.of(new OciLayout.LayerBlob(
                "application/vnd.oci.image.layer.v1.tar+gzip", Tar.gzip(tar), OciLayout.sha256(tar))));
        layout.tag(image, "latest");
        Exec.Result pushed = new Skopeo(dir).copy("--dest-creds", "boss:boss-password", "oci:" + layoutDir + ":latest",
                "docker://" + registry.hostPort() + "/" + target);
        assertThat(pushed.ok()).as(pushed.describe()).isTrue();
        return image;
    }

    static List<String> ids(JsonNode report) {
        List<String> ids = new ArrayList<>();
        report.path("findings").forEach(f -> ids.add(f.path("id").asText()));
        return ids;
    }

    static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    static HttpResponse<String> get(HttpClient http, TestRegistry registry, String path, String authorization)
            throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(registry.baseUri() + path));
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Polls {@code path} until its JSON satisfies {@code done} (60 s at most). */
    static JsonNode await(HttpClient http, TestRegistry registry, String path, String authorization,
                          Predicate<JsonNode> done) throws Exception {
        long end = System.nanoTime() + 60_000_000_000L;
        String last = "";
        while (System.nanoTime() < end) {
            HttpResponse<String> r = get(http, registry, path, authorization);
            last = r.statusCode() + " " + r.body();
            if (r.statusCode() == 200 && done.test(Json.MAPPER.readTree(r.body()))) {
                return Json.MAPPER.readTree(r.body());
            }
            Thread.sleep(100);
        }
        throw new AssertionError("not reached in 60 s; last answer: " + last);
    }

    /** The first published event of {@code type} (waits up to 30 s). */
    static JsonNode awaitEvent(Database db, String type) throws Exception {
        return awaitEvent(db, type, e -> true);
    }

    /** The first published event of {@code type} that {@code wanted} accepts, waiting up to 30 s for it. */
    static JsonNode awaitEvent(Database db, String type, java.util.function.Predicate<JsonNode> wanted)
            throws Exception {
        long end = System.nanoTime() + 30_000_000_000L;
        while (System.nanoTime() < end) {
            for (EventDao.Row row : db.read(h -> EventDao.after(h, 0, 10_000))) {
                if (row.type().equals(type)) {
                    JsonNode event = Json.MAPPER.readTree(row.body());
                    if (wanted.test(event)) {
                        return event;
                    }
                }
            }
            Thread.sleep(100);
        }
        throw new AssertionError("no " + type + " event published in 30 s");
    }
}
