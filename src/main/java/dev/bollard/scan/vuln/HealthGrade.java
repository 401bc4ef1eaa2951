package dev.bollard.scan.vuln;

import java.time.Duration;
import java.time.Instant;
import java.util.Collection;

/**
 * An image's health grade, A (best) to F, in the manner of Red Hat's Container Health Index: driven by the fixes
 * that exist but were not applied — findings with a fixed version — of critical and high severity, and by how long
 * each fix has been available (since its advisory was published). The worst finding decides:
 * <pre>
 * grade  worst critical fix not applied   worst high fix not applied
 * A      none                             none
 * B      at most 7 days old               at most 30 days old
 * C      at most 30 days old              at most 90 days old
 * D      at most 90 days old              at most 1 year old
 * E      at most 1 year old               older than 1 year
 * F      older than 1 year                —
 * </pre>
 * Medium, low and unknown findings, and findings without a fix, do not lower the grade (nothing can be applied
 * for them); they are listed in the report all the same. docs/scanning.md documents the rule.
 */
public enum HealthGrade {
    A, B, C, D, E, F;

    private static final Duration WEEK = Duration.ofDays(7);
    private static final Duration MONTH = Duration.ofDays(30);
    private static final Duration QUARTER = Duration.ofDays(90);
    private static final Duration YEAR = Duration.ofDays(365);

    /** The grade of an image with {@code findings}, at {@code now}. */
    public static HealthGrade of(Collection<Finding> findings, Instant now) {
        HealthGrade worst = A;
        for (Finding f : findings) {
            if (!f.fixable()) {
                continue;
            }
            Duration age = Duration.between(f.published(), now);
            HealthGrade g = switch (f.severity()) {
                case CRITICAL -> atMost(age, WEEK) ? B : atMost(age, MONTH) ? C : atMost(age, QUARTER) ? D
                        : atMost(age, YEAR) ? E : F;
                case HIGH -> atMost(age, MONTH) ? B : atMost(age, QUARTER) ? C : atMost(age, YEAR) ? D : E;
                default -> A;
            };
            if (g.compareTo(worst) > 0) {
                worst = g;
            }
        }
        return worst;
    }

    private static boolean atMost(Duration age, Duration limit) {
        return age.compareTo(limit) <= 0;
    }
}
