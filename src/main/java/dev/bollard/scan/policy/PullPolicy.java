package dev.bollard.scan.policy;

import dev.bollard.error.BollardException;
import dev.bollard.scan.vuln.Severity;
import java.time.Instant;
import java.util.Locale;

/**
 * A vulnerability pull policy: pulls of images with a finding that has a fixed version and a severity of at least
 * {@code severity} are refused; with {@code blockUnscanned}, also pulls of images whose scan is not done.
 * {@link Severity#UNKNOWN} as the threshold blocks every fixable finding, those whose data states no severity
 * included (Debian's advisories state none).
 */
public record PullPolicy(PolicyScope scope, Severity severity, boolean blockUnscanned, String updatedBy,
                         Instant updatedAt) {

    /** The threshold named in the API and on the command line: unknown, low, medium, high or critical. */
    public static Severity threshold(String text) {
        try {
            return Severity.valueOf(text.strip().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw BollardException.invalid("severity must be one of unknown, low, medium, high, critical, not '"
                    + text + "'");
        }
    }

    /** The lower-case name of a severity, as stored and in the API. */
    public static String name(Severity severity) {
        return severity.name().toLowerCase(Locale.ROOT);
    }

    /** What the policy blocks, in words, for messages: "fixable vulnerabilities of severity high or above". */
    public String describe() {
        String what = severity == Severity.UNKNOWN ? "fixable vulnerabilities of any severity"
                : "fixable vulnerabilities of severity " + name(severity) + " or above";
        return what + (blockUnscanned ? " and images not scanned" : "");
    }
}
