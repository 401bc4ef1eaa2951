package dev.bollard.oci;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamWriteConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bollard.testing.JsonArbitraries;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import org.jspecify.annotations.Nullable;

/**
 * Property: whatever a client sends as a manifest — a valid manifest or index changed by any number of JSON-level
 * mutations (fields removed, replaced by any JSON value, added, nested far past the parser's limits) and byte-level
 * ones (truncated, bytes flipped, garbage inserted), under any Content-Type — {@link ManifestParser#parse} returns a
 * manifest or throws {@link ManifestInvalidException}, which the registry answers with MANIFEST_INVALID. Any other
 * exception would be a 500.
 */
class ManifestParserPropertiesTest {

    /** Reads and writes nesting far deeper than the parser under test allows, to send it such documents. */
    private static final ObjectMapper JSON = new ObjectMapper(JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(100_000).build())
            .streamWriteConstraints(StreamWriteConstraints.builder().maxNestingDepth(100_000).build()).build());
    private static final List<Supplier<ObjectNode>> VALID = List.of(ManifestParserTest::ociManifest,
            ManifestParserTest::ociIndex, ManifestParserTest::dockerManifest, ManifestParserTest::dockerManifestList);

    /** One change to the tree: {@code kind} picks what, {@code where} which node (modulo their number). */
    record Mutation(int kind, int where, JsonNode value, String key, int depth) {
    }

    /** One change to the serialized bytes. */
    record ByteEdit(int kind, int where, byte[] bytes) {
    }

    @Property(tries = 1000)
    void mutatedManifestsAreParsedOrRefusedAsInvalid(@ForAll("manifests") int which,
            @ForAll("mutations") List<Mutation> mutations, @ForAll("edits") List<ByteEdit> edits,
            @ForAll("contentTypes") @Nullable String contentType) throws Exception {
        JsonNode tree = VALID.get(which).get();
        for (Mutation m : mutations) {
            tree = apply(tree, m);
        }
        byte[] body = JSON.writeValueAsBytes(tree);
        for (ByteEdit e : edits) {
            body = apply(body, e);
        }
        Manifest parsed;
        try {
            parsed = ManifestParser.parse(body, contentType);
        } catch (ManifestInvalidException e) {
            assertThat(e.getMessage()).isNotBlank();
            return;
        }
        // Accepted: what it says must be consistent with a manifest the registry can store.
        assertThat(MediaTypes.isManifest(parsed.mediaType())).isTrue();
    }

    @Property(tries = 200)
    void anyJsonValueIsParsedOrRefusedAsInvalid(@ForAll("anyJson") String body,
            @ForAll("contentTypes") @Nullable String contentType) {
        try {
            ManifestParser.parse(body.getBytes(StandardCharsets.UTF_8), contentType);
        } catch (ManifestInvalidException e) {
            assertThat(e.getMessage()).isNotBlank();
        }
    }

    @Provide
    Arbitrary<Integer> manifests() {
        return Arbitraries.integers().between(0, VALID.size() - 1);
    }

    @Provide
    Arbitrary<List<Mutation>> mutations() {
        Arbitrary<String> keys = Arbitraries.oneOf(Arbitraries.of("schemaVersion", "mediaType", "config", "layers",
                "manifests", "digest", "size", "urls", "platform", "os", "architecture", "os.features", "annotations",
                "subject", "artifactType", "data"), JsonArbitraries.strings());
        return Combinators.combine(Arbitraries.integers().between(0, 5), Arbitraries.integers().greaterOrEqual(0),
                        JsonArbitraries.values(2), keys, Arbitraries.frequencyOf(Tuple.of(6, Arbitraries.integers().between(1, 30)),
                                Tuple.of(1, Arbitraries.integers().between(990, 1100))))
                .as(Mutation::new).list().ofMaxSize(6);
    }

    @Provide
    Arbitrary<List<ByteEdit>> edits() {
        Arbitrary<List<ByteEdit>> some = Combinators.combine(Arbitraries.integers().between(0, 3),
                        Arbitraries.integers().greaterOrEqual(0), Arbitraries.bytes().array(byte[].class).ofMaxSize(8))
                .as(ByteEdit::new).list().ofMinSize(1).ofMaxSize(2);
        // most bodies stay well-formed JSON, so that the structural checks are exercised
        return Arbitraries.frequencyOf(Tuple.of(3, Arbitraries.just(List.of())), Tuple.of(1, some));
    }

    @Provide
    Arbitrary<@Nullable String> contentTypes() {
        return Arbitraries.oneOf(Arbitraries.of(MediaTypes.OCI_MANIFEST, MediaTypes.OCI_INDEX,
                        MediaTypes.DOCKER_MANIFEST, MediaTypes.DOCKER_MANIFEST_LIST, MediaTypes.DOCKER_SCHEMA1,
                        MediaTypes.OCI_MANIFEST + "; charset=utf-8", "application/json", "text/plain", "", ";", " ;a=b"),
                JsonArbitraries.strings()).injectNull(0.15);
    }

    @Provide
    Arbitrary<String> anyJson() {
        return Arbitraries.oneOf(JsonArbitraries.values(4).map(JsonNode::toString),
                Arbitraries.integers().between(900, 1500).map(n -> JsonArbitraries.nested(n, n % 2 == 0, "2")),
                Arbitraries.strings().ofMaxLength(200));
    }

    // ---- applying mutations ----

    /** A place in the tree: a field of an object or an element of an array. */
    private record Slot(JsonNode parent, @Nullable String field, int index) {
    }

    private static JsonNode apply(JsonNode root, Mutation m) {
        List<Slot> slots = new ArrayList<>();
        List<JsonNode> containers = new ArrayList<>();
        collect(root, slots, containers);
        if (containers.isEmpty()) { // the document was replaced by a scalar
            return m.kind() == 4 ? m.value() : root;
        }
        switch (m.kind()) {
            case 0 -> { // remove a field or element
                if (!slots.isEmpty()) {
                    Slot s = slots.get(m.where() % slots.size());
                    if (s.field() != null) {
                        ((ObjectNode) s.parent()).remove(s.field());
                    } else {
                        ((ArrayNode) s.parent()).remove(s.index());
                    }
                }
            }
            case 1 -> { // replace a value by any JSON value
                if (!slots.isEmpty()) {
                    set(slots.get(m.where() % slots.size()), m.value());
                }
            }
            case 2 -> { // add a field or element
                JsonNode c = containers.get(m.where() % containers.size());
                if (c instanceof ObjectNode o) {
                    o.set(m.key(), m.value());
                } else if (c instanceof ArrayNode a) {
                    a.add(m.value());
                }
            }
            case 3 -> { // nest a value deeply (past Jackson's nesting limit when depth > 1000)
                if (!slots.isEmpty()) {
                    Slot s = slots.get(m.where() % slots.size());
                    try {
                        set(s, JSON.readTree(JsonArbitraries.nested(m.depth(), m.depth() % 2 == 0,
                                m.value().toString())));
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                }
            }
            case 4 -> { // replace the whole document
                return m.value();
            }
            default -> { // duplicate a descriptor-bearing array's elements (big lists)
                for (JsonNode c : containers) {
                    if (c instanceof ArrayNode a && !a.isEmpty()) {
                        JsonNode first = a.get(0);
                        for (int i = 0; i < m.depth() % 200; i++) {
                            a.add(first.deepCopy());
                        }
                        break;
                    }
                }
            }
        }
        return root;
    }

    private static void collect(JsonNode node, List<Slot> slots, List<JsonNode> containers) {
        if (node instanceof ObjectNode o) {
            containers.add(o);
            for (String f : iterable(o.fieldNames())) {
                slots.add(new Slot(o, f, -1));
                collect(o.get(f), slots, containers);
            }
        } else if (node instanceof ArrayNode a) {
            containers.add(a);
            for (int i = 0; i < a.size(); i++) {
                slots.add(new Slot(a, null, i));
                collect(a.get(i), slots, containers);
            }
        }
    }

    private static List<String> iterable(java.util.Iterator<String> names) {
        List<String> all = new ArrayList<>();
        names.forEachRemaining(all::add);
        return all;
    }

    private static void set(Slot s, JsonNode value) {
        if (s.field() != null) {
            ((ObjectNode) s.parent()).set(s.field(), value);
        } else {
            ((ArrayNode) s.parent()).set(s.index(), value);
        }
    }

    private static byte[] apply(byte[] body, ByteEdit e) {
        if (body.length == 0) {
            return e.bytes();
        }
        int at = e.where() % body.length;
        return switch (e.kind()) {
            case 0 -> Arrays.copyOf(body, at); // truncated
            case 1 -> { // a byte flipped
                byte[] b = body.clone();
                b[at] = (byte) (b[at] ^ (e.bytes().length == 0 ? 0x20 : e.bytes()[0] | 1));
                yield b;
            }
            case 2 -> { // garbage inserted
                byte[] b = new byte[body.length + e.bytes().length];
                System.arraycopy(body, 0, b, 0, at);
                System.arraycopy(e.bytes(), 0, b, at, e.bytes().length);
                System.arraycopy(body, at, b, at + e.bytes().length, body.length - at);
                yield b;
            }
            default -> { // garbage appended (trailing tokens)
                byte[] b = Arrays.copyOf(body, body.length + e.bytes().length + 1);
                b[body.length] = ' ';
                System.arraycopy(e.bytes(), 0, b, body.length + 1, e.bytes().length);
                yield b;
            }
        };
    }
}
