package dev.bollard.oci;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;

class TagTest {

    @ParameterizedTest
    @ValueSource(strings = {
            "latest", "v1", "1", "_", "_private", "A", "V1.2.3", "1.0.0-rc.1", "a_b-c.d", "UPPER_lower-09",
            "sha256-e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "a.", "a-", "a..b", "a--b",
    })
    void validTags(String tag) {
        assertThat(Tag.isValid(tag)).isTrue();
        assertThat(new Tag(tag).value()).isEqualTo(tag);
        assertThat(new Tag(tag)).hasToString(tag);
    }

    @ParameterizedTest
    @ValueSource(strings = {
            ".", "-", ".latest", "-latest", // must not start with '.' or '-'
            "a:b", "a/b", "a@b", "a+b", "a b", " a", "a ", "a\n", "ä", "a~b", "a%b",
    })
    void invalidTagsAreRejectedNamingTheTag(String tag) {
        assertThat(Tag.isValid(tag)).isFalse();
        assertThatThrownBy(() -> new Tag(tag))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("invalid tag")
                .hasMessageContaining("'" + tag + "'");
    }

    @ParameterizedTest
    @NullAndEmptySource
    void emptyIsRejected(String tag) {
        assertThat(Tag.isValid(tag)).isFalse();
        assertThatThrownBy(() -> new Tag(tag)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void tagOf128CharactersIsValid() {
        String tag = "a".repeat(128);
        assertThat(Tag.isValid(tag)).isTrue();
        assertThat(new Tag(tag).value()).hasSize(128);
        assertThat(Tag.isValid("_" + "-".repeat(127))).isTrue();
    }

    @Test
    void tagOf129CharactersIsRejected() {
        String tag = "a".repeat(129);
        assertThat(Tag.isValid(tag)).isFalse();
        assertThatThrownBy(() -> new Tag(tag))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("128");
    }

    @Test
    void referrersFallbackForSha256IsAlgorithmDashHex() {
        Digest subject = Digest.parse("sha256:" + DigestTest.SHA256_ABC);
        Tag tag = Tag.referrersFallback(subject);
        assertThat(tag.value()).isEqualTo("sha256-" + DigestTest.SHA256_ABC);
    }

    @Test
    void referrersFallbackForSha512KeepsTheFirst64HexCharacters() {
        // distribution-spec v1.1, referrers tag schema: <alg>-<ref>, where <ref> is limited to 64 characters.
        Digest subject = Digest.parse("sha512:" + DigestTest.SHA512_ABC);
        Tag tag = Tag.referrersFallback(subject);
        assertThat(tag.value()).isEqualTo("sha512-" + DigestTest.SHA512_ABC.substring(0, 64));
        assertThat(Tag.isValid(tag.value())).isTrue();
    }

    @Test
    void equalityAndOrdering() {
        assertThat(new Tag("v1")).isEqualTo(new Tag("v1")).hasSameHashCodeAs(new Tag("v1"))
                .isNotEqualTo(new Tag("V1"));
        List<Tag> tags = new ArrayList<>(List.of(new Tag("b"), new Tag("B"), new Tag("a"), new Tag("_")));
        Collections.sort(tags);
        // lexical (byte) order: upper case < '_' < lower case
        assertThat(tags).extracting(Tag::value).containsExactly("B", "_", "a", "b");
    }
}
