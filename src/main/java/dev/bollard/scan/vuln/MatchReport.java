package dev.bollard.scan.vuln;

import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * What matching one inventory found: the findings (ordered by severity, worst first, then id and package), notes on
 * what could not be judged (a version its scheme cannot order, a package type without data), and, when the image's
 * operating system is one the data does not cover, why its OS packages were not matched — so that an empty list of
 * findings never looks like a clean bill of health when it is not one.
 */
public record MatchReport(List<Finding> findings, List<String> notes, @Nullable String osUnsupported) {
    public MatchReport {
        findings = List.copyOf(findings);
        notes = List.copyOf(notes);
    }
}
