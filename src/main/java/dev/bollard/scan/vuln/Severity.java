package dev.bollard.scan.vuln;

import java.util.Locale;

/**
 * How bad a finding is, in the five levels scanners share: CVSS's qualitative ratings (v3.x spec §5: 0.1–3.9 low,
 * 4.0–6.9 medium, 7.0–8.9 high, 9.0–10.0 critical) and the words advisories use (GitHub's {@code MODERATE}, Ubuntu's
 * {@code negligible}, Red Hat's {@code important}). {@link #UNKNOWN} when the data says nothing (many Debian
 * advisories).
 */
public enum Severity {
    UNKNOWN, LOW, MEDIUM, HIGH, CRITICAL;

    /** The rating of a CVSS base score. */
    public static Severity ofScore(double score) {
        if (score >= 9.0) {
            return CRITICAL;
        } else if (score >= 7.0) {
            return HIGH;
        } else if (score >= 4.0) {
            return MEDIUM;
        } else if (score > 0.0) {
            return LOW;
        }
        return UNKNOWN;
    }

    /** The level an advisory's word names; {@link #UNKNOWN} for words it does not know. */
    public static Severity ofText(String text) {
        return switch (text.strip().toLowerCase(Locale.ROOT)) {
            case "critical" -> CRITICAL;
            case "high", "important" -> HIGH;
            case "medium", "moderate" -> MEDIUM;
            case "low", "negligible", "none", "minor" -> LOW;
            default -> UNKNOWN;
        };
    }
}
