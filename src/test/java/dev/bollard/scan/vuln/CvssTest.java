package dev.bollard.scan.vuln;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** CVSS v3 base scores of real advisories' vectors (as NVD and GitHub publish them), and the OSV parser. */
class CvssTest {

    @Test
    void baseScoresByTheSpecificationsFormula() {
        String[][] table = {
                {"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", "10.0"}, // CVE-2021-44228, Log4Shell
                {"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "9.8"},
                {"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", "7.5"}, // CVE-2020-36518
                {"CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", "7.8"}, // CVE-2023-4911
                {"CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H", "7.2"}, // CVE-2021-23337
                {"CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:C/C:H/I:N/A:N", "6.1"}, // CVE-2023-32681
                {"CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H", "8.1"}, // CVE-2024-6387
                {"CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", "6.1"}, // a reflected XSS
                {"CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", "8.8"},
                {"CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:N", "5.3"},
                {"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N", "0.0"},
                {"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:P/RL:O", "9.8"}, // temporal metrics ignored
        };
        for (String[] row : table) {
            assertThat(Cvss.v3BaseScore(row[0])).as(row[0]).isEqualTo(Double.parseDouble(row[1]));
        }
        assertThat(Severity.ofScore(9.0)).isEqualTo(Severity.CRITICAL);
        assertThat(Severity.ofScore(8.9)).isEqualTo(Severity.HIGH);
        assertThat(Severity.ofScore(4.0)).isEqualTo(Severity.MEDIUM);
        assertThat(Severity.ofScore(3.9)).isEqualTo(Severity.LOW);
        assertThat(Severity.ofText("MODERATE")).isEqualTo(Severity.MEDIUM);
        assertThatThrownBy(() -> Cvss.v3BaseScore("CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"))
                .hasMessageContaining("invalid value of AV");
        assertThatThrownBy(() -> Cvss.v3BaseScore("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"))
                .hasMessageContaining("not a CVSS v3 vector");
    }

    @Test
    void parsesAnOsvRecord() throws Exception {
        OsvRecord r = OsvParser.parse(Files.readAllBytes(Path.of("src/test/resources/osv/real/GHSA-57j2-w4cx-62h2.json")));
        assertThat(r.id()).isEqualTo("GHSA-57j2-w4cx-62h2");
        assertThat(r.aliases()).containsExactly("CVE-2020-36518");
        assertThat(r.published()).isEqualTo("2022-03-12T00:00:36Z");
        assertThat(r.withdrawn()).isNull();
        assertThat(r.severityText()).isEqualTo("HIGH");
        assertThat(r.affected()).hasSize(2);
        assertThat(r.affected().get(1).ranges().getFirst().events()).containsExactly(
                new OsvRecord.Event(OsvRecord.EventKind.INTRODUCED, "2.13.0"),
                new OsvRecord.Event(OsvRecord.EventKind.FIXED, "2.13.2.1"));
        assertThat(RecordSeverity.of(r)).isEqualTo(new RecordSeverity(Severity.HIGH, 7.5,
                "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H"));

        OsvRecord v4 = OsvParser.parse("""
                {"id": "GHSA-xxxx", "modified": "2024-01-01T00:00:00.123456Z",
                 "severity": [{"type": "CVSS_V4", "score": "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"}],
                 "database_specific": {"severity": "CRITICAL"}}""".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        assertThat(RecordSeverity.of(v4)).isEqualTo(new RecordSeverity(Severity.CRITICAL, null,
                "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"));

        assertThatThrownBy(() -> OsvParser.parse("{\"id\": \"X-1\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8)))
                .hasMessage("X-1 has no modified time");
        assertThatThrownBy(() -> OsvParser.parse(("{\"id\": \"X-1\", \"modified\": \"2024-01-01T00:00:00Z\", "
                + "\"affected\": [{\"package\": {\"name\": \"a\"}}]}").getBytes(java.nio.charset.StandardCharsets.UTF_8)))
                .hasMessage("affected[0] of X-1.package has no ecosystem");
        assertThatThrownBy(() -> OsvParser.parse("{\"id\": ".getBytes(java.nio.charset.StandardCharsets.UTF_8)))
                .hasMessageStartingWith("not valid JSON");
    }
}
