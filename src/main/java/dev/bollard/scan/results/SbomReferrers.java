package dev.bollard.scan.results;

import dev.bollard.audit.Actor;
import dev.bollard.oci.Digest;
import dev.bollard.oci.Reference;
import dev.bollard.oci.RepositoryName;
import dev.bollard.registry.Registry;
import dev.bollard.scan.Inventory;
import dev.bollard.scan.sbom.CycloneDxWriter;
import dev.bollard.scan.sbom.SbomSubject;
import dev.bollard.scan.sbom.SpdxWriter;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Stores an image's SBOMs as OCI 1.1 referrers of it: per format, the document as a blob and an image manifest whose
 * {@code artifactType} is the format's media type, whose config is the empty descriptor and whose {@code subject} is
 * the image, pushed to the image's repository as the system actor {@code scanner} — so that {@code GET
 * /v2/<name>/referrers/<digest>} lists them and any client fetches them. Such a manifest has a subject, which is why
 * it is never queued for a scan itself ({@link ScanQueue}).
 */
final class SbomReferrers {
    static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
    static final String EMPTY_MEDIA_TYPE = "application/vnd.oci.empty.v1+json";
    static final byte[] EMPTY = "{}".getBytes(StandardCharsets.UTF_8);
    static final Actor SCANNER = Actor.system("scanner");

    /** An SBOM format: its media type (the referrer's artifactType) and its name in the API. */
    enum Format {
        CYCLONEDX("application/vnd.cyclonedx+json", "cyclonedx"),
        SPDX("application/spdx+json", "spdx");

        final String mediaType;
        final String apiName;

        Format(String mediaType, String apiName) {
            this.mediaType = mediaType;
            this.apiName = apiName;
        }

        byte[] write(Inventory inventory, SbomSubject subject, Instant created) {
            return switch (this) {
                case CYCLONEDX -> CycloneDxWriter.write(inventory, subject, created);
                case SPDX -> SpdxWriter.write(inventory, subject, created);
            };
        }
    }

    private final Registry registry;

    SbomReferrers(Registry registry) {
        this.registry = registry;
    }

    /**
     * Writes and stores both SBOMs of {@code inventory} as referrers of the image {@code subject} (media type
     * {@code subjectMediaType}, {@code subjectSize} bytes); returns the digests of the referrer manifests.
     */
    List<Digest> attach(RepositoryName repository, Digest subject, String subjectMediaType, long subjectSize,
                        Inventory inventory, Instant created) {
        Digest empty = store(repository, EMPTY);
        SbomSubject sbomSubject = new SbomSubject(repository, subject);
        List<Digest> stored = new java.util.ArrayList<>();
        for (Format format : Format.values()) {
            byte[] document = format.write(inventory, sbomSubject, created);
            Digest blob = store(repository, document);
            Map<String, Object> manifest = new LinkedHashMap<>();
            manifest.put("schemaVersion", 2);
            manifest.put("mediaType", OCI_MANIFEST);
            manifest.put("artifactType", format.mediaType);
            manifest.put("config", Map.of("mediaType", EMPTY_MEDIA_TYPE, "digest", empty.toString(), "size",
                    EMPTY.length, "data", "e30="));
            manifest.put("layers", List.of(Map.of("mediaType", format.mediaType, "digest", blob.toString(), "size",
                    document.length)));
            manifest.put("subject", Map.of("mediaType", subjectMediaType, "digest", subject.toString(), "size",
                    subjectSize));
            manifest.put("annotations", Map.of("org.opencontainers.image.created", created.toString(),
                    "dev.bollard.sbom.generator", "bollard"));
            byte[] body = StoredScans.json(manifest).getBytes(StandardCharsets.UTF_8);
            Digest digest = Digest.sha256(body);
            registry.manifests().put(repository, new Reference.ByDigest(digest), OCI_MANIFEST, body, SCANNER);
            stored.add(digest);
        }
        return stored;
    }

    private Digest store(RepositoryName repository, byte[] bytes) {
        Digest digest = Digest.sha256(bytes);
        if (registry.blobs().find(repository, digest).isEmpty()) {
            registry.uploads().uploadWhole(repository, digest, new ByteArrayInputStream(bytes), (long) bytes.length);
        }
        return digest;
    }
}
