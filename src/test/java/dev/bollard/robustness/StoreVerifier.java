package dev.bollard.robustness;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Checks a whole store for consistency, through the API and on disk, and lists every violation found:
 * <ul>
 * <li>every repository of {@code _catalog}: its {@code tags/list} answers 200;</li>
 * <li>every tag resolves (GET) to a manifest whose bytes hash to {@code Docker-Content-Digest}, which also resolves
 * by digest to the same bytes;</li>
 * <li>every blob an image manifest references GETs from that repository, with the descriptor's size and digest;
 * every manifest an index references resolves in the repository and is checked the same way;</li>
 * <li>every file under {@code blobs/} is {@code <alg>/<first two hex>/<hex>} and its content hashes to its name.</li>
 * </ul>
 */
final class StoreVerifier {

    private static final Pattern HEX64 = Pattern.compile("[0-9a-f]{64}");
    private static final Pattern HEX128 = Pattern.compile("[0-9a-f]{128}");

    private final RegistryClient client;
    private final List<String> violations = new ArrayList<>();
    private final Set<String> checkedBlobs = new HashSet<>();
    private final Set<String> checkedManifests = new HashSet<>();
    private int tags;
    private int manifests;
    private int blobs;
    private int files;

    StoreVerifier(RegistryClient client) {
        this.client = client;
    }

    List<String> violations() {
        return violations;
    }

    String summary() {
        return tags + " tags, " + manifests + " manifests, " + blobs + " blob links, " + files + " blob files checked";
    }

    /** Runs every API check. */
    StoreVerifier verifyApi() throws IOException, InterruptedException {
        List<String> repos = client.catalog();
        for (String repo : repos) {
            HttpResponse<byte[]> list = client.get("/v2/" + repo + "/tags/list");
            if (list.statusCode() != 200) {
                violations.add("catalog lists " + repo + " but its tags/list answers " + list.statusCode() + " "
                        + RegistryClient.abbreviate(RegistryClient.text(list.body())));
                continue;
            }
            for (String tag : client.tags(repo)) {
                tags++;
                verifyTag(repo, tag);
            }
        }
        return this;
    }

    private void verifyTag(String repo, String tag) throws IOException, InterruptedException {
        HttpResponse<byte[]> r = client.getManifest(repo, tag);
        if (r.statusCode() != 200) {
            violations.add("tag " + repo + ":" + tag + " is listed but GET manifest answers " + r.statusCode() + " "
                    + RegistryClient.abbreviate(RegistryClient.text(r.body())));
            return;
        }
        String digest = RegistryClient.sha256(r.body());
        String header = RegistryClient.header(r, "Docker-Content-Digest");
        if (!digest.equals(header)) {
            violations.add("tag " + repo + ":" + tag + ": manifest bytes hash to " + digest + " but Docker-Content-Digest is "
                    + header);
            return;
        }
        verifyManifest(repo, digest, "tag " + repo + ":" + tag);
    }

    /**
     * GETs {@code repo@digest}: must be 200 with bytes hashing to {@code digest}; then every reference it holds.
     * Returns false (and records why) when it does not resolve.
     */
    boolean verifyManifest(String repo, String digest, String via) throws IOException, InterruptedException {
        if (!checkedManifests.add(repo + "@" + digest)) {
            return true;
        }
        manifests++;
        HttpResponse<byte[]> r = client.getManifest(repo, digest);
        if (r.statusCode() != 200) {
            violations.add(via + ": manifest " + repo + "@" + digest + " answers " + r.statusCode() + " "
                    + RegistryClient.abbreviate(RegistryClient.text(r.body())));
            return false;
        }
        if (!digest.equals(RegistryClient.sha256(r.body()))) {
            violations.add(via + ": manifest " + repo + "@" + digest + " has bytes hashing to "
                    + RegistryClient.sha256(r.body()) + " (" + r.body().length + " bytes)");
            return false;
        }
        String contentLength = RegistryClient.header(r, "Content-Length");
        if (contentLength != null && Long.parseLong(contentLength) != r.body().length) {
            violations.add(via + ": manifest " + repo + "@" + digest + " Content-Length " + contentLength + " but "
                    + r.body().length + " bytes");
        }
        JsonNode m;
        try {
            m = RegistryClient.JSON.readTree(r.body());
        } catch (IOException e) {
            violations.add(via + ": manifest " + repo + "@" + digest + " is not JSON: " + e.getMessage());
            return false;
        }
        if (m.has("config")) {
            verifyBlob(repo, m.get("config"), via + " → config of " + digest);
        }
        for (JsonNode layer : m.path("layers")) {
            verifyBlob(repo, layer, via + " → layer of " + digest);
        }
        for (JsonNode child : m.path("manifests")) {
            verifyManifest(repo, child.path("digest").asText(), via + " → child of index " + digest);
        }
        return true;
    }

    private void verifyBlob(String repo, JsonNode descriptor, String via) throws IOException, InterruptedException {
        verifyBlob(repo, descriptor.path("digest").asText(), descriptor.path("size").asLong(-1), via);
    }

    /** GETs {@code repo}'s blob {@code digest}: must be 200, {@code size} bytes hashing to {@code digest}. */
    boolean verifyBlob(String repo, String digest, long size, String via) throws IOException, InterruptedException {
        if (!checkedBlobs.add(repo + "@" + digest)) {
            return true;
        }
        blobs++;
        HttpResponse<InputStream> r = client.http().send(client.request("/v2/" + repo + "/blobs/" + digest).GET().build(),
                HttpResponse.BodyHandlers.ofInputStream());
        try (InputStream in = r.body()) {
            if (r.statusCode() != 200) {
                violations.add(via + ": blob " + repo + "@" + digest + " answers " + r.statusCode() + " "
                        + RegistryClient.abbreviate(new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8)));
                return false;
            }
            MessageDigest md = RegistryClient.messageDigest(digest.startsWith("sha512:") ? "SHA-512" : "SHA-256");
            long n = 0;
            byte[] buffer = new byte[1 << 16];
            for (int read; (read = in.read(buffer)) > 0; ) {
                md.update(buffer, 0, read);
                n += read;
            }
            String got = digest.substring(0, digest.indexOf(':') + 1) + HexFormat.of().formatHex(md.digest());
            String contentLength = RegistryClient.header(r, "Content-Length");
            if (n != size || !got.equals(digest)) {
                violations.add(via + ": blob " + repo + "@" + digest + " GETs " + n + " bytes hashing to " + got
                        + ", expected " + size + " bytes");
                return false;
            }
            if (contentLength != null && Long.parseLong(contentLength) != size) {
                violations.add(via + ": blob " + repo + "@" + digest + " Content-Length " + contentLength + ", size " + size);
            }
        }
        return true;
    }

    /**
     * Every file under {@code blobsDir} must be {@code <alg>/<xx>/<hex>} with content hashing to {@code <hex>}. The
     * file system store creates the directory when it opens, so a missing one is a violation (a wrong path would
     * otherwise check nothing).
     */
    StoreVerifier verifyBlobFiles(Path blobsDir) throws IOException {
        if (!Files.isDirectory(blobsDir)) {
            violations.add("no blob directory " + blobsDir + ": the blob files cannot be checked");
            return this;
        }
        List<Path> all;
        try (Stream<Path> walk = Files.walk(blobsDir)) {
            all = walk.filter(Files::isRegularFile).toList();
        }
        for (Path file : all) {
            files++;
            Path rel = blobsDir.relativize(file);
            String problem = blobFileProblem(rel, file);
            if (problem != null) {
                violations.add("file blobs/" + rel + " (" + Files.size(file) + " bytes): " + problem);
            }
        }
        return this;
    }

    static String blobFileProblem(Path rel, Path file) throws IOException {
        if (rel.getNameCount() != 3) {
            return "not at <alg>/<xx>/<hex>";
        }
        String alg = rel.getName(0).toString();
        String prefix = rel.getName(1).toString();
        String hex = rel.getName(2).toString();
        String javaAlg;
        if (alg.equals("sha256") && HEX64.matcher(hex).matches()) {
            javaAlg = "SHA-256";
        } else if (alg.equals("sha512") && HEX128.matcher(hex).matches()) {
            javaAlg = "SHA-512";
        } else {
            return "name is not a sha256/sha512 hex digest";
        }
        if (!hex.startsWith(prefix) || prefix.length() != 2) {
            return "directory " + prefix + " is not the first two hex characters";
        }
        String actual = hashFile(file, javaAlg);
        return actual.equals(hex) ? null : "content hashes to " + actual;
    }

    static String hashFile(Path file, String algorithm) throws IOException {
        MessageDigest md = RegistryClient.messageDigest(algorithm);
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buffer = new byte[1 << 16];
            for (int read; (read = in.read(buffer)) > 0; ) {
                md.update(buffer, 0, read);
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }

    /** Regular files under {@code dir} (none when it does not exist). */
    static List<Path> regularFiles(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            return walk.filter(Files::isRegularFile).toList();
        }
    }
}
