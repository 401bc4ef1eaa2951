package dev.bollard.scan.vuln;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.bollard.json.Json;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Reads OSV JSON (schema 1.x) into {@link OsvRecord}s. Strict where the matcher depends on it — {@code id},
 * {@code modified} and each {@code affected[].package} with {@code ecosystem} and {@code name} must be there, times
 * must be RFC 3339 — and lenient elsewhere (unknown fields ignored, as the schema asks of consumers).
 */
public final class OsvParser {
    private OsvParser() {
    }

    /** An OSV document that is not valid JSON or breaks the schema in a way Bollard cannot use. */
    public static final class MalformedRecordException extends Exception {
        private static final long serialVersionUID = 1L;

        MalformedRecordException(String message, @Nullable Throwable cause) {
            super(message, cause);
        }
    }

    public static OsvRecord parse(byte[] json) throws MalformedRecordException {
        return parse(tree(json));
    }

    /** The JSON of an OSV document, checked to be an object. */
    static JsonNode tree(byte[] json) throws MalformedRecordException {
        JsonNode root;
        try {
            root = Json.MAPPER.readTree(json);
        } catch (JsonProcessingException e) {
            throw new MalformedRecordException("not valid JSON: " + e.getOriginalMessage()
                    + (e.getLocation() == null ? "" : " (line " + e.getLocation().getLineNr() + ", column "
                    + e.getLocation().getColumnNr() + ")"), e);
        } catch (java.io.IOException e) {
            throw new MalformedRecordException("cannot be read: " + e.getMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new MalformedRecordException("not a JSON object (an OSV record is one)", null);
        }
        return root;
    }

    /** One {@code affected[]} entry as the store keeps it (its JSON); {@code id} names its record in errors. */
    static OsvRecord.Affected affected(String json, String id) throws MalformedRecordException {
        return affected(tree(json.getBytes(java.nio.charset.StandardCharsets.UTF_8)), id, 0);
    }

    static OsvRecord parse(JsonNode root) throws MalformedRecordException {
        String id = requiredText(root, "id", "the record");
        Instant modified = time(root, "modified", id);
        if (modified == null) {
            throw new MalformedRecordException(id + " has no modified time", null);
        }
        Set<String> aliases = new LinkedHashSet<>(texts(root.path("aliases")));
        aliases.addAll(texts(root.path("upstream"))); // Ubuntu's records name their CVE here
        aliases.remove(id);
        List<OsvRecord.Affected> affected = new ArrayList<>();
        JsonNode affectedNode = root.path("affected");
        for (int i = 0; i < affectedNode.size(); i++) {
            affected.add(affected(affectedNode.get(i), id, i));
        }
        List<OsvRecord.Reference> references = new ArrayList<>();
        for (JsonNode ref : root.path("references")) {
            if (ref.hasNonNull("url")) {
                references.add(new OsvRecord.Reference(ref.path("type").asText("WEB"), ref.get("url").asText()));
            }
        }
        return new OsvRecord(id, modified, time(root, "published", id), time(root, "withdrawn", id),
                List.copyOf(aliases), optionalText(root, "summary"), optionalText(root, "details"),
                severities(root.path("severity")), severityText(root.path("database_specific")), affected, references);
    }

    private static OsvRecord.Affected affected(JsonNode node, String id, int index) throws MalformedRecordException {
        String where = "affected[" + index + "] of " + id;
        JsonNode pkg = node.path("package");
        if (!pkg.isObject()) {
            throw new MalformedRecordException(where + " has no package", null);
        }
        String ecosystem = requiredText(pkg, "ecosystem", where + ".package");
        String name = requiredText(pkg, "name", where + ".package");
        List<OsvRecord.Range> ranges = new ArrayList<>();
        for (JsonNode range : node.path("ranges")) {
            String type = requiredText(range, "type", where + ".ranges[]");
            List<OsvRecord.Event> events = new ArrayList<>();
            for (JsonNode event : range.path("events")) {
                events.add(event(event, where));
            }
            ranges.add(new OsvRecord.Range(type, events));
        }
        String text = severityText(node.path("ecosystem_specific"));
        if (text == null) {
            text = severityText(node.path("database_specific"));
        }
        return new OsvRecord.Affected(ecosystem, name, optionalText(pkg, "purl"), ranges, texts(node.path("versions")),
                severities(node.path("severity")), text);
    }

    private static OsvRecord.Event event(JsonNode event, String where) throws MalformedRecordException {
        for (OsvRecord.EventKind kind : OsvRecord.EventKind.values()) {
            JsonNode v = event.get(kind.name().toLowerCase(Locale.ROOT));
            if (v != null && v.isTextual()) {
                return new OsvRecord.Event(kind, v.asText());
            }
        }
        throw new MalformedRecordException(where + " has an event that is none of introduced, fixed, last_affected, "
                + "limit: " + event, null);
    }

    private static List<OsvRecord.SeverityScore> severities(JsonNode array) {
        List<OsvRecord.SeverityScore> out = new ArrayList<>();
        for (JsonNode s : array) {
            if (s.hasNonNull("type") && s.hasNonNull("score")) {
                out.add(new OsvRecord.SeverityScore(s.get("type").asText(), s.get("score").asText()));
            }
        }
        return out;
    }

    /** {@code severity} of a {@code database_specific} or {@code ecosystem_specific} object, when it is a word. */
    private static @Nullable String severityText(JsonNode specific) {
        JsonNode s = specific.path("severity");
        return s.isTextual() && !s.asText().isBlank() ? s.asText() : null;
    }

    private static String requiredText(JsonNode node, String field, String where) throws MalformedRecordException {
        JsonNode v = node.get(field);
        if (v == null || !v.isTextual() || v.asText().isBlank()) {
            throw new MalformedRecordException(where + " has no " + field, null);
        }
        return v.asText();
    }

    private static @Nullable String optionalText(JsonNode node, String field) {
        JsonNode v = node.get(field);
        return v != null && v.isTextual() ? v.asText() : null;
    }

    private static List<String> texts(JsonNode array) {
        List<String> out = new ArrayList<>();
        for (JsonNode v : array) {
            if (v.isTextual()) {
                out.add(v.asText());
            }
        }
        return out;
    }

    private static @Nullable Instant time(JsonNode node, String field, String id) throws MalformedRecordException {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        try {
            return Instant.parse(v.asText());
        } catch (DateTimeParseException e) {
            throw new MalformedRecordException(id + " has a " + field + " time that is not RFC 3339: '" + v.asText()
                    + "'", e);
        }
    }
}
