package dev.bollard.oci;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ReferenceTest {

    @Test
    void tagParsesToByTag() {
        Reference r = Reference.parse("latest");
        assertThat(r).isInstanceOf(Reference.ByTag.class);
        assertThat(((Reference.ByTag) r).tag()).isEqualTo(new Tag("latest"));
        assertThat(r).hasToString("latest");
    }

    @Test
    void sha256DigestParsesToByDigest() {
        String text = "sha256:" + DigestTest.SHA256_ABC;
        Reference r = Reference.parse(text);
        assertThat(r).isInstanceOf(Reference.ByDigest.class);
        assertThat(((Reference.ByDigest) r).digest()).isEqualTo(Digest.parse(text));
        assertThat(r).hasToString(text);
    }

    @Test
    void sha512DigestParsesToByDigest() {
        String text = "sha512:" + DigestTest.SHA512_ABC;
        assertThat(Reference.parse(text)).isEqualTo(new Reference.ByDigest(Digest.parse(text)));
    }

    @Test
    void tagThatLooksLikeHexIsStillATag() {
        Reference r = Reference.parse(DigestTest.SHA256_ABC);
        assertThat(r).isInstanceOf(Reference.ByTag.class);
    }

    @Test
    void referrersFallbackTagIsATag() {
        Reference r = Reference.parse("sha256-" + DigestTest.SHA256_ABC);
        assertThat(r).isInstanceOf(Reference.ByTag.class);
    }

    @ParameterizedTest
    @ValueSource(strings = {"sha256:abc", "sha256:", ":latest", "v1:2", "md5:d41d8cd98f00b204e9800998ecf8427e",
            "sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"})
    void anythingWithAColonMustBeAValidDigest(String text) {
        assertThatThrownBy(() -> Reference.parse(text)).isInstanceOf(InvalidDigestException.class);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", ".hidden", "-x", "a/b", "a@b"})
    void anythingElseMustBeAValidTag(String text) {
        assertThatThrownBy(() -> Reference.parse(text))
                .isInstanceOf(IllegalArgumentException.class)
                .isNotInstanceOf(InvalidDigestException.class)
                .hasMessageContaining("invalid tag");
    }

    @Test
    void tooLongTagIsRejected() {
        assertThat(Reference.parse("t".repeat(128))).isInstanceOf(Reference.ByTag.class);
        assertThatThrownBy(() -> Reference.parse("t".repeat(129)))
                .isInstanceOf(IllegalArgumentException.class)
                .isNotInstanceOf(InvalidDigestException.class);
    }

    @Test
    void nullIsRejectedAsATag() {
        assertThatThrownBy(() -> Reference.parse(null))
                .isInstanceOf(IllegalArgumentException.class)
                .isNotInstanceOf(InvalidDigestException.class);
    }
}
