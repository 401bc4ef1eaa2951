package dev.bollard.mirror;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.bollard.error.BollardException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A mirror's tag filters: globs, a regular expression, a semantic-version range, and the newest N. */
class TagFilterTest {
    private static final List<String> UPSTREAM = List.of("1.10.0", "1.2", "1.9.1", "2.0.0", "2.0.0-rc.1", "latest",
            "v1.11.2", "v1.4.0-alpine", "1.2.3.4", "01.2.3");

    @Test
    void aSemverRangeSelectsTheVersionsInIt() {
        assertThat(TagFilter.of(List.of(), null, null, ">=1.2 <2").select(UPSTREAM))
                .containsExactly("1.10.0", "1.2", "1.9.1", "v1.11.2");
        assertThat(TagFilter.of(List.of(), null, null, "^2.0.0-rc.0").select(UPSTREAM))
                .containsExactly("2.0.0", "2.0.0-rc.1");
        assertThat(TagFilter.of(List.of(), null, null, "~1.9 || 2.x").select(UPSTREAM))
                .containsExactly("1.9.1", "2.0.0");
        // With globs: both apply.
        assertThat(TagFilter.of(List.of("v*"), null, null, "1.x").select(UPSTREAM)).containsExactly("v1.11.2");
    }

    @Test
    void newestWithARangeIsTheHighestVersionsNotTheLastListed() {
        // Listed lexically, 1.9.1 comes after 1.10.0 and v1.11.2 last; by version the two highest are 1.10.0, 1.11.2.
        assertThat(TagFilter.of(List.of(), null, 2, ">=1 <2").select(UPSTREAM)).containsExactly("1.10.0", "v1.11.2");
        assertThat(TagFilter.of(List.of(), null, 2, null).select(List.of("1.10.0", "1.9.1", "v1.11.2")))
                .containsExactly("1.9.1", "v1.11.2");
    }

    @Test
    void aRangeThatIsNoneIsRefusedInWords() {
        for (String bad : new String[] {"garbage!!", ">=abc", "   "}) {
            if (bad.isBlank()) {
                assertThat(TagFilter.of(List.of(), null, null, bad).semver()).isNull();
                continue;
            }
            assertThatThrownBy(() -> TagFilter.of(List.of(), null, null, bad)).as(bad)
                    .isInstanceOf(BollardException.class).hasMessageContaining("is not a semantic-version range");
        }
    }
}
