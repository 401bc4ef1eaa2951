package dev.bollard.oci;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HexFormat;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.StringLength;

/**
 * Properties of the grammars of tags, digests, repository names and references: what the grammar allows parses
 * and prints back unchanged; any other string fails with the one exception each parser defines (which the HTTP
 * layer maps to TAG_INVALID, DIGEST_INVALID, NAME_INVALID), never with another.
 */
class ReferencePropertiesTest {

    // ---- round trips of valid values ----

    @Property
    void validTagsRoundTrip(@ForAll("tags") String text) {
        assertThat(new Tag(text).value()).isEqualTo(text);
        assertThat(Tag.isValid(text)).isTrue();
        assertThat(Reference.parse(text)).isEqualTo(new Reference.ByTag(new Tag(text)));
        assertThat(Reference.parse(text).toString()).isEqualTo(text);
    }

    @Property
    void validDigestsRoundTrip(@ForAll("digests") String text) {
        Digest d = Digest.parse(text);
        assertThat(d.toString()).isEqualTo(text);
        assertThat(Digest.parse(d.toString())).isEqualTo(d);
        assertThat(Reference.parse(text)).isEqualTo(new Reference.ByDigest(d));
        assertThat(Reference.parse(text).toString()).isEqualTo(text);
    }

    @Property
    void computedDigestsRoundTrip(@ForAll byte[] content, @ForAll DigestAlgorithm algorithm) {
        Digest d = Digest.compute(algorithm, content);
        assertThat(Digest.parse(d.toString())).isEqualTo(d);
        assertThat(d.hex()).hasSize(algorithm.hexLength());
    }

    @Property
    void validRepositoryNamesRoundTrip(@ForAll("repositoryNames") String text) {
        assertThat(RepositoryName.parse(text).value()).isEqualTo(text);
        assertThat(RepositoryName.problemWith(text)).isNull();
    }

    // ---- arbitrary strings: only the defined exception ----

    @Property(tries = 3000)
    void anyStringIsADigestOrAnInvalidDigest(@ForAll("nearDigests") String text) {
        try {
            Digest d = Digest.parse(text);
            assertThat(d.toString()).isEqualTo(text);
            assertThat(Digest.isDigest(text)).isTrue();
        } catch (InvalidDigestException e) {
            assertThat(e.getMessage()).isNotBlank();
            assertThat(Digest.isDigest(text)).isFalse();
        }
    }

    @Property(tries = 3000)
    void anyStringIsATagOrAnInvalidTag(@ForAll("nearTags") String text) {
        boolean valid = Tag.isValid(text);
        if (valid) {
            assertThat(new Tag(text).value()).isEqualTo(text);
        } else {
            assertThatThrownBy(() -> new Tag(text)).isExactlyInstanceOf(IllegalArgumentException.class);
        }
    }

    @Property(tries = 3000)
    void anyStringIsAReferenceOrAnIllegalArgument(@ForAll("nearReferences") String text) {
        try {
            Reference r = Reference.parse(text);
            assertThat(r.toString()).isEqualTo(text);
        } catch (IllegalArgumentException e) { // InvalidDigestException is one
            assertThat(e.getMessage()).isNotBlank();
        }
    }

    @Property(tries = 3000)
    void anyStringIsARepositoryNameOrHasAProblem(@ForAll("nearNames") String text) {
        String problem = RepositoryName.problemWith(text);
        if (problem == null) {
            assertThat(new RepositoryName(text).value()).isEqualTo(text);
            assertThat(text.length()).isLessThanOrEqualTo(RepositoryName.MAX_LENGTH);
        } else {
            assertThatThrownBy(() -> new RepositoryName(text)).isExactlyInstanceOf(IllegalArgumentException.class)
                    .hasMessage(problem);
            assertThat(RepositoryName.isValid(text)).isFalse();
        }
    }

    @Property(tries = 30)
    void veryLongStringsAreRefusedQuickly(@ForAll @StringLength(min = 10_000, max = 100_000) String text) {
        long start = System.nanoTime();
        assertThat(Digest.isDigest("sha256:" + text)).isFalse();
        assertThat(Tag.isValid(text)).isFalse();
        assertThat(RepositoryName.isValid(text)).isFalse();
        assertThat(System.nanoTime() - start).as("no catastrophic backtracking").isLessThan(1_000_000_000L);
    }

    // ---- generators ----

    @Provide
    Arbitrary<String> tags() {
        return Combinators.combine(Arbitraries.strings().alpha().numeric().withChars('_').ofLength(1),
                Arbitraries.strings().alpha().numeric().withChars("._-").ofMaxLength(127)).as(String::concat);
    }

    @Provide
    Arbitrary<String> digests() {
        return Arbitraries.oneOf(
                Arbitraries.bytes().array(byte[].class).ofMinSize(32).ofMaxSize(32).map(b -> "sha256:" + HexFormat.of().formatHex(b)),
                Arbitraries.bytes().array(byte[].class).ofMinSize(64).ofMaxSize(64).map(b -> "sha512:" + HexFormat.of().formatHex(b)));
    }

    @Provide
    Arbitrary<String> repositoryNames() {
        Arbitrary<String> alnum = Arbitraries.strings().withCharRange('a', 'z').numeric().ofMinLength(1).ofMaxLength(8);
        Arbitrary<String> component = Combinators.combine(alnum,
                Combinators.combine(Arbitraries.of(".", "_", "__", "-", "--"), alnum).as(String::concat)
                        .list().ofMaxSize(2).map(l -> String.join("", l))).as(String::concat);
        return component.list().ofMinSize(1).ofMaxSize(5).map(l -> String.join("/", l))
                .filter(s -> s.length() <= RepositoryName.MAX_LENGTH);
    }

    /** Valid digests with a change, and arbitrary strings. */
    @Provide
    Arbitrary<String> nearDigests() {
        return Arbitraries.oneOf(mutated(digests()), Arbitraries.strings(),
                Arbitraries.strings().withChars("sha256:abcdefABCDEF0123456789+._-=").ofMaxLength(300));
    }

    @Provide
    Arbitrary<String> nearTags() {
        return Arbitraries.oneOf(mutated(tags()), Arbitraries.strings());
    }

    @Provide
    Arbitrary<String> nearReferences() {
        return Arbitraries.oneOf(mutated(tags()), mutated(digests()), Arbitraries.strings());
    }

    @Provide
    Arbitrary<String> nearNames() {
        return Arbitraries.oneOf(mutated(repositoryNames()), Arbitraries.strings(),
                Arbitraries.strings().withChars("ab0/._-").ofMaxLength(300));
    }

    /** {@code valid} with one character replaced, inserted or removed, or cut short. */
    static Arbitrary<String> mutated(Arbitrary<String> valid) {
        return Combinators.combine(valid, Arbitraries.integers().between(0, 3), Arbitraries.integers().greaterOrEqual(0),
                Arbitraries.chars()).as((s, kind, where, c) -> {
                    if (s.isEmpty()) {
                        return String.valueOf(c);
                    }
                    int at = where % s.length();
                    return switch (kind) {
                        case 0 -> s.substring(0, at) + c + s.substring(at + 1);
                        case 1 -> s.substring(0, at) + c + s.substring(at);
                        case 2 -> s.substring(0, at) + s.substring(at + 1);
                        default -> s.substring(0, at);
                    };
                });
    }
}
