package dev.bollard.conformance;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Collectors;

/**
 * Test-side OCI vocabulary: media types, digests computed here with {@link MessageDigest} (never with the
 * production code under test), and manifests written as plain JSON strings.
 */
final class Oci {
    static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
    static final String OCI_INDEX = "application/vnd.oci.image.index.v1+json";
    static final String OCI_CONFIG = "application/vnd.oci.image.config.v1+json";
    static final String OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip";
    static final String OCI_EMPTY = "application/vnd.oci.empty.v1+json";
    static final String DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
    static final String DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json";
    static final String DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json";
    static final String DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip";
    static final String DOCKER_SCHEMA1_SIGNED = "application/vnd.docker.distribution.manifest.v1+prettyjws";

    private Oci() {
    }

    static String sha256(byte[] content) {
        return "sha256:" + hex("SHA-256", content);
    }

    static String sha512(byte[] content) {
        return "sha512:" + hex("SHA-512", content);
    }

    static String sha256(String content) {
        return sha256(utf8(content));
    }

    private static String hex(String algorithm, byte[] content) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance(algorithm).digest(content));
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    /** The hex part of {@code algorithm:hex}. */
    static String hexOf(String digest) {
        return digest.substring(digest.indexOf(':') + 1);
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        ThreadLocalRandom.current().nextBytes(b);
        return b;
    }

    /** A small, unique, valid-looking image config. */
    static byte[] uniqueConfig() {
        return utf8("{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]},"
                + "\"config\":{\"Env\":[\"NONCE=" + HexFormat.of().formatHex(randomBytes(8)) + "\"]}}");
    }

    /** A content descriptor. */
    record Desc(String mediaType, String digest, long size) {
        static Desc of(String mediaType, byte[] content) {
            return new Desc(mediaType, sha256(content), content.length);
        }

        String json() {
            return "{\"mediaType\":\"" + mediaType + "\",\"digest\":\"" + digest + "\",\"size\":" + size + "}";
        }

        /** With extra JSON members, e.g. {@code "platform":{...}} or {@code "artifactType":"..."}. */
        String json(String extraMembers) {
            return "{\"mediaType\":\"" + mediaType + "\",\"digest\":\"" + digest + "\",\"size\":" + size + ","
                    + extraMembers + "}";
        }
    }

    static String descs(List<Desc> ds) {
        return ds.stream().map(Desc::json).collect(Collectors.joining(",", "[", "]"));
    }

    static String ociManifest(Desc config, List<Desc> layers) {
        return "{\"schemaVersion\":2,\"mediaType\":\"" + OCI_MANIFEST + "\",\"config\":" + config.json()
                + ",\"layers\":" + descs(layers) + "}";
    }

    /**
     * An OCI image manifest; {@code artifactType}, {@code subject} and {@code annotationsJson} (a JSON object
     * text) are left out when null.
     */
    static String ociManifest(Desc config, List<Desc> layers, String artifactType, Desc subject,
                              String annotationsJson) {
        StringBuilder sb = new StringBuilder("{\"schemaVersion\":2,\"mediaType\":\"" + OCI_MANIFEST + "\"");
        if (artifactType != null) {
            sb.append(",\"artifactType\":\"").append(artifactType).append('"');
        }
        sb.append(",\"config\":").append(config.json()).append(",\"layers\":").append(descs(layers));
        if (subject != null) {
            sb.append(",\"subject\":").append(subject.json());
        }
        if (annotationsJson != null) {
            sb.append(",\"annotations\":").append(annotationsJson);
        }
        return sb.append('}').toString();
    }

    static String ociIndex(List<Desc> manifests) {
        return "{\"schemaVersion\":2,\"mediaType\":\"" + OCI_INDEX + "\",\"manifests\":" + descs(manifests) + "}";
    }

    static String ociIndexWithPlatforms(List<Desc> manifests) {
        return "{\"schemaVersion\":2,\"mediaType\":\"" + OCI_INDEX + "\",\"manifests\":"
                + manifests.stream().map(d -> d.json("\"platform\":{\"architecture\":\"amd64\",\"os\":\"linux\"}"))
                        .collect(Collectors.joining(",", "[", "]")) + "}";
    }

    static String dockerManifest(Desc config, List<Desc> layers) {
        return "{\n   \"schemaVersion\": 2,\n   \"mediaType\": \"" + DOCKER_MANIFEST + "\",\n   \"config\": "
                + config.json() + ",\n   \"layers\": " + descs(layers) + "\n}";
    }

    static String dockerManifestList(List<Desc> manifests) {
        return "{\"schemaVersion\":2,\"mediaType\":\"" + DOCKER_MANIFEST_LIST + "\",\"manifests\":"
                + manifests.stream().map(d -> d.json("\"platform\":{\"architecture\":\"arm64\",\"os\":\"linux\"}"))
                        .collect(Collectors.joining(",", "[", "]")) + "}";
    }
}
