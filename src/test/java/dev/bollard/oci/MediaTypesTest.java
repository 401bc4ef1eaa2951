package dev.bollard.oci;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class MediaTypesTest {

    @Test
    void constantsHaveTheSpecValues() {
        assertThat(MediaTypes.OCI_MANIFEST).isEqualTo("application/vnd.oci.image.manifest.v1+json");
        assertThat(MediaTypes.OCI_INDEX).isEqualTo("application/vnd.oci.image.index.v1+json");
        assertThat(MediaTypes.OCI_CONFIG).isEqualTo("application/vnd.oci.image.config.v1+json");
        assertThat(MediaTypes.OCI_EMPTY).isEqualTo("application/vnd.oci.empty.v1+json");
        assertThat(MediaTypes.DOCKER_MANIFEST).isEqualTo("application/vnd.docker.distribution.manifest.v2+json");
        assertThat(MediaTypes.DOCKER_MANIFEST_LIST)
                .isEqualTo("application/vnd.docker.distribution.manifest.list.v2+json");
        assertThat(MediaTypes.DOCKER_CONFIG).isEqualTo("application/vnd.docker.container.image.v1+json");
    }

    @Test
    void manifestAndIndexSets() {
        assertThat(MediaTypes.MANIFESTS).containsExactlyInAnyOrder(MediaTypes.OCI_MANIFEST,
                MediaTypes.DOCKER_MANIFEST, MediaTypes.OCI_INDEX, MediaTypes.DOCKER_MANIFEST_LIST);
        assertThat(MediaTypes.IMAGE_MANIFESTS).containsExactlyInAnyOrder(MediaTypes.OCI_MANIFEST,
                MediaTypes.DOCKER_MANIFEST);
        assertThat(MediaTypes.INDEXES).containsExactlyInAnyOrder(MediaTypes.OCI_INDEX,
                MediaTypes.DOCKER_MANIFEST_LIST);
    }

    @Test
    void isManifest() {
        assertThat(MediaTypes.isManifest(MediaTypes.OCI_MANIFEST)).isTrue();
        assertThat(MediaTypes.isManifest(MediaTypes.OCI_INDEX)).isTrue();
        assertThat(MediaTypes.isManifest(MediaTypes.DOCKER_MANIFEST)).isTrue();
        assertThat(MediaTypes.isManifest(MediaTypes.DOCKER_MANIFEST_LIST)).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "application/json", "application/octet-stream", MediaTypes.OCI_CONFIG,
            MediaTypes.OCI_EMPTY, MediaTypes.DOCKER_CONFIG, MediaTypes.DOCKER_SCHEMA1,
            MediaTypes.DOCKER_SCHEMA1_SIGNED, "APPLICATION/VND.OCI.IMAGE.MANIFEST.V1+JSON",
            "application/vnd.oci.image.manifest.v1+json; charset=utf-8"})
    void isManifestIsExactAndRejectsOtherTypes(String type) {
        assertThat(MediaTypes.isManifest(type)).isFalse();
        assertThat(MediaTypes.isIndex(type)).isFalse();
    }

    @Test
    void nullIsNeitherManifestNorIndex() {
        assertThat(MediaTypes.isManifest(null)).isFalse();
        assertThat(MediaTypes.isIndex(null)).isFalse();
    }

    @Test
    void isIndex() {
        assertThat(MediaTypes.isIndex(MediaTypes.OCI_INDEX)).isTrue();
        assertThat(MediaTypes.isIndex(MediaTypes.DOCKER_MANIFEST_LIST)).isTrue();
        assertThat(MediaTypes.isIndex(MediaTypes.OCI_MANIFEST)).isFalse();
        assertThat(MediaTypes.isIndex(MediaTypes.DOCKER_MANIFEST)).isFalse();
    }

    @ParameterizedTest(name = "[{index}] ''{0}'' -> ''{1}''")
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
            "application/vnd.oci.image.manifest.v1+json|application/vnd.oci.image.manifest.v1+json",
            "application/vnd.oci.image.manifest.v1+json; charset=utf-8|application/vnd.oci.image.manifest.v1+json",
            "application/vnd.oci.image.manifest.v1+json;charset=utf-8|application/vnd.oci.image.manifest.v1+json",
            "\"  application/json  ; a=b; c=d\"|application/json",
            "APPLICATION/VND.OCI.IMAGE.INDEX.V1+JSON|application/vnd.oci.image.index.v1+json",
            "Application/Json;Charset=UTF-8|application/json",
            "\"\t text/plain \t\"|text/plain",
            "\"\"|\"\"",
            "\"; charset=utf-8\"|\"\"",
    })
    void essenceDropsParametersBlanksAndCase(String contentType, String expected) {
        assertThat(MediaTypes.essence(contentType)).isEqualTo(expected);
    }

    @Test
    void essenceOfNullIsNull() {
        assertThat(MediaTypes.essence(null)).isNull();
    }

    @Test
    void essenceIsLocaleIndependent() {
        java.util.Locale previous = java.util.Locale.getDefault();
        try {
            java.util.Locale.setDefault(java.util.Locale.forLanguageTag("tr-TR"));
            assertThat(MediaTypes.essence("APPLICATION/VND.DOCKER.DISTRIBUTION.MANIFEST.LIST.V2+JSON"))
                    .isEqualTo(MediaTypes.DOCKER_MANIFEST_LIST);
        } finally {
            java.util.Locale.setDefault(previous);
        }
    }
}
