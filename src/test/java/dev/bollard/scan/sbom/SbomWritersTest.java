package dev.bollard.scan.sbom;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.bollard.json.Json;
import dev.bollard.oci.Digest;
import dev.bollard.oci.RepositoryName;
import dev.bollard.scan.InstalledPackage;
import dev.bollard.scan.Inventory;
import dev.bollard.scan.OsRelease;
import dev.bollard.scan.PackageType;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.cyclonedx.Version;
import org.cyclonedx.parsers.JsonParser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Both SBOM formats from one inventory: valid (CycloneDX by the library's own schema validator), complete, stable. */
@Timeout(60)
class SbomWritersTest {
    private static final SbomSubject SUBJECT = new SbomSubject(RepositoryName.parse("library/debian"),
            Digest.parse("sha256:" + "ab".repeat(32)));
    private static final Instant AT = Instant.parse("2026-12-07T05:00:00Z");

    static Inventory inventory() {
        return new Inventory(new OsRelease("debian", "12", "Debian GNU/Linux 12 (bookworm)"), List.of(
                new InstalledPackage(PackageType.DPKG, "libc6", "2.36-9+deb12u4", "glibc", null,
                        "pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12&upstream=glibc",
                        "/var/lib/dpkg/status"),
                new InstalledPackage(PackageType.MAVEN, "com.fasterxml.jackson.core:jackson-databind", "2.20.1", null,
                        null, "pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.20.1", "/app/a.jar"),
                new InstalledPackage(PackageType.MAVEN, "com.fasterxml.jackson.core:jackson-databind", "2.20.1", null,
                        null, "pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.20.1", "/app/b.jar"),
                new InstalledPackage(PackageType.NPM, "@babel/core", "7.24.0", null, null,
                        "pkg:npm/%40babel/core@7.24.0", "/srv/node_modules/@babel/core/package.json")),
                List.of("an rpm database (/var/lib/rpm/rpmdb.sqlite) is not read yet"));
    }

    @Test
    void cycloneDxIsValid16WithEveryPackageAndTheNotes() throws Exception {
        byte[] bom = CycloneDxWriter.write(inventory(), SUBJECT, AT);
        assertThat(new JsonParser().validate(bom, Version.VERSION_16)).isEmpty();
        JsonNode json = Json.MAPPER.readTree(bom);
        assertThat(json.path("specVersion").asText()).isEqualTo("1.6");
        assertThat(json.path("serialNumber").asText()).startsWith("urn:uuid:");
        assertThat(json.at("/metadata/component/type").asText()).isEqualTo("container");
        assertThat(json.at("/metadata/component/purl").asText())
                .isEqualTo("pkg:oci/debian@sha256%3A" + "ab".repeat(32) + "?repository_url=library%2Fdebian");
        assertThat(json.at("/metadata/properties/0/value").asText()).contains("rpm database");
        List<String> purls = new ArrayList<>();
        json.path("components").forEach(c -> purls.add(c.path("purl").asText(null)));
        assertThat(purls).containsExactly(null, inventory().packages().get(0).purl(),
                inventory().packages().get(1).purl(), inventory().packages().get(2).purl(),
                inventory().packages().get(3).purl());
        assertThat(json.at("/components/0/type").asText()).isEqualTo("operating-system");
        assertThat(json.at("/components/1/properties/2/value").asText()).isEqualTo("glibc");
        assertThat(CycloneDxWriter.write(inventory(), SUBJECT, AT)).isEqualTo(bom);
    }

    @Test
    void cycloneDxOfAnEmptyInventoryIsValidToo() throws Exception {
        byte[] bom = CycloneDxWriter.write(new Inventory(null, List.of(), List.of()), SUBJECT, AT);
        assertThat(new JsonParser().validate(bom, Version.VERSION_16)).isEmpty();
    }

    @Test
    void spdxDocumentDescribesTheImageContainingEveryPackage() throws Exception {
        byte[] doc = SpdxWriter.write(inventory(), SUBJECT, AT);
        JsonNode json = Json.MAPPER.readTree(doc);
        assertThat(json.path("spdxVersion").asText()).isEqualTo("SPDX-2.3");
        assertThat(json.path("dataLicense").asText()).isEqualTo("CC0-1.0");
        assertThat(json.path("documentNamespace").asText()).startsWith("https://");
        assertThat(json.at("/creationInfo/created").asText()).isEqualTo("2026-12-07T05:00:00Z");
        assertThat(json.path("comment").asText()).contains("rpm database");
        JsonNode packages = json.path("packages");
        assertThat(packages).hasSize(6); // the image, the OS and four packages
        List<String> ids = new ArrayList<>();
        packages.forEach(p -> {
            ids.add(p.path("SPDXID").asText());
            assertThat(p.path("SPDXID").asText()).matches("SPDXRef-[A-Za-z0-9.-]+");
            assertThat(p.path("downloadLocation").asText()).isEqualTo("NOASSERTION");
        });
        assertThat(ids).doesNotHaveDuplicates();
        assertThat(packages.get(2).at("/externalRefs/0/referenceLocator").asText())
                .isEqualTo(inventory().packages().get(0).purl());
        assertThat(packages.get(2).path("sourceInfo").asText()).contains("glibc");
        JsonNode relationships = json.path("relationships");
        assertThat(relationships.get(0).path("relationshipType").asText()).isEqualTo("DESCRIBES");
        assertThat(relationships).hasSize(6);
        relationships.forEach(r -> assertThat(ids).contains(r.path("relatedSpdxElement").asText()));
        assertThat(SpdxWriter.write(inventory(), SUBJECT, AT)).isEqualTo(doc);
    }
}
