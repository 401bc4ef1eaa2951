package dev.bollard.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.math.BigInteger;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Tuple;

/**
 * jqwik generators of JSON for the property-based tests of the parsers that read it (manifests, /api/v1 bodies):
 * any JSON value, biased towards what the parsers look for (digests, media types, huge and negative numbers,
 * odd strings), with nesting bounded by a depth.
 */
public final class JsonArbitraries {
    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    private JsonArbitraries() {
    }

    /** Strings a registry's parsers meet: ordinary, empty, control and non-BMP characters, digests, media types. */
    public static Arbitrary<String> strings() {
        return Arbitraries.frequencyOf(
                Tuple.of(4, Arbitraries.strings().ofMaxLength(40)),
                Tuple.of(2, Arbitraries.strings().alpha().numeric().withChars("._-:/+").ofMaxLength(40)),
                Tuple.of(1, Arbitraries.of("", " ", "\u0000", "null", "true", "-1", "1e999", "sha256:", "\uD83D\uDE00",
                        "sha256:" + "a".repeat(64), "sha512:" + "b".repeat(128), "sha256:" + "A".repeat(64),
                        "md5:d41d8cd98f00b204e9800998ecf8427e", "application/vnd.oci.image.manifest.v1+json",
                        "application/vnd.oci.image.index.v1+json", "application/vnd.oci.image.config.v1+json",
                        "application/vnd.docker.distribution.manifest.v2+json", "admin", "owner", "read", "write",
                        "public", "private", "acme", "acme/app", "30d", "v*", "http://127.0.0.1:1/hook")),
                Tuple.of(1, Arbitraries.strings().ofMinLength(300).ofMaxLength(3000)));
    }

    public static Arbitrary<JsonNode> scalars() {
        return Arbitraries.frequencyOf(
                Tuple.of(1, Arbitraries.just(F.nullNode())),
                Tuple.of(1, Arbitraries.of(true, false).map(F::booleanNode)),
                Tuple.of(2, Arbitraries.longs().map(F::numberNode)),
                Tuple.of(1, Arbitraries.of(0L, -1L, 1L, Integer.MAX_VALUE + 1L, Long.MIN_VALUE).map(F::numberNode)),
                Tuple.of(1, Arbitraries.doubles().map(F::numberNode)),
                Tuple.of(1, Arbitraries.of(new BigInteger("9".repeat(40)), new BigInteger("-" + "9".repeat(40)))
                        .map(F::numberNode)),
                Tuple.of(1, Arbitraries.of(new BigDecimal("1e400"), new BigDecimal("2.5")).map(F::numberNode)),
                Tuple.of(4, strings().map(F::textNode)));
    }

    /** Any JSON value nested at most {@code depth} levels. */
    public static Arbitrary<JsonNode> values(int depth) {
        if (depth <= 0) {
            return scalars();
        }
        return Arbitraries.frequencyOf(
                Tuple.of(4, scalars()),
                Tuple.of(1, arrays(depth - 1)),
                Tuple.of(1, objects(depth - 1)));
    }

    public static Arbitrary<JsonNode> arrays(int depth) {
        return values(depth).list().ofMaxSize(4).map(items -> {
            ArrayNode a = F.arrayNode();
            a.addAll(items);
            return a;
        });
    }

    /** Objects with arbitrary keys and, more often, the given ones (the fields a parser reads). */
    public static Arbitrary<JsonNode> objects(int depth, String... likelyKeys) {
        Arbitrary<String> keys = likelyKeys.length == 0 ? strings()
                : Arbitraries.frequencyOf(Tuple.of(3, Arbitraries.of(likelyKeys)), Tuple.of(1, strings()));
        return Arbitraries.maps(keys, values(depth)).ofMaxSize(likelyKeys.length == 0 ? 4 : likelyKeys.length + 2)
                .map(fields -> {
                    ObjectNode o = F.objectNode();
                    fields.forEach(o::set);
                    return o;
                });
    }

    /** {@code value} wrapped in {@code levels} arrays or objects: nesting past the parsers' limits. */
    public static String nested(int levels, boolean objects, String value) {
        StringBuilder s = new StringBuilder(levels * 7 + value.length());
        for (int i = 0; i < levels; i++) {
            s.append(objects ? "{\"a\":" : "[");
        }
        s.append(value);
        for (int i = 0; i < levels; i++) {
            s.append(objects ? '}' : ']');
        }
        return s.toString();
    }
}
