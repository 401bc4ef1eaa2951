package dev.bollard.oci;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;

class RepositoryNameTest {

    @ParameterizedTest
    @ValueSource(strings = {
            "a", "0", "alpine", "library/alpine", "a/b/c/d/e/f", "my-org/my-team/my-app",
            "a.b", "a_b", "a__b", "a-b", "a--b", "a---b", "a-----------b",
            "a.b_c__d-e---f", "1.2.3/4-5-6", "ubuntu/22.04", "x0/y1/z2", "abc123/def456",
            "a.b.c/d_e_f/g__h/i-j-k",
    })
    void validNames(String name) {
        assertThat(RepositoryName.isValid(name)).isTrue();
        assertThat(RepositoryName.problemWith(name)).isNull();
        assertThat(RepositoryName.parse(name).value()).isEqualTo(name);
        assertThat(new RepositoryName(name)).hasToString(name);
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "A", "Alpine", "library/Alpine", "aB",       // upper case
            "a..b", "a.-b", "a-.b", "a_-b", "a._b",       // two separators in a row
            "a___b",                                       // three underscores: neither '_' nor '__'
            ".a", "_a", "__a", "-a", "a.", "a_", "a__", "a-", // leading or trailing separator
            "a//b", "/a", "a/", "/", "//",                 // empty path components
            "a/.b", "a/-b", "a./b", "a-/b",                // separators at component edges
            "a b", " a", "a ", "a\tb", "a\n",              // blanks
            "a:b", "a@b", "a+b", "a~b", "a*b", "a%2fb",    // other punctuation
            "a\\b", "ä", "a/ö",                            // backslash, non-ASCII
            "a/../b", "..", ".",                           // path traversal
    })
    void invalidNamesAreRejectedWithTheNameInTheMessage(String name) {
        assertThat(RepositoryName.isValid(name)).isFalse();
        assertThat(RepositoryName.problemWith(name))
                .contains("invalid repository name")
                .contains("'" + name + "'");
        assertThatThrownBy(() -> RepositoryName.parse(name))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("invalid repository name");
    }

    @ParameterizedTest
    @NullAndEmptySource
    void emptyIsRejected(String name) {
        assertThat(RepositoryName.isValid(name)).isFalse();
        assertThat(RepositoryName.problemWith(name)).contains("empty");
        assertThatThrownBy(() -> new RepositoryName(name))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("empty");
    }

    @Test
    void maxLengthIs255() {
        assertThat(RepositoryName.MAX_LENGTH).isEqualTo(255);
    }

    @Test
    void nameOf255CharactersIsValid() {
        String name = "a".repeat(255);
        assertThat(RepositoryName.isValid(name)).isTrue();
        assertThat(RepositoryName.parse(name).value()).hasSize(255);
    }

    @Test
    void multiComponentNameOf255CharactersIsValid() {
        // 51 components of 4 characters joined by 50 slashes: 51*4 + 50 = 254, plus one more character
        String name = String.join("/", Collections.nCopies(51, "ab-c")) + "d";
        assertThat(name).hasSize(255);
        assertThat(RepositoryName.isValid(name)).isTrue();
    }

    @Test
    void nameOf256CharactersIsRejectedForItsLength() {
        String name = "a".repeat(256);
        assertThat(RepositoryName.problemWith(name)).contains("longer than 255");
        assertThatThrownBy(() -> RepositoryName.parse(name))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("255");
    }

    @Test
    void multiComponentNameOf256CharactersIsRejected() {
        String name = String.join("/", Collections.nCopies(51, "ab-c")) + "de";
        assertThat(name).hasSize(256);
        assertThat(RepositoryName.isValid(name)).isFalse();
    }

    @Test
    void veryLongNameIsRejectedWithoutEchoingIt() {
        String name = "a".repeat(1_000_000);
        assertThat(RepositoryName.problemWith(name)).contains("longer than 255").hasSizeLessThan(100);
    }

    @Test
    @Timeout(5)
    void pathologicalInputDoesNotBacktrackForever() {
        // Long runs of alternating characters and separators that fail only at the very end.
        String name = "a-".repeat(127) + "!";
        assertThat(RepositoryName.isValid(name)).isFalse();
        String name2 = "a_".repeat(120) + "_";
        assertThat(RepositoryName.isValid(name2)).isFalse();
        String name3 = "a-b".repeat(80) + "-";
        assertThat(RepositoryName.isValid(name3)).isFalse();
    }

    @Test
    void equalityAndOrdering() {
        assertThat(RepositoryName.parse("a/b")).isEqualTo(new RepositoryName("a/b"))
                .hasSameHashCodeAs(new RepositoryName("a/b"))
                .isNotEqualTo(new RepositoryName("a/c"));
        List<RepositoryName> names = new ArrayList<>(List.of(
                RepositoryName.parse("b"), RepositoryName.parse("a/b"), RepositoryName.parse("a")));
        Collections.sort(names);
        assertThat(names).extracting(RepositoryName::value).containsExactly("a", "a/b", "b");
    }
}
