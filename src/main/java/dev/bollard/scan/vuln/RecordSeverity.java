package dev.bollard.scan.vuln;

import org.jspecify.annotations.Nullable;

/**
 * The severity a record states, in order of preference: a CVSS v3 vector (its base score computed, its rating the
 * severity), else a word the record gives ({@code database_specific.severity}, an {@code Ubuntu} severity entry),
 * else unknown; a CVSS v4 vector is kept for display (its score needs the v4 tables, which Bollard does not carry).
 */
record RecordSeverity(Severity severity, @Nullable Double score, @Nullable String vector) {

    static RecordSeverity of(OsvRecord rec) {
        return of(rec.severity(), rec.severityText());
    }

    static RecordSeverity of(java.util.List<OsvRecord.SeverityScore> scores, @Nullable String text) {
        String v4 = null;
        Severity worded = text == null ? Severity.UNKNOWN : Severity.ofText(text);
        for (OsvRecord.SeverityScore s : scores) {
            if (s.type().equals("CVSS_V3")) {
                try {
                    double score = Cvss.v3BaseScore(s.score());
                    return new RecordSeverity(Severity.ofScore(score), score, s.score());
                } catch (IllegalArgumentException e) {
                    // a malformed vector: fall back to what else the record says
                }
            } else if (s.type().equals("CVSS_V4")) {
                v4 = s.score();
            } else if (worded == Severity.UNKNOWN && s.type().equals("Ubuntu")) {
                worded = Severity.ofText(s.score());
            }
        }
        return new RecordSeverity(worded, null, v4);
    }
}
