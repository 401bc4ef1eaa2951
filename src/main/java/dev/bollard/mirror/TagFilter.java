package dev.bollard.mirror;

import dev.bollard.error.BollardException;
import dev.bollard.registry.TagPattern;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import org.jspecify.annotations.Nullable;

/**
 * Which upstream tags a mirror copies: those matching any of the globs (none: every tag) and the regular expression
 * (none: every tag), then, with {@code newest}, only the last N of them in the upstream's listing order. Registries
 * list tags in lexical order (Distribution, Bollard), so "newest" is "last in that order" — which for tags of one
 * fixed width (dates, zero-padded build numbers) is the newest. With a semantic-version range ({@code semver}), a tag
 * must also be a version in it, and "newest" is the N highest versions (so {@code v1.10} is newer than {@code v1.9}).
 */
public record TagFilter(List<TagPattern> globs, @Nullable Pattern regex, @Nullable Integer newest,
                        @Nullable SemverRange semver) {
    static final int MAX_NEWEST = 100_000;

    public TagFilter {
        globs = List.copyOf(globs);
        if (newest != null && (newest < 1 || newest > MAX_NEWEST)) {
            throw BollardException.invalid("newest must be between 1 and " + MAX_NEWEST);
        }
    }

    /** From the API's fields; INVALID for a bad glob or expression. */
    public static TagFilter of(List<String> globs, @Nullable String regex, @Nullable Integer newest,
                               @Nullable String semver) {
        List<TagPattern> patterns = new ArrayList<>();
        for (String g : globs) {
            patterns.add(new TagPattern(g.strip()));
        }
        Pattern compiled = null;
        if (regex != null && !regex.isEmpty()) {
            if (regex.length() > 1024) {
                throw BollardException.invalid("tag_regex must be at most 1024 characters");
            }
            try {
                compiled = Pattern.compile(regex);
            } catch (PatternSyntaxException e) {
                throw BollardException.invalid("tag_regex is not a regular expression: " + e.getDescription());
            }
        }
        return new TagFilter(patterns, compiled, newest,
                semver == null || semver.isBlank() ? null : SemverRange.parse(semver));
    }

    public boolean matches(String tag) {
        return (globs.isEmpty() || globs.stream().anyMatch(g -> g.matches(tag)))
                && (regex == null || regex.matcher(tag).matches()) && (semver == null || semver.matches(tag));
    }

    /** The tags to copy of the upstream's, in its order. */
    public List<String> select(List<String> upstream) {
        List<String> matching = upstream.stream().filter(this::matches).toList();
        if (semver != null && newest != null) { // the highest versions, then in the upstream's order
            List<String> byVersion = matching.stream().sorted(java.util.Comparator.comparing(
                    (String t) -> java.util.Objects.requireNonNull(SemverRange.version(t)))).toList();
            java.util.Set<String> highest = java.util.Set.copyOf(
                    byVersion.subList(Math.max(0, byVersion.size() - newest), byVersion.size()));
            return matching.stream().filter(highest::contains).toList();
        }
        if (newest != null && matching.size() > newest) {
            return matching.subList(matching.size() - newest, matching.size());
        }
        return matching;
    }
}
