package dev.bollard.oci;

import static dev.bollard.oci.MediaTypes.DOCKER_CONFIG;
import static dev.bollard.oci.MediaTypes.DOCKER_MANIFEST;
import static dev.bollard.oci.MediaTypes.DOCKER_MANIFEST_LIST;
import static dev.bollard.oci.MediaTypes.OCI_CONFIG;
import static dev.bollard.oci.MediaTypes.OCI_EMPTY;
import static dev.bollard.oci.MediaTypes.OCI_INDEX;
import static dev.bollard.oci.MediaTypes.OCI_MANIFEST;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ManifestParserTest {

    static final String CONFIG_DIGEST = "sha256:" + "c".repeat(64);
    static final String LAYER1_DIGEST = "sha256:" + "1".repeat(64);
    static final String LAYER2_DIGEST = "sha256:" + "2".repeat(64);
    static final String SUBJECT_DIGEST = "sha256:" + "5".repeat(64);
    static final String EMPTY_DIGEST = "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";
    static final String OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip";
    static final String DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip";
    static final String DOCKER_FOREIGN = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip";
    static final String OCI_NONDISTRIBUTABLE = "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip";

    static final ObjectMapper JSON = new ObjectMapper();
    static final JsonNodeFactory F = JsonNodeFactory.instance;

    // ---- builders ---------------------------------------------------------------------------------------------

    static ObjectNode descriptor(String mediaType, String digest, long size) {
        ObjectNode d = F.objectNode();
        d.put("mediaType", mediaType);
        d.put("digest", digest);
        d.put("size", size);
        return d;
    }

    /** A valid OCI image manifest with a config and two layers, mediaType stated in the body. */
    static ObjectNode ociManifest() {
        ObjectNode m = F.objectNode();
        m.put("schemaVersion", 2);
        m.put("mediaType", OCI_MANIFEST);
        m.set("config", descriptor(OCI_CONFIG, CONFIG_DIGEST, 1470));
        ArrayNode layers = m.putArray("layers");
        layers.add(descriptor(OCI_LAYER, LAYER1_DIGEST, 2811969));
        layers.add(descriptor(OCI_LAYER, LAYER2_DIGEST, 123));
        return m;
    }

    static ObjectNode withPlatform(ObjectNode descriptor, ObjectNode platform) {
        descriptor.set("platform", platform);
        return descriptor;
    }

    static ObjectNode platform(String os, String architecture) {
        ObjectNode p = F.objectNode();
        p.put("architecture", architecture);
        p.put("os", os);
        return p;
    }

    /** A valid OCI index of two platform manifests. */
    static ObjectNode ociIndex() {
        ObjectNode m = F.objectNode();
        m.put("schemaVersion", 2);
        m.put("mediaType", OCI_INDEX);
        ArrayNode manifests = m.putArray("manifests");
        manifests.add(withPlatform(descriptor(OCI_MANIFEST, LAYER1_DIGEST, 528), platform("linux", "amd64")));
        ObjectNode arm = platform("linux", "arm");
        arm.put("variant", "v7");
        manifests.add(withPlatform(descriptor(OCI_MANIFEST, LAYER2_DIGEST, 529), arm));
        return m;
    }

    static ObjectNode dockerManifest() {
        ObjectNode m = F.objectNode();
        m.put("schemaVersion", 2);
        m.put("mediaType", DOCKER_MANIFEST);
        m.set("config", descriptor(DOCKER_CONFIG, CONFIG_DIGEST, 1470));
        m.putArray("layers").add(descriptor(DOCKER_LAYER, LAYER1_DIGEST, 977));
        return m;
    }

    static ObjectNode dockerManifestList() {
        ObjectNode m = F.objectNode();
        m.put("schemaVersion", 2);
        m.put("mediaType", DOCKER_MANIFEST_LIST);
        ArrayNode manifests = m.putArray("manifests");
        manifests.add(withPlatform(descriptor(DOCKER_MANIFEST, LAYER1_DIGEST, 528), platform("linux", "amd64")));
        ObjectNode win = platform("windows", "amd64");
        win.put("os.version", "10.0.17763.5576");
        win.putArray("os.features").add("win32k");
        manifests.add(withPlatform(descriptor(DOCKER_MANIFEST, LAYER2_DIGEST, 529), win));
        return m;
    }

    static byte[] bytes(Object json) {
        try {
            return json instanceof String s ? s.getBytes(StandardCharsets.UTF_8) : JSON.writeValueAsBytes(json);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static <T extends ObjectNode> T with(T node, Consumer<T> change) {
        change.accept(node);
        return node;
    }

    static Manifest parse(Object json, String contentType) throws ManifestInvalidException {
        return ManifestParser.parse(bytes(json), contentType);
    }

    static AbstractThrowableAssert<?, ? extends Throwable> rejected(Object json, String contentType) {
        return assertThatThrownBy(() -> ManifestParser.parse(bytes(json), contentType))
                .isInstanceOf(ManifestInvalidException.class);
    }

    // ---- accepted ---------------------------------------------------------------------------------------------

    @Nested
    class Accepted {
        @Test
        void ociImageManifest() throws Exception {
            Manifest m = parse(ociManifest(), OCI_MANIFEST);
            assertThat(m).isInstanceOf(Manifest.Image.class);
            Manifest.Image image = (Manifest.Image) m;
            assertThat(image.mediaType()).isEqualTo(OCI_MANIFEST);
            assertThat(image.config()).isEqualTo(Descriptor.of(OCI_CONFIG, Digest.parse(CONFIG_DIGEST), 1470));
            assertThat(image.layers()).extracting(Descriptor::digest)
                    .containsExactly(Digest.parse(LAYER1_DIGEST), Digest.parse(LAYER2_DIGEST));
            assertThat(image.layers()).extracting(Descriptor::size).containsExactly(2811969L, 123L);
            assertThat(image.subject()).isEmpty();
            assertThat(image.artifactType()).isNull();
            assertThat(image.effectiveArtifactType()).isEqualTo(OCI_CONFIG);
            assertThat(image.annotations()).isEmpty();
            assertThat(image.requiredBlobs()).hasSize(3);
        }

        @Test
        void ociManifestWithoutBodyMediaTypeTakesItFromContentType() throws Exception {
            ObjectNode body = ociManifest();
            body.remove("mediaType");
            assertThat(parse(body, OCI_MANIFEST).mediaType()).isEqualTo(OCI_MANIFEST);
        }

        @Test
        void ociManifestWithoutContentTypeTakesBodyMediaType() throws Exception {
            assertThat(parse(ociManifest(), null).mediaType()).isEqualTo(OCI_MANIFEST);
            assertThat(parse(ociManifest(), "").mediaType()).isEqualTo(OCI_MANIFEST);
        }

        @Test
        void contentTypeParametersCaseAndBlanksAreIgnored() throws Exception {
            assertThat(parse(ociManifest(), OCI_MANIFEST + "; charset=utf-8").mediaType()).isEqualTo(OCI_MANIFEST);
            assertThat(parse(ociManifest(), " APPLICATION/VND.OCI.IMAGE.MANIFEST.V1+JSON ").mediaType())
                    .isEqualTo(OCI_MANIFEST);
        }

        @Test
        void genericContentTypeFallsBackToBodyMediaType() throws Exception {
            // Some clients send application/json or octet-stream; the body's mediaType then decides.
            assertThat(parse(ociManifest(), "application/json").mediaType()).isEqualTo(OCI_MANIFEST);
            assertThat(parse(dockerManifest(), "application/octet-stream").mediaType()).isEqualTo(DOCKER_MANIFEST);
        }

        @Test
        void ociIndexIsAccepted() throws Exception {
            Manifest m = parse(ociIndex(), OCI_INDEX);
            assertThat(m).isInstanceOf(Manifest.Index.class);
            Manifest.Index index = (Manifest.Index) m;
            assertThat(index.mediaType()).isEqualTo(OCI_INDEX);
            assertThat(index.manifests()).hasSize(2);
            assertThat(index.manifests().get(0).platform()).isEqualTo(new Platform("amd64", "linux", null, null, null));
            assertThat(index.manifests().get(1).platform()).hasToString("linux/arm/v7");
            assertThat(index.manifests()).extracting(Descriptor::mediaType).containsOnly(OCI_MANIFEST);
            assertThat(index.effectiveArtifactType()).isNull();
        }

        @Test
        void ociIndexWithoutBodyMediaType() throws Exception {
            ObjectNode body = ociIndex();
            body.remove("mediaType");
            assertThat(parse(body, OCI_INDEX)).isInstanceOf(Manifest.Index.class);
        }

        @Test
        void emptyIndexIsAccepted() throws Exception {
            ObjectNode body = with(ociIndex(), m -> m.putArray("manifests"));
            assertThat(((Manifest.Index) parse(body, OCI_INDEX)).manifests()).isEmpty();
        }

        @Test
        void indexMayListOtherIndexesAndArbitraryTypes() throws Exception {
            ObjectNode body = ociIndex();
            ((ArrayNode) body.get("manifests")).add(descriptor(OCI_INDEX, CONFIG_DIGEST, 10));
            ((ArrayNode) body.get("manifests")).add(descriptor("application/vnd.example+json", SUBJECT_DIGEST, 10));
            assertThat(((Manifest.Index) parse(body, OCI_INDEX)).manifests()).hasSize(4);
        }

        @Test
        void dockerSchema2() throws Exception {
            Manifest.Image image = (Manifest.Image) parse(dockerManifest(), DOCKER_MANIFEST);
            assertThat(image.mediaType()).isEqualTo(DOCKER_MANIFEST);
            assertThat(image.config().mediaType()).isEqualTo(DOCKER_CONFIG);
            assertThat(image.layers()).singleElement().extracting(Descriptor::mediaType).isEqualTo(DOCKER_LAYER);
            assertThat(image.effectiveArtifactType()).isEqualTo(DOCKER_CONFIG);
        }

        @Test
        void dockerSchema2WithoutContentType() throws Exception {
            assertThat(parse(dockerManifest(), null).mediaType()).isEqualTo(DOCKER_MANIFEST);
        }

        @Test
        void dockerManifestListIsAccepted() throws Exception {
            Manifest.Index index = (Manifest.Index) parse(dockerManifestList(), DOCKER_MANIFEST_LIST);
            assertThat(index.mediaType()).isEqualTo(DOCKER_MANIFEST_LIST);
            assertThat(index.manifests()).hasSize(2);
            Platform windows = index.manifests().get(1).platform();
            assertThat(windows.os()).isEqualTo("windows");
            assertThat(windows.architecture()).isEqualTo("amd64");
            assertThat(windows.osVersion()).isEqualTo("10.0.17763.5576");
            assertThat(windows.osFeatures()).containsExactly("win32k");
            assertThat(windows.variant()).isNull();
        }

        @Test
        void artifactManifestWithArtifactTypeAndSubject() throws Exception {
            ObjectNode body = F.objectNode();
            body.put("schemaVersion", 2);
            body.put("mediaType", OCI_MANIFEST);
            body.put("artifactType", "application/vnd.example.sbom.v1");
            body.set("config", descriptor(OCI_EMPTY, EMPTY_DIGEST, 2).put("data", "e30="));
            body.putArray("layers").add(descriptor("application/spdx+json", LAYER1_DIGEST, 9000));
            ObjectNode subject = descriptor(OCI_MANIFEST, SUBJECT_DIGEST, 1234);
            body.set("subject", subject);
            body.putObject("annotations").put("org.opencontainers.image.created", "2024-01-01T00:00:00Z");

            Manifest.Image image = (Manifest.Image) parse(body, OCI_MANIFEST);
            assertThat(image.artifactType()).isEqualTo("application/vnd.example.sbom.v1");
            assertThat(image.effectiveArtifactType()).isEqualTo("application/vnd.example.sbom.v1");
            assertThat(image.subject()).contains(Descriptor.of(OCI_MANIFEST, Digest.parse(SUBJECT_DIGEST), 1234));
            assertThat(image.annotations())
                    .containsExactly(Map.entry("org.opencontainers.image.created", "2024-01-01T00:00:00Z"));
            assertThat(image.config().mediaType()).isEqualTo(OCI_EMPTY);
            assertThat(image.requiredBlobs()).extracting(d -> d.digest().toString())
                    .containsExactly(EMPTY_DIGEST, LAYER1_DIGEST);
        }

        @Test
        void artifactWithoutArtifactTypeUsesConfigMediaType() throws Exception {
            ObjectNode body = with(ociManifest(), m -> m.set("config",
                    descriptor("application/vnd.cncf.helm.config.v1+json", CONFIG_DIGEST, 10)));
            assertThat(parse(body, OCI_MANIFEST).effectiveArtifactType())
                    .isEqualTo("application/vnd.cncf.helm.config.v1+json");
        }

        @Test
        void indexWithArtifactTypeAndSubject() throws Exception {
            ObjectNode body = ociIndex();
            body.put("artifactType", "application/vnd.example.signature");
            body.set("subject", descriptor(OCI_INDEX, SUBJECT_DIGEST, 77));
            Manifest.Index index = (Manifest.Index) parse(body, OCI_INDEX);
            assertThat(index.artifactType()).isEqualTo("application/vnd.example.signature");
            assertThat(index.effectiveArtifactType()).isEqualTo("application/vnd.example.signature");
            assertThat(index.subject()).map(Descriptor::digest).contains(Digest.parse(SUBJECT_DIGEST));
        }

        @Test
        void emptyLayers() throws Exception {
            ObjectNode body = with(ociManifest(), m -> m.putArray("layers"));
            Manifest.Image image = (Manifest.Image) parse(body, OCI_MANIFEST);
            assertThat(image.layers()).isEmpty();
            assertThat(image.requiredBlobs()).containsExactly(image.config());
        }

        @Test
        void dockerForeignLayersWithUrlsAreExternalAndNotRequired() throws Exception {
            ObjectNode body = dockerManifest();
            ObjectNode foreign = descriptor(DOCKER_FOREIGN, LAYER2_DIGEST, 1_000_000);
            foreign.putArray("urls").add("https://mcr.microsoft.com/v2/windows/servercore/blobs/" + LAYER2_DIGEST);
            ((ArrayNode) body.get("layers")).insert(0, foreign);

            Manifest.Image image = (Manifest.Image) parse(body, DOCKER_MANIFEST);
            assertThat(image.layers()).hasSize(2);
            Descriptor external = image.layers().get(0);
            assertThat(external.isExternal()).isTrue();
            assertThat(external.urls()).containsExactly(
                    "https://mcr.microsoft.com/v2/windows/servercore/blobs/" + LAYER2_DIGEST);
            assertThat(image.layers().get(1).isExternal()).isFalse();
            assertThat(image.requiredBlobs()).extracting(d -> d.digest().toString())
                    .containsExactly(CONFIG_DIGEST, LAYER1_DIGEST);
        }

        @Test
        void ociNonDistributableLayersWithUrlsAreExternal() throws Exception {
            ObjectNode body = ociManifest();
            ObjectNode layer = (ObjectNode) body.get("layers").get(1);
            layer.put("mediaType", OCI_NONDISTRIBUTABLE);
            layer.putArray("urls").add("https://example.com/a").add("https://mirror.example.com/a");
            Manifest.Image image = (Manifest.Image) parse(body, OCI_MANIFEST);
            assertThat(image.layers().get(1).isExternal()).isTrue();
            assertThat(image.layers().get(1).urls()).hasSize(2);
            assertThat(image.requiredBlobs()).extracting(d -> d.digest().toString())
                    .containsExactly(CONFIG_DIGEST, LAYER1_DIGEST);
        }

        @Test
        void foreignLayerWithoutUrlsIsStillRequired() throws Exception {
            ObjectNode body = with(dockerManifest(), m ->
                    ((ArrayNode) m.get("layers")).add(descriptor(DOCKER_FOREIGN, LAYER2_DIGEST, 5)));
            Manifest.Image image = (Manifest.Image) parse(body, DOCKER_MANIFEST);
            assertThat(image.requiredBlobs()).hasSize(3);
        }

        @Test
        void descriptorFieldsAreRead() throws Exception {
            ObjectNode body = ociManifest();
            ObjectNode layer = (ObjectNode) body.get("layers").get(0);
            layer.put("artifactType", "application/vnd.example.layer");
            layer.putObject("annotations").put("org.opencontainers.image.title", "hello.txt").put("b", "");
            layer.put("data", "aGVsbG8=");
            Descriptor d = ((Manifest.Image) parse(body, OCI_MANIFEST)).layers().get(0);
            assertThat(d.artifactType()).isEqualTo("application/vnd.example.layer");
            assertThat(d.annotations()).containsOnly(Map.entry("org.opencontainers.image.title", "hello.txt"),
                    Map.entry("b", ""));
        }

        @Test
        void unknownFieldsAreIgnored() throws Exception {
            ObjectNode body = ociManifest();
            body.put("x-vendor", "anything");
            body.putObject("nested").putArray("deep").add(1);
            ((ObjectNode) body.get("config")).put("unknownDescriptorField", true);
            assertThat(parse(body, OCI_MANIFEST)).isInstanceOf(Manifest.Image.class);
        }

        @Test
        void nullOptionalFieldsCountAsAbsent() throws Exception {
            ObjectNode body = ociManifest();
            body.putNull("subject");
            body.putNull("artifactType");
            body.putNull("annotations");
            ObjectNode layer = (ObjectNode) body.get("layers").get(0);
            layer.putNull("urls");
            layer.putNull("annotations");
            layer.putNull("platform");
            layer.putNull("artifactType");
            Manifest.Image image = (Manifest.Image) parse(body, OCI_MANIFEST);
            assertThat(image.subject()).isEmpty();
            assertThat(image.artifactType()).isNull();
            assertThat(image.annotations()).isEmpty();
            assertThat(image.layers().get(0).urls()).isEmpty();
        }

        @Test
        void sizeZeroAndLargestLongAreAccepted() throws Exception {
            ObjectNode body = ociManifest();
            ((ObjectNode) body.get("layers").get(0)).put("size", 0);
            ((ObjectNode) body.get("layers").get(1)).put("size", Long.MAX_VALUE);
            Manifest.Image image = (Manifest.Image) parse(body, OCI_MANIFEST);
            assertThat(image.layers()).extracting(Descriptor::size).containsExactly(0L, Long.MAX_VALUE);
        }

        @Test
        void sha512DescriptorDigests() throws Exception {
            String sha512 = "sha512:" + "d".repeat(128);
            ObjectNode body = with(ociManifest(), m -> ((ObjectNode) m.get("config")).put("digest", sha512));
            assertThat(((Manifest.Image) parse(body, OCI_MANIFEST)).config().digest()).hasToString(sha512);
        }

        @Test
        void prettyPrintedBodyWithUnicodeIsAccepted() throws Exception {
            String body = """
                    {
                      "schemaVersion" : 2,
                      "mediaType" : "application/vnd.oci.image.manifest.v1+json",
                      "config" : {"mediaType": "application/vnd.oci.image.config.v1+json",
                                  "digest": "%s", "size": 7},
                      "layers" : [],
                      "annotations": {"org.opencontainers.image.description": "caf\\u00e9 ☕"}
                    }
                    """.formatted(CONFIG_DIGEST);
            Manifest m = parse(body, OCI_MANIFEST);
            assertThat(m.annotations()).containsEntry("org.opencontainers.image.description", "café ☕");
        }

        @Test
        void platformFeaturesOfIndexEntry() throws Exception {
            ObjectNode body = ociIndex();
            ObjectNode p = (ObjectNode) body.get("manifests").get(0).get("platform");
            p.put("os.version", "10.0.14393.1066");
            p.putArray("os.features").add("win32k").add("other");
            Platform platform = ((Manifest.Index) parse(body, OCI_INDEX)).manifests().get(0).platform();
            assertThat(platform.osVersion()).isEqualTo("10.0.14393.1066");
            assertThat(platform.osFeatures()).containsExactly("win32k", "other");
        }
    }

    // ---- rejected ---------------------------------------------------------------------------------------------

    @Nested
    class NotJson {
        @Test
        void nullOrEmptyBody() {
            assertThatThrownBy(() -> ManifestParser.parse(null, OCI_MANIFEST))
                    .isInstanceOf(ManifestInvalidException.class).hasMessageContaining("empty");
            assertThatThrownBy(() -> ManifestParser.parse(new byte[0], OCI_MANIFEST))
                    .isInstanceOf(ManifestInvalidException.class).hasMessageContaining("empty");
        }

        @Test
        void blankBody() {
            rejected(" \n\t ", OCI_MANIFEST).hasMessageContaining("empty");
        }

        @ParameterizedTest
        @ValueSource(strings = {"hello", "{", "{\"schemaVersion\": 2,}", "{'schemaVersion': 2}",
                "{schemaVersion: 2}", "[1, 2", "{\"a\": tru}", "\"unterminated", "{\"a\":1}}"})
        void malformedJson(String body) {
            rejected(body, OCI_MANIFEST).hasMessageContaining("not well-formed JSON");
        }

        @Test
        void invalidUtf8() {
            byte[] body = {'{', '"', 'a', '"', ':', '"', (byte) 0xC3, (byte) 0x28, '"', '}'};
            assertThatThrownBy(() -> ManifestParser.parse(body, OCI_MANIFEST))
                    .isInstanceOf(ManifestInvalidException.class)
                    .hasMessageContaining("JSON");
        }

        @ParameterizedTest
        @ValueSource(strings = {" x", " {}", "[]", " 2", " null", "\"x\""})
        void trailingGarbage(String suffix) throws Exception {
            String body = JSON.writeValueAsString(ociManifest()) + suffix;
            rejected(body, OCI_MANIFEST).hasMessageContaining("not well-formed JSON");
        }

        @Test
        void trailingWhitespaceIsFine() throws Exception {
            String body = JSON.writeValueAsString(ociManifest()) + " \r\n\t";
            assertThat(parse(body, OCI_MANIFEST)).isInstanceOf(Manifest.Image.class);
        }

        @Test
        void duplicateTopLevelKey() {
            String body = """
                    {"schemaVersion": 2, "mediaType": "%s", "mediaType": "%s",
                     "manifests": []}""".formatted(OCI_INDEX, OCI_INDEX);
            rejected(body, OCI_INDEX).hasMessageContaining("Duplicate").hasMessageContaining("mediaType");
        }

        @Test
        void duplicateKeyInsideADescriptor() {
            String body = """
                    {"schemaVersion": 2, "mediaType": "%s",
                     "config": {"mediaType": "%s", "digest": "%s", "digest": "%s", "size": 1},
                     "layers": []}""".formatted(OCI_MANIFEST, OCI_CONFIG, CONFIG_DIGEST, LAYER1_DIGEST);
            rejected(body, OCI_MANIFEST).hasMessageContaining("Duplicate").hasMessageContaining("digest");
        }

        @Test
        void duplicateAnnotationKey() {
            String body = """
                    {"schemaVersion": 2, "mediaType": "%s", "manifests": [],
                     "annotations": {"a": "1", "a": "2"}}""".formatted(OCI_INDEX);
            rejected(body, OCI_INDEX).hasMessageContaining("Duplicate");
        }

        @ParameterizedTest
        @ValueSource(strings = {"[]", "[{\"schemaVersion\": 2}]", "\"manifest\"", "2", "true", "null"})
        void rootThatIsNotAnObject(String body) {
            rejected(body, OCI_MANIFEST).hasMessageContaining("JSON object");
        }

        @Test
        void excessiveNestingIsRejectedCleanly() {
            int depth = 100_000;
            String body = "{\"schemaVersion\": 2, \"x\": " + "[".repeat(depth) + "]".repeat(depth) + "}";
            rejected(body, OCI_MANIFEST).hasMessageContaining("JSON");
        }
    }

    @Nested
    class SchemaVersion {
        @Test
        void missing() {
            rejected(with(ociManifest(), m -> m.remove("schemaVersion")), OCI_MANIFEST)
                    .hasMessageContaining("schemaVersion");
        }

        @Test
        void one() {
            rejected(with(ociManifest(), m -> m.put("schemaVersion", 1)), OCI_MANIFEST)
                    .hasMessageContaining("schemaVersion 1")
                    .hasMessageContaining("not supported");
        }

        @Test
        void dockerSchema1IsRejected() {
            String body = """
                    {"schemaVersion": 1, "name": "library/alpine", "tag": "latest", "architecture": "amd64",
                     "fsLayers": [], "history": []}""";
            rejected(body, MediaTypes.DOCKER_SCHEMA1_SIGNED).hasMessageContaining("schemaVersion 1");
        }

        @ParameterizedTest
        @ValueSource(ints = {0, 3, -2, Integer.MAX_VALUE})
        void otherIntegers(int version) {
            rejected(with(ociManifest(), m -> m.put("schemaVersion", version)), OCI_MANIFEST)
                    .hasMessageContaining("schemaVersion " + version);
        }

        @Test
        void string() {
            rejected(with(ociManifest(), m -> m.put("schemaVersion", "2")), OCI_MANIFEST)
                    .hasMessageContaining("schemaVersion");
        }

        @Test
        void floatingPoint() {
            rejected("{\"schemaVersion\": 2.0, \"mediaType\": \"" + OCI_INDEX + "\", \"manifests\": []}", OCI_INDEX)
                    .hasMessageContaining("schemaVersion");
            rejected("{\"schemaVersion\": 2e0, \"mediaType\": \"" + OCI_INDEX + "\", \"manifests\": []}", OCI_INDEX)
                    .hasMessageContaining("schemaVersion");
        }

        @Test
        void nullOrObject() {
            rejected(with(ociManifest(), m -> m.putNull("schemaVersion")), OCI_MANIFEST)
                    .hasMessageContaining("schemaVersion");
            rejected(with(ociManifest(), m -> m.putObject("schemaVersion")), OCI_MANIFEST)
                    .hasMessageContaining("schemaVersion");
        }

        @Test
        void integersThatWrapToTwoAreNotTwo() {
            // 2^32 + 2 and 2^64 + 2 truncate to 2 in 32-bit arithmetic; they must not be taken for 2.
            rejected(with(ociManifest(), m -> m.put("schemaVersion", 4_294_967_298L)), OCI_MANIFEST)
                    .hasMessageContaining("schemaVersion 4294967298");
            BigInteger huge = BigInteger.TWO.pow(64).add(BigInteger.TWO);
            rejected(with(ociManifest(), m -> m.put("schemaVersion", huge)), OCI_MANIFEST)
                    .hasMessageContaining("schemaVersion " + huge);
        }
    }

    @Nested
    class MediaType {
        @Test
        void contentTypeAndBodyDisagree() {
            rejected(ociManifest(), DOCKER_MANIFEST)
                    .hasMessageContaining("mediaType '" + OCI_MANIFEST + "'")
                    .hasMessageContaining("Content-Type '" + DOCKER_MANIFEST + "'");
            rejected(ociIndex(), OCI_MANIFEST).hasMessageContaining("does not match");
            rejected(dockerManifestList(), OCI_INDEX).hasMessageContaining("does not match");
            rejected(dockerManifest(), DOCKER_MANIFEST_LIST).hasMessageContaining("does not match");
        }

        @Test
        void dockerManifestWithoutMediaType() {
            rejected(with(dockerManifest(), m -> m.remove("mediaType")), DOCKER_MANIFEST)
                    .hasMessageContaining("Docker manifest must state its mediaType");
            rejected(with(dockerManifestList(), m -> m.remove("mediaType")), DOCKER_MANIFEST_LIST)
                    .hasMessageContaining("mediaType");
        }

        @Test
        void noMediaTypeAnywhere() {
            ObjectNode body = with(ociManifest(), m -> m.remove("mediaType"));
            rejected(body, null).hasMessageContaining("Content-Type");
            rejected(body, "").hasMessageContaining("Content-Type");
        }

        @ParameterizedTest
        @ValueSource(strings = {"application/json", "application/vnd.oci.artifact.manifest.v1+json",
                "text/plain", MediaTypes.DOCKER_SCHEMA1, OCI_CONFIG})
        void unsupportedContentTypeWithoutBodyMediaType(String contentType) {
            rejected(with(ociManifest(), m -> m.remove("mediaType")), contentType)
                    .hasMessageContaining("unsupported manifest Content-Type '" + contentType + "'");
        }

        @ParameterizedTest
        @ValueSource(strings = {"application/json", "application/vnd.oci.artifact.manifest.v1+json",
                MediaTypes.DOCKER_SCHEMA1_SIGNED, OCI_CONFIG, "", "APPLICATION/VND.OCI.IMAGE.MANIFEST.V1+JSON"})
        void unsupportedBodyMediaType(String mediaType) {
            ObjectNode body = with(ociManifest(), m -> m.put("mediaType", mediaType));
            rejected(body, OCI_MANIFEST).hasMessageContaining("unsupported manifest mediaType '" + mediaType + "'");
            rejected(body, null).hasMessageContaining("unsupported manifest mediaType");
        }

        @Test
        void bodyMediaTypeThatIsNotAString() {
            rejected(with(ociManifest(), m -> m.put("mediaType", 2)), OCI_MANIFEST)
                    .hasMessageContaining("mediaType must be a string");
            rejected(with(ociManifest(), m -> m.putArray("mediaType").add(OCI_MANIFEST)), OCI_MANIFEST)
                    .hasMessageContaining("mediaType must be a string");
        }

        @Test
        void artifactTypeOnDockerManifest() {
            rejected(with(dockerManifest(), m -> m.put("artifactType", "application/vnd.example")), DOCKER_MANIFEST)
                    .hasMessageContaining("artifactType");
        }

        @Test
        void artifactTypeThatIsNotAString() {
            rejected(with(ociManifest(), m -> m.put("artifactType", 1)), OCI_MANIFEST)
                    .hasMessageContaining("artifactType must be a string");
        }
    }

    @Nested
    class Structure {
        @Test
        void imageWithoutConfig() {
            rejected(with(ociManifest(), m -> m.remove("config")), OCI_MANIFEST).hasMessageContaining("'config'");
            rejected(with(dockerManifest(), m -> m.remove("config")), DOCKER_MANIFEST).hasMessageContaining("'config'");
        }

        @Test
        void configThatIsNotAnObject() {
            rejected(with(ociManifest(), m -> m.putNull("config")), OCI_MANIFEST).hasMessageContaining("'config'");
            rejected(with(ociManifest(), m -> m.put("config", CONFIG_DIGEST)), OCI_MANIFEST)
                    .hasMessageContaining("'config'");
            rejected(with(ociManifest(), m -> m.putArray("config")), OCI_MANIFEST).hasMessageContaining("'config'");
        }

        @Test
        void imageWithoutLayers() {
            rejected(with(ociManifest(), m -> m.remove("layers")), OCI_MANIFEST).hasMessageContaining("'layers'");
            rejected(with(dockerManifest(), m -> m.remove("layers")), DOCKER_MANIFEST).hasMessageContaining("'layers'");
        }

        @Test
        void layersThatAreNotAnArray() {
            rejected(with(ociManifest(), m -> m.putNull("layers")), OCI_MANIFEST).hasMessageContaining("'layers'");
            rejected(with(ociManifest(), m -> m.set("layers", descriptor(OCI_LAYER, LAYER1_DIGEST, 1))), OCI_MANIFEST)
                    .hasMessageContaining("'layers'");
        }

        @Test
        void indexWithoutManifests() {
            rejected(with(ociIndex(), m -> m.remove("manifests")), OCI_INDEX).hasMessageContaining("'manifests'");
            rejected(with(dockerManifestList(), m -> m.remove("manifests")), DOCKER_MANIFEST_LIST)
                    .hasMessageContaining("'manifests'");
            rejected(with(ociIndex(), m -> m.putObject("manifests")), OCI_INDEX).hasMessageContaining("'manifests'");
        }

        @Test
        void imageBodySentAsIndex() {
            ObjectNode body = with(ociManifest(), m -> m.remove("mediaType"));
            rejected(body, OCI_INDEX).hasMessageContaining("'manifests'");
        }

        @Test
        void indexBodySentAsImage() {
            ObjectNode body = with(ociIndex(), m -> m.remove("mediaType"));
            rejected(body, OCI_MANIFEST).hasMessageContaining("'config'");
        }

        @Test
        void annotationsThatAreNotStrings() {
            rejected(with(ociManifest(), m -> m.putObject("annotations").put("a", "ok").put("count", 3)), OCI_MANIFEST)
                    .hasMessageContaining("annotations.count must be a string");
            rejected(with(ociManifest(), m -> m.putObject("annotations").put("flag", true)), OCI_MANIFEST)
                    .hasMessageContaining("annotations.flag");
            rejected(with(ociManifest(), m -> m.putObject("annotations").putNull("n")), OCI_MANIFEST)
                    .hasMessageContaining("annotations.n");
            rejected(with(ociManifest(), m -> m.putObject("annotations").putObject("o")), OCI_MANIFEST)
                    .hasMessageContaining("annotations.o");
        }

        @Test
        void annotationsThatAreNotAnObject() {
            rejected(with(ociManifest(), m -> m.putArray("annotations").add("a")), OCI_MANIFEST)
                    .hasMessageContaining("annotations must be an object");
            rejected(with(ociManifest(), m -> m.put("annotations", "a=b")), OCI_MANIFEST)
                    .hasMessageContaining("annotations must be an object");
        }

        @Test
        void subjectThatIsNotADescriptor() {
            rejected(with(ociManifest(), m -> m.put("subject", SUBJECT_DIGEST)), OCI_MANIFEST)
                    .hasMessageContaining("subject must be a descriptor object");
            rejected(with(ociManifest(), m -> m.set("subject", descriptor(OCI_MANIFEST, "sha256:nope", 1))),
                    OCI_MANIFEST).hasMessageContaining("subject.digest");
            rejected(with(ociManifest(), m -> m.set("subject", with(descriptor(OCI_MANIFEST, SUBJECT_DIGEST, 1),
                    s -> s.remove("size")))), OCI_MANIFEST).hasMessageContaining("subject");
        }
    }

    @Nested
    class Descriptors {
        /** The OCI manifest with its second layer changed. */
        ObjectNode layer1(Consumer<ObjectNode> change) {
            ObjectNode body = ociManifest();
            change.accept((ObjectNode) body.get("layers").get(1));
            return body;
        }

        ObjectNode config(Consumer<ObjectNode> change) {
            ObjectNode body = ociManifest();
            change.accept((ObjectNode) body.get("config"));
            return body;
        }

        @Test
        void layerThatIsNotAnObject() {
            rejected(with(ociManifest(), m -> ((ArrayNode) m.get("layers")).add(LAYER1_DIGEST)), OCI_MANIFEST)
                    .hasMessageContaining("layers[2] must be a descriptor object");
            rejected(with(ociManifest(), m -> ((ArrayNode) m.get("layers")).addNull()), OCI_MANIFEST)
                    .hasMessageContaining("layers[2]");
        }

        @Test
        void missingMediaType() {
            rejected(layer1(l -> l.remove("mediaType")), OCI_MANIFEST).hasMessageContaining("layers[1] lacks mediaType");
            rejected(config(c -> c.remove("mediaType")), OCI_MANIFEST).hasMessageContaining("config lacks mediaType");
            rejected(layer1(l -> l.putNull("mediaType")), OCI_MANIFEST).hasMessageContaining("layers[1] lacks mediaType");
        }

        @Test
        void emptyMediaType() {
            rejected(layer1(l -> l.put("mediaType", "")), OCI_MANIFEST).hasMessageContaining("layers[1] lacks mediaType");
        }

        @Test
        void mediaTypeThatIsNotAString() {
            rejected(layer1(l -> l.put("mediaType", 7)), OCI_MANIFEST)
                    .hasMessageContaining("layers[1].mediaType must be a string");
            rejected(config(c -> c.putObject("mediaType")), OCI_MANIFEST)
                    .hasMessageContaining("config.mediaType must be a string");
        }

        @Test
        void missingDigest() {
            rejected(layer1(l -> l.remove("digest")), OCI_MANIFEST).hasMessageContaining("layers[1] lacks digest");
            rejected(config(c -> c.putNull("digest")), OCI_MANIFEST).hasMessageContaining("config lacks digest");
        }

        @Test
        void digestThatIsNotAString() {
            rejected(layer1(l -> l.put("digest", 12345)), OCI_MANIFEST)
                    .hasMessageContaining("layers[1].digest must be a string");
        }

        @ParameterizedTest
        @ValueSource(strings = {"", "sha256", "sha256:abc", "SHA256:a", "md5:d41d8cd98f00b204e9800998ecf8427e",
                "sha256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                "sha512:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"})
        void badDigest(String digest) {
            rejected(layer1(l -> l.put("digest", digest)), OCI_MANIFEST).hasMessageContaining("layers[1].digest");
            rejected(config(c -> c.put("digest", digest)), OCI_MANIFEST).hasMessageContaining("config.digest");
        }

        @Test
        void badDigestMessageSaysWhy() {
            rejected(layer1(l -> l.put("digest", "md5:d41d8cd98f00b204e9800998ecf8427e")), OCI_MANIFEST)
                    .hasMessageContaining("layers[1].digest: unsupported digest algorithm 'md5'");
        }

        @Test
        void missingSize() {
            rejected(layer1(l -> l.remove("size")), OCI_MANIFEST)
                    .hasMessageContaining("layers[1] needs a non-negative integer size");
            rejected(config(c -> c.putNull("size")), OCI_MANIFEST).hasMessageContaining("config needs");
        }

        @Test
        void negativeSize() {
            rejected(layer1(l -> l.put("size", -1)), OCI_MANIFEST)
                    .hasMessageContaining("layers[1] needs a non-negative integer size");
            rejected(config(c -> c.put("size", Long.MIN_VALUE)), OCI_MANIFEST).hasMessageContaining("config");
        }

        @Test
        void sizeThatIsNotAnInteger() {
            rejected(layer1(l -> l.put("size", "123")), OCI_MANIFEST).hasMessageContaining("layers[1]")
                    .hasMessageContaining("size");
            rejected(layer1(l -> l.put("size", 1.5)), OCI_MANIFEST).hasMessageContaining("size");
            rejected(layer1(l -> l.put("size", 1.0)), OCI_MANIFEST).hasMessageContaining("size");
            rejected(layer1(l -> l.put("size", true)), OCI_MANIFEST).hasMessageContaining("size");
        }

        @Test
        void sizeBeyondALong() {
            BigInteger tooBig = BigInteger.valueOf(Long.MAX_VALUE).add(BigInteger.ONE);
            rejected(layer1(l -> l.put("size", tooBig)), OCI_MANIFEST).hasMessageContaining("layers[1]")
                    .hasMessageContaining("size");
        }

        @Test
        void annotationsThatAreNotStrings() {
            rejected(layer1(l -> l.putObject("annotations").put("n", 1)), OCI_MANIFEST)
                    .hasMessageContaining("layers[1].annotations.n must be a string");
            rejected(config(c -> c.putArray("annotations")), OCI_MANIFEST)
                    .hasMessageContaining("config.annotations must be an object");
        }

        @Test
        void artifactTypeThatIsNotAString() {
            rejected(layer1(l -> l.put("artifactType", false)), OCI_MANIFEST)
                    .hasMessageContaining("layers[1].artifactType must be a string");
        }

        @Test
        void urlsThatAreNotAnArrayOfStrings() {
            rejected(layer1(l -> l.put("urls", "https://example.com")), OCI_MANIFEST)
                    .hasMessageContaining("layers[1].urls must be an array of strings");
            rejected(layer1(l -> l.putArray("urls").add("https://example.com").add(1)), OCI_MANIFEST)
                    .hasMessageContaining("layers[1].urls must be an array of strings");
            rejected(layer1(l -> l.putArray("urls").addNull()), OCI_MANIFEST)
                    .hasMessageContaining("layers[1].urls");
        }

        @Test
        void badIndexEntry() {
            ObjectNode body = ociIndex();
            ((ObjectNode) body.get("manifests").get(1)).put("digest", "sha256:short");
            rejected(body, OCI_INDEX).hasMessageContaining("manifests[1].digest");
            ObjectNode body2 = ociIndex();
            ((ObjectNode) body2.get("manifests").get(0)).put("size", -5);
            rejected(body2, OCI_INDEX).hasMessageContaining("manifests[0]").hasMessageContaining("size");
        }
    }

    @Nested
    class Platforms {
        ObjectNode platform0(Consumer<ObjectNode> change) {
            ObjectNode body = ociIndex();
            change.accept((ObjectNode) body.get("manifests").get(0).get("platform"));
            return body;
        }

        @Test
        void platformWithoutOs() {
            rejected(platform0(p -> p.remove("os")), OCI_INDEX)
                    .hasMessageContaining("manifests[0].platform needs architecture and os");
            rejected(platform0(p -> p.putNull("os")), OCI_INDEX).hasMessageContaining("manifests[0].platform");
        }

        @Test
        void platformWithoutArchitecture() {
            rejected(platform0(p -> p.remove("architecture")), OCI_INDEX)
                    .hasMessageContaining("manifests[0].platform needs architecture and os");
        }

        @Test
        void platformOfDockerListWithoutOs() {
            ObjectNode body = dockerManifestList();
            ((ObjectNode) body.get("manifests").get(1).get("platform")).remove("os");
            rejected(body, DOCKER_MANIFEST_LIST).hasMessageContaining("manifests[1].platform");
        }

        @Test
        void platformThatIsNotAnObject() {
            ObjectNode body = ociIndex();
            ((ObjectNode) body.get("manifests").get(0)).put("platform", "linux/amd64");
            rejected(body, OCI_INDEX).hasMessageContaining("manifests[0].platform must be an object");
        }

        @Test
        void platformFieldsThatAreNotStrings() {
            rejected(platform0(p -> p.put("os", 1)), OCI_INDEX)
                    .hasMessageContaining("manifests[0].platform.os must be a string");
            rejected(platform0(p -> p.put("architecture", true)), OCI_INDEX)
                    .hasMessageContaining("manifests[0].platform.architecture must be a string");
            rejected(platform0(p -> p.put("variant", 7)), OCI_INDEX)
                    .hasMessageContaining("manifests[0].platform.variant must be a string");
            rejected(platform0(p -> p.putObject("os.version")), OCI_INDEX)
                    .hasMessageContaining("manifests[0].platform.os.version must be a string");
        }

        @Test
        void osFeaturesThatAreNotAnArrayOfStrings() {
            rejected(platform0(p -> p.put("os.features", "win32k")), OCI_INDEX)
                    .hasMessageContaining("manifests[0].platform.os.features must be an array of strings");
            rejected(platform0(p -> p.putArray("os.features").add("win32k").add(3)), OCI_INDEX)
                    .hasMessageContaining("manifests[0].platform.os.features must be an array of strings");
            rejected(platform0(p -> p.putArray("os.features").addObject()), OCI_INDEX)
                    .hasMessageContaining("manifests[0].platform.os.features");
        }

        @Test
        void nullOsFeaturesCountAsAbsent() throws Exception {
            Platform p = ((Manifest.Index) parse(platform0(x -> x.putNull("os.features")), OCI_INDEX))
                    .manifests().get(0).platform();
            assertThat(p.osFeatures()).isEmpty();
        }

        @Test
        void platformOnALayerIsValidatedToo() {
            ObjectNode body = ociManifest();
            ((ObjectNode) body.get("layers").get(0)).set("platform", F.objectNode().put("architecture", "amd64"));
            rejected(body, OCI_MANIFEST).hasMessageContaining("layers[0].platform");
        }
    }

    @Test
    void malformedJsonMessageStartsWithTheReason() {
        assertThatThrownBy(() -> ManifestParser.parse(bytes("{\"a\": }"), OCI_MANIFEST))
                .isInstanceOf(ManifestInvalidException.class)
                .satisfies(e -> assertThat(e.getMessage()).startsWith("manifest is not well-formed JSON: "));
    }

    @Test
    void parsedListsKeepDocumentOrder() throws Exception {
        ObjectNode body = ociManifest();
        ArrayNode layers = body.putArray("layers");
        for (int i = 0; i < 50; i++) {
            layers.add(descriptor(OCI_LAYER, "sha256:" + String.format("%064x", i), i));
        }
        List<Descriptor> parsed = ((Manifest.Image) parse(body, OCI_MANIFEST)).layers();
        assertThat(parsed).extracting(Descriptor::size)
                .containsExactlyElementsOf(java.util.stream.LongStream.range(0, 50).boxed().toList());
    }
}
