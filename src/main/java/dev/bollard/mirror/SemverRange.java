package dev.bollard.mirror;

import dev.bollard.error.BollardException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import org.semver4j.RangesList;
import org.semver4j.RangesListFactory;
import org.semver4j.Semver;

/**
 * A semantic-version range as a mirror's tag filter, in npm's syntax as semver4j reads it: {@code >=1.2 <2},
 * {@code ^1.4}, {@code ~2.3}, {@code 1.x}, {@code 1.2.3 - 1.4}, alternatives joined by {@code ||}. A tag is a version
 * when it reads {@code [v]MAJOR[.MINOR[.PATCH]][-PRERELEASE][+BUILD]} (missing parts are 0, no leading zeros); other
 * tags ({@code latest}, {@code 1.2.3.4}) never match. As in npm, a version with a prerelease part ({@code 1.3.0-rc.1},
 * also {@code 1.25-alpine}) matches only a range that names a prerelease of the same version.
 */
public record SemverRange(String text, RangesList ranges) {
    private static final Pattern VERSION = Pattern.compile(
            "v?(0|[1-9]\\d{0,8})(?:\\.(0|[1-9]\\d{0,8}))?(?:\\.(0|[1-9]\\d{0,8}))?(-[0-9A-Za-z.-]+)?(\\+[0-9A-Za-z.-]+)?");
    private static final int MAX_LENGTH = 256;

    /** INVALID, in words, for what semver4j does not read as a range. */
    public static SemverRange parse(String text) {
        String t = text.strip();
        if (t.isEmpty() || t.length() > MAX_LENGTH) {
            throw BollardException.invalid("tag_semver must be a range of 1 to " + MAX_LENGTH + " characters");
        }
        RangesList ranges;
        try {
            ranges = RangesListFactory.create(t);
        } catch (RuntimeException e) {
            ranges = null;
        }
        if (ranges == null || ranges.get().isEmpty()) {
            throw BollardException.invalid("tag_semver '" + t + "' is not a semantic-version range such as '>=1.2 <2', "
                    + "'^1.4', '~2.3' or '1.x'");
        }
        return new SemverRange(t, ranges);
    }

    /** The tag as a version, or null when it is none. */
    public static @Nullable Semver version(String tag) {
        Matcher m = VERSION.matcher(tag);
        if (!m.matches()) {
            return null;
        }
        String v = m.group(1) + "." + (m.group(2) == null ? "0" : m.group(2)) + "." + (m.group(3) == null ? "0" : m.group(3))
                + (m.group(4) == null ? "" : m.group(4)) + (m.group(5) == null ? "" : m.group(5));
        return Semver.parse(v);
    }

    public boolean matches(String tag) {
        Semver v = version(tag);
        return v != null && ranges.isSatisfiedBy(v);
    }
}
