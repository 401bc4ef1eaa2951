package dev.bollard.audit;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.bollard.json.Json;
import dev.bollard.metadata.AuditDao;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/** Audit entries as the API shows them and as exports write them: JSON objects, JSON lines, CSV rows. */
public final class AuditExport {
    private static final ObjectMapper JSON = Json.MAPPER;

    /** The CSV columns, in order; {@code details} is the entry's JSON. */
    public static final String CSV_HEADER = "seq,time,actor_kind,actor,ip,user_agent,action,namespace,repository,"
            + "details,prev_hash,hash\r\n";

    private AuditExport() {
    }

    public static Map<String, Object> toMap(AuditDao.Entry e) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("seq", e.seq());
        m.put("time", Instant.ofEpochMilli(e.occurredAt()).toString());
        m.put("actor_kind", e.actorKind());
        m.put("actor", e.actor());
        m.put("ip", e.ip());
        m.put("user_agent", e.userAgent());
        m.put("action", e.action());
        m.put("namespace", e.namespace());
        m.put("repository", e.repository());
        JsonNode details;
        try {
            details = JSON.readTree(e.details());
        } catch (JsonProcessingException ex) {
            details = JSON.getNodeFactory().textNode(e.details());
        }
        m.put("details", details);
        m.put("prev_hash", e.prevHash());
        m.put("hash", e.hash());
        return m;
    }

    /** One line of JSON lines, with its newline. */
    public static String jsonLine(AuditDao.Entry e) {
        try {
            return JSON.writeValueAsString(toMap(e)) + "\n";
        } catch (JsonProcessingException ex) {
            throw new IllegalStateException(ex);
        }
    }

    /** One CSV row (RFC 4180), with its CRLF. */
    public static String csvRow(AuditDao.Entry e) {
        String[] cells = {Long.toString(e.seq()), Instant.ofEpochMilli(e.occurredAt()).toString(), e.actorKind(),
                e.actor(), e.ip(), e.userAgent(), e.action(), e.namespace(), e.repository(), e.details(), e.prevHash(),
                e.hash()};
        StringBuilder row = new StringBuilder();
        for (int i = 0; i < cells.length; i++) {
            if (i > 0) {
                row.append(',');
            }
            row.append(csvCell(cells[i]));
        }
        return row.append("\r\n").toString();
    }

    /**
     * A cell quoted when needed. A text a spreadsheet would take for a formula ({@code = + - @} first) gets a leading
     * apostrophe: the values come from clients (user agents, names) and must not run as formulas when opened.
     */
    static String csvCell(String value) {
        if (value == null) {
            return "";
        }
        String v = !value.isEmpty() && "=+-@\t\r".indexOf(value.charAt(0)) >= 0 ? "'" + value : value;
        if (v.contains(",") || v.contains("\"") || v.contains("\n") || v.contains("\r")) {
            return "\"" + v.replace("\"", "\"\"") + "\"";
        }
        return v;
    }
}
