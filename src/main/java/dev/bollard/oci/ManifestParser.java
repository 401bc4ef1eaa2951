package dev.bollard.oci;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * Parses and validates manifest bodies as a registry receives them. Validation covers the JSON and the
 * structure of the body only; whether referenced content exists is the registry's concern.
 */
public final class ManifestParser {

    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private ManifestParser() {
    }

    /**
     * Parses {@code body}, sent with the given Content-Type header (may be null).
     *
     * @throws ManifestInvalidException with a message for the client when the body is not a valid manifest
     */
    public static Manifest parse(byte[] body, @Nullable String contentType) throws ManifestInvalidException {
        JsonNode root = readTree(body);
        if (!root.isObject()) {
            throw new ManifestInvalidException("manifest must be a JSON object");
        }
        JsonNode schemaVersion = root.get("schemaVersion");
        if (schemaVersion == null || !schemaVersion.isIntegralNumber()) {
            throw new ManifestInvalidException("manifest lacks the integer field schemaVersion");
        }
        if (!schemaVersion.canConvertToInt() || schemaVersion.intValue() != 2) {
            throw new ManifestInvalidException("schemaVersion " + schemaVersion.asText()
                    + " is not supported (Docker schema 1 is deprecated; push schema 2 or OCI manifests)");
        }
        String mediaType = effectiveMediaType(root, MediaTypes.essence(contentType));
        Optional<Descriptor> subject = root.hasNonNull("subject")
                ? Optional.of(descriptor(root.get("subject"), "subject")) : Optional.empty();
        String artifactType = optionalText(root, "artifactType", "artifactType");
        Map<String, String> annotations = annotations(root.get("annotations"), "annotations");
        if (MediaTypes.isIndex(mediaType)) {
            JsonNode manifests = root.get("manifests");
            if (manifests == null || !manifests.isArray()) {
                throw new ManifestInvalidException("an index needs a 'manifests' array");
            }
            List<Descriptor> entries = descriptors(manifests, "manifests");
            return new Manifest.Index(mediaType, entries, subject, artifactType, annotations);
        }
        JsonNode config = root.get("config");
        if (config == null || !config.isObject()) {
            throw new ManifestInvalidException("an image manifest needs a 'config' descriptor");
        }
        JsonNode layers = root.get("layers");
        if (layers == null || !layers.isArray()) {
            throw new ManifestInvalidException("an image manifest needs a 'layers' array");
        }
        if (artifactType != null && MediaTypes.DOCKER_MANIFEST.equals(mediaType)) {
            throw new ManifestInvalidException("artifactType is not part of Docker schema 2 manifests");
        }
        return new Manifest.Image(mediaType, descriptor(config, "config"), descriptors(layers, "layers"),
                subject, artifactType, annotations);
    }

    private static JsonNode readTree(byte[] body) throws ManifestInvalidException {
        if (body == null || body.length == 0) {
            throw new ManifestInvalidException("manifest body is empty");
        }
        try {
            JsonNode node = JSON.readTree(body);
            if (node == null || node.isMissingNode()) {
                throw new ManifestInvalidException("manifest body is empty");
            }
            return node;
        } catch (JsonProcessingException e) {
            throw new ManifestInvalidException("manifest is not well-formed JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new ManifestInvalidException("manifest could not be read: " + e.getMessage());
        }
    }

    /**
     * The media type of the manifest: the body's mediaType field and the Content-Type header must agree when
     * both are given; an OCI body without the field takes its type from the header. A missing or generic JSON
     * Content-Type (as some tools send) defers to the body's field; any other Content-Type that is not a
     * manifest media type is an error.
     */
    private static String effectiveMediaType(JsonNode root, @Nullable String contentType) throws ManifestInvalidException {
        String inBody = optionalText(root, "mediaType", "mediaType");
        if (inBody != null && !MediaTypes.isManifest(inBody)) {
            throw new ManifestInvalidException("unsupported manifest mediaType '" + inBody + "'");
        }
        if (contentType != null && MediaTypes.isManifest(contentType)) {
            if (inBody != null && !inBody.equals(contentType)) {
                throw new ManifestInvalidException("mediaType '" + inBody
                        + "' in the manifest does not match the Content-Type '" + contentType + "'");
            }
            if (inBody == null && contentType.startsWith("application/vnd.docker.")) {
                throw new ManifestInvalidException("a Docker manifest must state its mediaType");
            }
            return contentType;
        }
        boolean absent = contentType == null || contentType.isEmpty();
        boolean generic = absent || "application/json".equals(contentType) || "application/octet-stream".equals(contentType);
        if (!generic) {
            throw new ManifestInvalidException("unsupported manifest Content-Type '" + contentType
                    + "': send the manifest's media type");
        }
        if (inBody != null) {
            return inBody;
        }
        if (absent) {
            throw new ManifestInvalidException("send the manifest with a Content-Type of its media type");
        }
        throw new ManifestInvalidException("unsupported manifest Content-Type '" + contentType + "'");
    }

    private static List<Descriptor> descriptors(JsonNode array, String field) throws ManifestInvalidException {
        List<Descriptor> list = new ArrayList<>(array.size());
        for (int i = 0; i < array.size(); i++) {
            list.add(descriptor(array.get(i), field + "[" + i + "]"));
        }
        return list;
    }

    static Descriptor descriptor(@Nullable JsonNode node, String where) throws ManifestInvalidException {
        if (node == null || !node.isObject()) {
            throw new ManifestInvalidException(where + " must be a descriptor object");
        }
        String mediaType = optionalText(node, "mediaType", where + ".mediaType");
        if (mediaType == null || mediaType.isEmpty()) {
            throw new ManifestInvalidException(where + " lacks mediaType");
        }
        String digestText = optionalText(node, "digest", where + ".digest");
        if (digestText == null) {
            throw new ManifestInvalidException(where + " lacks digest");
        }
        Digest digest;
        try {
            digest = Digest.parse(digestText);
        } catch (InvalidDigestException e) {
            throw new ManifestInvalidException(where + ".digest: " + e.getMessage());
        }
        JsonNode size = node.get("size");
        if (size == null || !size.isIntegralNumber() || !size.canConvertToLong() || size.asLong() < 0) {
            throw new ManifestInvalidException(where + " needs a non-negative integer size");
        }
        String artifactType = optionalText(node, "artifactType", where + ".artifactType");
        Map<String, String> annotations = annotations(node.get("annotations"), where + ".annotations");
        List<String> urls = new ArrayList<>();
        JsonNode urlsNode = node.get("urls");
        if (urlsNode != null && !urlsNode.isNull()) {
            if (!urlsNode.isArray()) {
                throw new ManifestInvalidException(where + ".urls must be an array of strings");
            }
            for (JsonNode u : urlsNode) {
                if (!u.isTextual()) {
                    throw new ManifestInvalidException(where + ".urls must be an array of strings");
                }
                urls.add(u.asText());
            }
        }
        Platform platform = platform(node.get("platform"), where + ".platform");
        return new Descriptor(mediaType, digest, size.asLong(), artifactType, annotations, urls, platform);
    }

    private static @Nullable Platform platform(@Nullable JsonNode node, String where) throws ManifestInvalidException {
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isObject()) {
            throw new ManifestInvalidException(where + " must be an object");
        }
        String architecture = optionalText(node, "architecture", where + ".architecture");
        String os = optionalText(node, "os", where + ".os");
        if (architecture == null || os == null) {
            throw new ManifestInvalidException(where + " needs architecture and os");
        }
        List<String> features = new ArrayList<>();
        JsonNode f = node.get("os.features");
        if (f != null && !f.isNull()) {
            if (!f.isArray()) {
                throw new ManifestInvalidException(where + ".os.features must be an array of strings");
            }
            for (JsonNode x : f) {
                if (!x.isTextual()) {
                    throw new ManifestInvalidException(where + ".os.features must be an array of strings");
                }
                features.add(x.asText());
            }
        }
        return new Platform(architecture, os, optionalText(node, "variant", where + ".variant"),
                optionalText(node, "os.version", where + ".os.version"), features);
    }

    private static Map<String, String> annotations(@Nullable JsonNode node, String where) throws ManifestInvalidException {
        if (node == null || node.isNull()) {
            return Map.of();
        }
        if (!node.isObject()) {
            throw new ManifestInvalidException(where + " must be an object of strings");
        }
        Map<String, String> map = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : node.properties()) {
            if (!e.getValue().isTextual()) {
                throw new ManifestInvalidException(where + "." + e.getKey() + " must be a string");
            }
            map.put(e.getKey(), e.getValue().asText());
        }
        return map;
    }

    private static @Nullable String optionalText(JsonNode node, String field, String where) throws ManifestInvalidException {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isTextual()) {
            throw new ManifestInvalidException(where + " must be a string");
        }
        return value.asText();
    }
}
