package dev.bollard.scan.sbom;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bollard.json.Json;
import dev.bollard.scan.InstalledPackage;
import dev.bollard.scan.Inventory;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.UUID;

/**
 * An image's inventory as an SPDX 2.3 JSON document (media type {@code application/spdx+json}): the image as the
 * described package, each installed package as a package it CONTAINS, with its purl as a PACKAGE-MANAGER external
 * reference, where it was found and its source package in the comment; the indexer's notes in the document comment.
 * Written with Jackson: SPDX 2.3 JSON is small enough not to need a library. Deterministic like the CycloneDX one.
 */
public final class SpdxWriter {
    public static final String MEDIA_TYPE = "application/spdx+json";

    private SpdxWriter() {
    }

    public static byte[] write(Inventory inventory, SbomSubject subject, Instant created) {
        ObjectNode doc = Json.MAPPER.createObjectNode();
        doc.put("spdxVersion", "SPDX-2.3");
        doc.put("dataLicense", "CC0-1.0");
        doc.put("SPDXID", "SPDXRef-DOCUMENT");
        doc.put("name", subject.label());
        ObjectNode creation = doc.putObject("creationInfo");
        creation.put("created", created.truncatedTo(ChronoUnit.SECONDS).toString());
        creation.putArray("creators").add("Tool: bollard");
        if (!inventory.notes().isEmpty()) {
            doc.put("comment", "Not everything in the image could be read: " + String.join("; ", inventory.notes()));
        }
        ArrayNode packages = doc.putArray("packages");
        ObjectNode image = packages.addObject();
        image.put("name", subject.repository().value());
        image.put("SPDXID", "SPDXRef-Image");
        image.put("versionInfo", subject.digest().toString());
        image.put("downloadLocation", "NOASSERTION");
        image.put("filesAnalyzed", false);
        image.put("primaryPackagePurpose", "CONTAINER");
        purl(image, subject.purl());
        if (inventory.os() != null) {
            ObjectNode os = packages.addObject();
            os.put("name", inventory.os().id());
            os.put("SPDXID", "SPDXRef-OperatingSystem");
            if (inventory.os().versionId() != null) {
                os.put("versionInfo", inventory.os().versionId());
            }
            os.put("downloadLocation", "NOASSERTION");
            os.put("filesAnalyzed", false);
            os.put("primaryPackagePurpose", "OPERATING-SYSTEM");
        }
        ArrayNode relationships = doc.putArray("relationships");
        relationship(relationships, "SPDXRef-DOCUMENT", "DESCRIBES", "SPDXRef-Image");
        if (inventory.os() != null) {
            relationship(relationships, "SPDXRef-Image", "CONTAINS", "SPDXRef-OperatingSystem");
        }
        int n = 0;
        for (InstalledPackage p : inventory.packages()) {
            String id = "SPDXRef-Package-" + n++;
            ObjectNode pkg = packages.addObject();
            pkg.put("name", p.name());
            pkg.put("SPDXID", id);
            pkg.put("versionInfo", p.version());
            pkg.put("downloadLocation", "NOASSERTION");
            pkg.put("filesAnalyzed", false);
            if (p.sourceName() != null) {
                pkg.put("sourceInfo", "built from source package " + p.sourceName()
                        + (p.sourceVersion() == null ? "" : " " + p.sourceVersion()));
            }
            pkg.put("comment", p.type() + " package found at " + p.path());
            purl(pkg, p.purl());
            relationship(relationships, "SPDXRef-Image", "CONTAINS", id);
        }
        try {
            byte[] body = Json.MAPPER.writeValueAsBytes(doc);
            // A namespace unique to this content, stable for the same content (SPDX asks for a unique URI).
            doc.put("documentNamespace", "https://bollard.dev/spdx/" + subject.repository().value() + "/"
                    + subject.digest().hex() + "-" + UUID.nameUUIDFromBytes(body));
            return Json.MAPPER.writeValueAsString(doc).getBytes(StandardCharsets.UTF_8);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("SPDX generation failed", e);
        }
    }

    private static void purl(ObjectNode pkg, String purl) {
        ObjectNode ref = pkg.putArray("externalRefs").addObject();
        ref.put("referenceCategory", "PACKAGE-MANAGER");
        ref.put("referenceType", "purl");
        ref.put("referenceLocator", purl);
    }

    private static void relationship(ArrayNode relationships, String from, String type, String to) {
        ObjectNode r = relationships.addObject();
        r.put("spdxElementId", from);
        r.put("relationshipType", type);
        r.put("relatedSpdxElement", to);
    }
}
