package dev.bollard.oci;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;

class DigestTest {

    static final String SHA256_EMPTY = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    static final String SHA256_ABC = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
    static final String SHA512_ABC = "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
            + "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f";
    static final String SHA512_EMPTY = "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce"
            + "47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e";

    @Nested
    class Compute {
        @Test
        void sha256OfEmptyInput() {
            assertThat(Digest.sha256(new byte[0])).hasToString("sha256:" + SHA256_EMPTY);
            assertThat(Digest.compute(DigestAlgorithm.SHA256, new byte[0]).hex()).isEqualTo(SHA256_EMPTY);
        }

        @Test
        void sha256OfAbc() {
            Digest d = Digest.sha256("abc".getBytes(StandardCharsets.US_ASCII));
            assertThat(d.algorithm()).isEqualTo(DigestAlgorithm.SHA256);
            assertThat(d.hex()).isEqualTo(SHA256_ABC);
            assertThat(d).hasToString("sha256:" + SHA256_ABC);
        }

        @Test
        void sha512OfAbc() {
            Digest d = Digest.compute(DigestAlgorithm.SHA512, "abc".getBytes(StandardCharsets.US_ASCII));
            assertThat(d.algorithm()).isEqualTo(DigestAlgorithm.SHA512);
            assertThat(d).hasToString("sha512:" + SHA512_ABC);
        }

        @Test
        void sha512OfEmptyInput() {
            assertThat(Digest.compute(DigestAlgorithm.SHA512, new byte[0]).hex()).isEqualTo(SHA512_EMPTY);
        }

        @Test
        void computedDigestParsesBackToItself() {
            Digest d = Digest.compute(DigestAlgorithm.SHA512, "abc".getBytes(StandardCharsets.US_ASCII));
            assertThat(Digest.parse(d.toString())).isEqualTo(d);
        }

        @Test
        void ofFormatsRawHashAsLowerCaseHex() {
            byte[] hash = new byte[32];
            hash[0] = (byte) 0xAB;
            hash[31] = (byte) 0xFF;
            Digest d = Digest.of(DigestAlgorithm.SHA256, hash);
            assertThat(d.hex()).startsWith("ab").endsWith("ff").hasSize(64);
        }

        @Test
        void ofRejectsHashOfWrongLength() {
            assertThatThrownBy(() -> Digest.of(DigestAlgorithm.SHA256, new byte[31]))
                    .isInstanceOf(InvalidDigestException.class);
            assertThatThrownBy(() -> Digest.of(DigestAlgorithm.SHA512, new byte[32]))
                    .isInstanceOf(InvalidDigestException.class);
        }
    }

    @Nested
    class Parse {
        @Test
        void validSha256() {
            Digest d = Digest.parse("sha256:" + SHA256_ABC);
            assertThat(d.algorithm()).isEqualTo(DigestAlgorithm.SHA256);
            assertThat(d.hex()).isEqualTo(SHA256_ABC);
            assertThat(d).hasToString("sha256:" + SHA256_ABC);
        }

        @Test
        void validSha512() {
            Digest d = Digest.parse("sha512:" + SHA512_ABC);
            assertThat(d.algorithm()).isEqualTo(DigestAlgorithm.SHA512);
            assertThat(d.hex()).isEqualTo(SHA512_ABC);
        }

        @Test
        void isDigestAgreesWithParse() {
            assertThat(Digest.isDigest("sha256:" + SHA256_ABC)).isTrue();
            assertThat(Digest.isDigest("sha512:" + SHA512_ABC)).isTrue();
            assertThat(Digest.isDigest("sha256:" + SHA256_ABC.toUpperCase(Locale.ROOT))).isFalse();
            assertThat(Digest.isDigest("md5:d41d8cd98f00b204e9800998ecf8427e")).isFalse();
            assertThat(Digest.isDigest(null)).isFalse();
            assertThat(Digest.isDigest("")).isFalse();
            assertThat(Digest.isDigest("latest")).isFalse();
        }

        @ParameterizedTest
        @NullAndEmptySource
        void emptyIsRejected(String text) {
            assertThatThrownBy(() -> Digest.parse(text))
                    .isInstanceOf(InvalidDigestException.class)
                    .hasMessageContaining("empty");
        }

        @Test
        void upperCaseHexIsRejected() {
            assertThatThrownBy(() -> Digest.parse("sha256:" + SHA256_ABC.toUpperCase(Locale.ROOT)))
                    .isInstanceOf(InvalidDigestException.class)
                    .hasMessageContaining("sha256")
                    .hasMessageContaining("64")
                    .hasMessageContaining("lower-case hex");
        }

        @Test
        void mixedCaseHexIsRejected() {
            String hex = "B" + SHA256_ABC.substring(1);
            assertThatThrownBy(() -> Digest.parse("sha256:" + hex)).isInstanceOf(InvalidDigestException.class);
        }

        @Test
        void upperCaseAlgorithmIsRejected() {
            assertThatThrownBy(() -> Digest.parse("SHA256:" + SHA256_ABC))
                    .isInstanceOf(InvalidDigestException.class);
        }

        @ParameterizedTest
        @ValueSource(ints = {0, 1, 63, 65, 128})
        void sha256OfWrongLengthIsRejected(int length) {
            String hex = "a".repeat(length);
            assertThatThrownBy(() -> Digest.parse("sha256:" + hex))
                    .isInstanceOf(InvalidDigestException.class);
        }

        @ParameterizedTest
        @ValueSource(ints = {64, 127, 129})
        void sha512OfWrongLengthIsRejected(int length) {
            String hex = "a".repeat(length);
            assertThatThrownBy(() -> Digest.parse("sha512:" + hex))
                    .isInstanceOf(InvalidDigestException.class)
                    .hasMessageContaining("sha512")
                    .hasMessageContaining("128");
        }

        @Test
        void sha256OfLength63SaysSo() {
            assertThatThrownBy(() -> Digest.parse("sha256:" + SHA256_ABC.substring(1)))
                    .hasMessageContaining("64 lower-case hex characters");
        }

        @ParameterizedTest
        @ValueSource(strings = {"md5:d41d8cd98f00b204e9800998ecf8427e", "sha1:a9993e364706816aba3e25717850c26c9cd0d89d",
                "sha384:abc", "sha256+b64u:LCa0a2j_xo_5m0U8HTBBNBNCLXBkg7-g-YpeiGJm564", "blake3:abcdef"})
        void wellFormedButUnsupportedAlgorithmIsRejectedNamingIt(String text) {
            String algorithm = text.substring(0, text.indexOf(':'));
            assertThatThrownBy(() -> Digest.parse(text))
                    .isInstanceOf(InvalidDigestException.class)
                    .hasMessageContaining("unsupported digest algorithm")
                    .hasMessageContaining("'" + algorithm + "'");
        }

        @ParameterizedTest
        @ValueSource(strings = {
                "sha256",                       // missing colon
                SHA256_ABC,                     // hex alone
                ":" + SHA256_ABC,               // missing algorithm
                "sha256:",                      // missing encoded part
                "sha256::abc",                  // two colons
                "sha256 :abc",                  // blank in algorithm
                " sha256:" + SHA256_ABC,        // leading blank
                "sha256:" + SHA256_ABC + " ",   // trailing blank
                "sha256:" + SHA256_ABC + "\n",  // trailing newline
                "sha256:ab/cd",                 // character outside the encoded alphabet
                "-sha256:abc",                  // separator first
                "sha256-:abc",                  // separator last
                "sha__256:abc",                 // two separators in a row
        })
        void malformedIsRejectedAsNotADigest(String text) {
            assertThatThrownBy(() -> Digest.parse(text))
                    .isInstanceOf(InvalidDigestException.class)
                    .hasMessageContaining("not a digest");
        }

        @Test
        void veryLongInputIsRejectedWithAnAbbreviatedMessage() {
            String text = "sha256:" + "a".repeat(100_000);
            assertThatThrownBy(() -> Digest.parse(text))
                    .isInstanceOf(InvalidDigestException.class)
                    .hasMessageContaining("not a digest")
                    .hasMessageEndingWith("...")
                    .satisfies(e -> assertThat(e.getMessage().length()).isLessThan(200));
        }

        @Test
        void veryLongAlgorithmIsRejected() {
            String text = "a".repeat(300) + ":" + SHA256_ABC;
            assertThatThrownBy(() -> Digest.parse(text)).isInstanceOf(InvalidDigestException.class);
        }

        @Test
        void invalidDigestExceptionIsAnIllegalArgumentException() {
            assertThatThrownBy(() -> Digest.parse("nope")).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Nested
    class Construct {
        @Test
        void nullPartsAreRejected() {
            assertThatThrownBy(() -> new Digest(null, SHA256_ABC)).isInstanceOf(InvalidDigestException.class);
            assertThatThrownBy(() -> new Digest(DigestAlgorithm.SHA256, null))
                    .isInstanceOf(InvalidDigestException.class);
        }

        @Test
        void hexOfTheOtherAlgorithmIsRejected() {
            assertThatThrownBy(() -> new Digest(DigestAlgorithm.SHA512, SHA256_ABC))
                    .isInstanceOf(InvalidDigestException.class);
            assertThatThrownBy(() -> new Digest(DigestAlgorithm.SHA256, SHA512_ABC))
                    .isInstanceOf(InvalidDigestException.class);
        }

        @Test
        void nonHexIsRejected() {
            assertThatThrownBy(() -> new Digest(DigestAlgorithm.SHA256, "g".repeat(64)))
                    .isInstanceOf(InvalidDigestException.class);
        }
    }

    @Nested
    class Identity {
        @Test
        void equalsAndHashCodeFollowTheValue() {
            Digest a = Digest.parse("sha256:" + SHA256_ABC);
            Digest b = new Digest(DigestAlgorithm.SHA256, SHA256_ABC);
            assertThat(a).isEqualTo(b).hasSameHashCodeAs(b);
            assertThat(a).isNotEqualTo(Digest.parse("sha256:" + SHA256_EMPTY));
        }

        @Test
        void compareToOrdersByTextAndIsConsistentWithEquals() {
            Digest empty = Digest.parse("sha256:" + SHA256_EMPTY);
            Digest abc = Digest.parse("sha256:" + SHA256_ABC);
            Digest sha512 = Digest.parse("sha512:" + SHA512_ABC);
            List<Digest> list = new ArrayList<>(List.of(sha512, empty, abc));
            Collections.sort(list);
            assertThat(list).containsExactly(abc, empty, sha512);
            assertThat(abc.compareTo(new Digest(DigestAlgorithm.SHA256, SHA256_ABC))).isZero();
        }
    }

    @Nested
    class Algorithms {
        @Test
        void prefixesAndLengths() {
            assertThat(DigestAlgorithm.SHA256.prefix()).isEqualTo("sha256");
            assertThat(DigestAlgorithm.SHA256.hexLength()).isEqualTo(64);
            assertThat(DigestAlgorithm.SHA512.prefix()).isEqualTo("sha512");
            assertThat(DigestAlgorithm.SHA512.hexLength()).isEqualTo(128);
        }

        @Test
        void byPrefix() {
            assertThat(DigestAlgorithm.byPrefix("sha256")).contains(DigestAlgorithm.SHA256);
            assertThat(DigestAlgorithm.byPrefix("sha512")).contains(DigestAlgorithm.SHA512);
            assertThat(DigestAlgorithm.byPrefix("SHA256")).isEmpty();
            assertThat(DigestAlgorithm.byPrefix("sha384")).isEmpty();
            assertThat(DigestAlgorithm.byPrefix("")).isEmpty();
            assertThat(DigestAlgorithm.byPrefix(null)).isEmpty();
        }

        @Test
        void messageDigestsAreFreshAndMatchTheLength() {
            for (DigestAlgorithm a : DigestAlgorithm.values()) {
                assertThat(a.newMessageDigest()).isNotSameAs(a.newMessageDigest());
                assertThat(a.newMessageDigest().getDigestLength() * 2).isEqualTo(a.hexLength());
            }
        }
    }
}
