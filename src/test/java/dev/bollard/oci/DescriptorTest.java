package dev.bollard.oci;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The value types of the model: Descriptor, Platform and Manifest. */
class DescriptorTest {

    static final Digest D1 = Digest.parse("sha256:" + "1".repeat(64));
    static final Digest D2 = Digest.parse("sha256:" + "2".repeat(64));
    static final Digest D3 = Digest.parse("sha256:" + "3".repeat(64));

    static final String DOCKER_FOREIGN = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip";
    static final String OCI_NONDISTRIBUTABLE = "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip";
    static final String OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip";

    static Descriptor withUrls(String mediaType, Digest digest, List<String> urls) {
        return new Descriptor(mediaType, digest, 10, null, null, urls, null);
    }

    @Nested
    class Descriptors {
        @Test
        void ofLeavesOptionalPartsEmpty() {
            Descriptor d = Descriptor.of(OCI_LAYER, D1, 42);
            assertThat(d.mediaType()).isEqualTo(OCI_LAYER);
            assertThat(d.digest()).isEqualTo(D1);
            assertThat(d.size()).isEqualTo(42);
            assertThat(d.artifactType()).isNull();
            assertThat(d.annotations()).isEmpty();
            assertThat(d.urls()).isEmpty();
            assertThat(d.platform()).isNull();
            assertThat(d.isExternal()).isFalse();
        }

        @Test
        void annotationsAndUrlsAreDefensiveImmutableCopies() {
            Map<String, String> annotations = new HashMap<>(Map.of("k", "v"));
            List<String> urls = new ArrayList<>(List.of("https://example.com/layer"));
            Descriptor d = new Descriptor(OCI_LAYER, D1, 1, null, annotations, urls, null);
            annotations.put("k2", "v2");
            urls.add("https://example.com/other");
            assertThat(d.annotations()).containsExactly(Map.entry("k", "v"));
            assertThat(d.urls()).containsExactly("https://example.com/layer");
            assertThatThrownBy(() -> d.annotations().put("x", "y")).isInstanceOf(UnsupportedOperationException.class);
            assertThatThrownBy(() -> d.urls().add("x")).isInstanceOf(UnsupportedOperationException.class);
        }

        @ParameterizedTest
        @ValueSource(strings = {DOCKER_FOREIGN, OCI_NONDISTRIBUTABLE,
                "application/vnd.oci.image.layer.nondistributable.v1.tar",
                "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
                "application/vnd.docker.image.rootfs.foreign.diff.tar"})
        void foreignAndNonDistributableLayersWithUrlsAreExternal(String mediaType) {
            assertThat(withUrls(mediaType, D1, List.of("https://example.com/x")).isExternal()).isTrue();
        }

        @ParameterizedTest
        @ValueSource(strings = {DOCKER_FOREIGN, OCI_NONDISTRIBUTABLE})
        void foreignLayerWithoutUrlsIsNotExternal(String mediaType) {
            assertThat(withUrls(mediaType, D1, List.of()).isExternal()).isFalse();
            assertThat(withUrls(mediaType, D1, null).isExternal()).isFalse();
        }

        @Test
        void ordinaryLayerWithUrlsIsNotExternal() {
            // urls on a distributable layer are only a hint: the registry must still hold the blob
            assertThat(withUrls(OCI_LAYER, D1, List.of("https://example.com/x")).isExternal()).isFalse();
            assertThat(withUrls(null, D1, List.of("https://example.com/x")).isExternal()).isFalse();
        }
    }

    @Nested
    class Platforms {
        @Test
        void toStringIsOsArchitectureVariant() {
            assertThat(new Platform("amd64", "linux", null, null, null)).hasToString("linux/amd64");
            assertThat(new Platform("arm", "linux", "v7", null, null)).hasToString("linux/arm/v7");
            assertThat(new Platform("arm64", "linux", "", null, null)).hasToString("linux/arm64");
            assertThat(new Platform("amd64", "windows", null, "10.0.17763.1234", List.of("win32k")))
                    .hasToString("windows/amd64");
        }

        @Test
        void osFeaturesDefaultToEmptyAndAreCopied() {
            assertThat(new Platform("amd64", "linux", null, null, null).osFeatures()).isEmpty();
            List<String> features = new ArrayList<>(List.of("win32k"));
            Platform p = new Platform("amd64", "windows", null, null, features);
            features.add("other");
            assertThat(p.osFeatures()).containsExactly("win32k");
        }
    }

    @Nested
    class Manifests {
        @Test
        void requiredBlobsAreConfigThenDistributableLayersInOrder() {
            Descriptor config = Descriptor.of(MediaTypes.OCI_CONFIG, D1, 100);
            Descriptor layer1 = Descriptor.of(OCI_LAYER, D2, 200);
            Descriptor foreign = withUrls(DOCKER_FOREIGN, D3, List.of("https://mcr.microsoft.com/x"));
            Descriptor layer3 = Descriptor.of(OCI_LAYER, D3, 300);
            Manifest.Image m = new Manifest.Image(MediaTypes.OCI_MANIFEST, config,
                    List.of(layer1, foreign, layer3), Optional.empty(), null, null);
            assertThat(m.requiredBlobs()).containsExactly(config, layer1, layer3);
        }

        @Test
        void requiredBlobsOfManifestWithoutLayersIsJustTheConfig() {
            Descriptor config = Descriptor.of(MediaTypes.OCI_EMPTY, D1, 2);
            Manifest.Image m = new Manifest.Image(MediaTypes.OCI_MANIFEST, config, List.of(), Optional.empty(),
                    "application/vnd.example", null);
            assertThat(m.requiredBlobs()).containsExactly(config);
        }

        @Test
        void effectiveArtifactTypeOfImageFallsBackToConfigMediaType() {
            Descriptor config = Descriptor.of("application/vnd.example.config", D1, 2);
            assertThat(new Manifest.Image(MediaTypes.OCI_MANIFEST, config, List.of(), Optional.empty(), null, null)
                    .effectiveArtifactType()).isEqualTo("application/vnd.example.config");
            assertThat(new Manifest.Image(MediaTypes.OCI_MANIFEST, config, List.of(), Optional.empty(),
                    "application/vnd.example.sbom", null).effectiveArtifactType())
                    .isEqualTo("application/vnd.example.sbom");
        }

        @Test
        void effectiveArtifactTypeOfIndexIsOnlyItsField() {
            assertThat(new Manifest.Index(MediaTypes.OCI_INDEX, List.of(), Optional.empty(), null, null)
                    .effectiveArtifactType()).isNull();
            assertThat(new Manifest.Index(MediaTypes.OCI_INDEX, List.of(), Optional.empty(), "application/x", null)
                    .effectiveArtifactType()).isEqualTo("application/x");
        }

        @Test
        void listsAndAnnotationsAreImmutableCopies() {
            List<Descriptor> layers = new ArrayList<>(List.of(Descriptor.of(OCI_LAYER, D2, 1)));
            Map<String, String> annotations = new HashMap<>(Map.of("a", "b"));
            Manifest.Image m = new Manifest.Image(MediaTypes.OCI_MANIFEST, Descriptor.of(MediaTypes.OCI_CONFIG, D1, 1),
                    layers, Optional.empty(), null, annotations);
            layers.clear();
            annotations.clear();
            assertThat(m.layers()).hasSize(1);
            assertThat(m.annotations()).containsEntry("a", "b");
            assertThatThrownBy(() -> m.layers().add(null)).isInstanceOf(UnsupportedOperationException.class);

            List<Descriptor> entries = new ArrayList<>(List.of(Descriptor.of(MediaTypes.OCI_MANIFEST, D1, 1)));
            Manifest.Index i = new Manifest.Index(MediaTypes.OCI_INDEX, entries, Optional.empty(), null, null);
            entries.clear();
            assertThat(i.manifests()).hasSize(1);
            assertThat(i.annotations()).isEmpty();
        }
    }
}
