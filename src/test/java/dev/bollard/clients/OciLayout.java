package dev.bollard.clients;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * An OCI image layout on disk (image-spec {@code image-layout.md}): {@code oci-layout}, {@code index.json},
 * {@code blobs/sha256/…}. Reads what umoci and skopeo write; writes layouts of its own for skopeo to push.
 */
public final class OciLayout {
    static final ObjectMapper JSON = new ObjectMapper();

    static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
    static final String OCI_INDEX = "application/vnd.oci.image.index.v1+json";
    static final String OCI_CONFIG = "application/vnd.oci.image.config.v1+json";
    static final String OCI_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip";
    static final String DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
    static final String DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json";
    static final String REF_NAME = "org.opencontainers.image.ref.name";

    /** A content descriptor. */
    public record Descriptor(String mediaType, String digest, long size) {
        ObjectNode toJson() {
            ObjectNode n = JSON.createObjectNode();
            n.put("mediaType", mediaType);
            n.put("digest", digest);
            n.put("size", size);
            return n;
        }

        String hex() {
            return digest.substring(digest.indexOf(':') + 1);
        }
    }

    private final Path root;

    OciLayout(Path root) {
        this.root = root;
    }

    public Path root() {
        return root;
    }

    /** Creates an empty layout (oci-layout, index.json without manifests, blobs/sha256/). */
    public static OciLayout create(Path root) {
        try {
            Files.createDirectories(root.resolve("blobs/sha256"));
            Files.writeString(root.resolve("oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}");
            OciLayout l = new OciLayout(root);
            ObjectNode index = JSON.createObjectNode();
            index.put("schemaVersion", 2);
            index.putArray("manifests");
            l.writeIndexJson(index);
            return l;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static String sha256(byte[] data) {
        try {
            return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static byte[] json(JsonNode node) {
        try {
            return JSON.writeValueAsBytes(node);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static JsonNode parse(byte[] bytes) {
        try {
            return JSON.readTree(bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static JsonNode parse(String text) {
        return parse(text.getBytes(StandardCharsets.UTF_8));
    }

    Path blobPath(String digest) {
        int colon = digest.indexOf(':');
        return root.resolve("blobs").resolve(digest.substring(0, colon)).resolve(digest.substring(colon + 1));
    }

    byte[] readBlob(String digest) {
        try {
            return Files.readAllBytes(blobPath(digest));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    Descriptor writeBlob(String mediaType, byte[] data) {
        String digest = sha256(data);
        try {
            Files.write(blobPath(digest), data);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new Descriptor(mediaType, digest, data.length);
    }

    static final String OCI_LAYER_TAR = "application/vnd.oci.image.layer.v1.tar";

    /**
     * Writes a single-platform image: one gzip layer per map of files (path → content), its config and its
     * manifest; returns the manifest's descriptor.
     */
    public Descriptor writeImage(String os, String architecture, List<Map<String, byte[]>> layerFiles) {
        return writeImage(os, architecture, layerFiles, true);
    }

    /** A linux/amd64 image of one layer holding one file, tagged {@code refName} in the layout. */
    public Descriptor writeTagged(String refName, String path, String content) {
        Descriptor image = writeImage("linux", "amd64", List.of(Map.of(path, content.getBytes(StandardCharsets.UTF_8))));
        tag(image, refName);
        return image;
    }

    /** As {@link #writeImage(String, String, List)}, with uncompressed tar layers when {@code gzip} is false. */
    Descriptor writeImage(String os, String architecture, List<Map<String, byte[]>> layerFiles, boolean gzip) {
        ObjectNode config = JSON.createObjectNode();
        config.put("created", "2024-01-01T00:00:00Z");
        config.put("architecture", architecture);
        config.put("os", os);
        config.putObject("config").putArray("Cmd").add("/bin/app");
        List<LayerBlob> layers = new ArrayList<>();
        for (Map<String, byte[]> files : layerFiles) {
            byte[] tar = Tar.tar(files);
            layers.add(gzip ? new LayerBlob(OCI_LAYER_GZIP, Tar.gzip(tar), sha256(tar))
                    : new LayerBlob(OCI_LAYER_TAR, tar, sha256(tar)));
        }
        return writeImage(config, layers);
    }

    /** A layer as stored (compressed or not, {@code mediaType} saying which) and the digest of its tar ({@code diffId}). */
    public record LayerBlob(String mediaType, byte[] bytes, String diffId) {
    }

    /** Writes a linux/amd64 image of {@code layers} (base first), its config and its manifest; returns the manifest's descriptor. */
    public Descriptor writeImage(List<LayerBlob> layers) {
        ObjectNode config = JSON.createObjectNode();
        config.put("created", "2024-01-01T00:00:00Z");
        config.put("architecture", "amd64");
        config.put("os", "linux");
        return writeImage(config, layers);
    }

    private Descriptor writeImage(ObjectNode config, List<LayerBlob> layerBlobs) {
        ObjectNode rootfs = config.putObject("rootfs");
        rootfs.put("type", "layers");
        ArrayNode diffIds = rootfs.putArray("diff_ids");
        List<Descriptor> layers = new ArrayList<>();
        for (LayerBlob layer : layerBlobs) {
            diffIds.add(layer.diffId());
            layers.add(writeBlob(layer.mediaType(), layer.bytes()));
        }
        Descriptor configDescriptor = writeBlob(OCI_CONFIG, json(config));
        ObjectNode manifest = JSON.createObjectNode();
        manifest.put("schemaVersion", 2);
        manifest.put("mediaType", OCI_MANIFEST);
        manifest.set("config", configDescriptor.toJson());
        ArrayNode layerArray = manifest.putArray("layers");
        layers.forEach(d -> layerArray.add(d.toJson()));
        return writeBlob(OCI_MANIFEST, json(manifest));
    }

    JsonNode indexJson() {
        try {
            return JSON.readTree(root.resolve("index.json").toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    void writeIndexJson(JsonNode index) {
        try {
            Files.write(root.resolve("index.json"), json(index));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Adds a descriptor named {@code refName} to index.json. */
    public void tag(Descriptor d, String refName) {
        ObjectNode index = (ObjectNode) indexJson();
        ObjectNode entry = d.toJson();
        entry.putObject("annotations").put(REF_NAME, refName);
        ((ArrayNode) index.get("manifests")).add(entry);
        writeIndexJson(index);
    }

    /** The index.json entry named {@code refName}. */
    Descriptor resolve(String refName) {
        for (JsonNode m : indexJson().path("manifests")) {
            if (refName.equals(m.path("annotations").path(REF_NAME).asText(null))) {
                return new Descriptor(m.path("mediaType").asText(), m.path("digest").asText(), m.path("size").asLong());
            }
        }
        throw new AssertionError("no entry named " + refName + " in " + root.resolve("index.json") + ": " + indexJson());
    }

    /**
     * Every blob reachable from {@code top} (indexes, manifests, configs, layers, in a depth-first order), by
     * digest, with its media type.
     */
    Map<String, String> reachable(Descriptor top) {
        Map<String, String> out = new LinkedHashMap<>();
        walk(top.digest(), top.mediaType(), out);
        return out;
    }

    private void walk(String digest, String mediaType, Map<String, String> out) {
        if (out.putIfAbsent(digest, mediaType) != null) {
            return;
        }
        if (OCI_INDEX.equals(mediaType) || DOCKER_MANIFEST_LIST.equals(mediaType)) {
            for (JsonNode m : parse(readBlob(digest)).path("manifests")) {
                walk(m.path("digest").asText(), m.path("mediaType").asText(), out);
            }
        } else if (OCI_MANIFEST.equals(mediaType) || DOCKER_MANIFEST.equals(mediaType)) {
            JsonNode manifest = parse(readBlob(digest));
            walk(manifest.path("config").path("digest").asText(), manifest.path("config").path("mediaType").asText(), out);
            for (JsonNode layer : manifest.path("layers")) {
                walk(layer.path("digest").asText(), layer.path("mediaType").asText(), out);
            }
        }
    }

    /** Writes an OCI image index of linux images, one per architecture (in the map's order), with their platforms. */
    public Descriptor writeLinuxIndex(Map<String, Descriptor> imagesByArchitecture) {
        ArrayNode entries = JSON.createArrayNode();
        imagesByArchitecture.forEach((arch, m) -> {
            ObjectNode entry = m.toJson();
            ObjectNode platform = entry.putObject("platform");
            platform.put("architecture", arch);
            platform.put("os", "linux");
            entries.add(entry);
        });
        ObjectNode index = JSON.createObjectNode();
        index.put("schemaVersion", 2);
        index.put("mediaType", OCI_INDEX);
        index.set("manifests", entries);
        return writeBlob(OCI_INDEX, json(index));
    }

    /** Layer digests of an image manifest blob, in order. */
    List<String> layerDigests(String manifestDigest) {
        List<String> layers = new ArrayList<>();
        for (JsonNode layer : parse(readBlob(manifestDigest)).path("layers")) {
            layers.add(layer.path("digest").asText());
        }
        return layers;
    }

    /** Every blob file under blobs/ whose content does not hash to its name (should be none). */
    List<String> corruptBlobs() {
        List<String> bad = new ArrayList<>();
        try (Stream<Path> files = Files.list(root.resolve("blobs/sha256"))) {
            for (Path f : files.toList()) {
                String name = "sha256:" + f.getFileName();
                String actual = sha256(Files.readAllBytes(f));
                if (!name.equals(actual)) {
                    bad.add(name + " has content " + actual);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bad;
    }
}
