package dev.bollard.scan.index;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Paragraphs of fields separated by blank lines, the shape of dpkg's {@code status} (deb822: {@code Key: value},
 * continuation lines starting with a space or tab) and apk's {@code installed} ({@code K:value}). A paragraph with a
 * line of neither form is handed over as malformed, with its first line number, so that the caller skips it with a
 * note instead of guessing.
 */
final class Stanzas {
    private Stanzas() {
    }

    /** One paragraph: its fields (first occurrence wins), the line it starts on, and whether a line was malformed. */
    record Stanza(Map<String, String> fields, int line, boolean malformed) {
    }

    /**
     * Calls {@code each} with every paragraph of {@code text}; {@code continuations} says whether lines starting with a
     * blank continue the previous field (deb822) or are malformed (apk).
     */
    static void parse(String text, boolean continuations, Consumer<Stanza> each) {
        Map<String, String> fields = new LinkedHashMap<>();
        boolean malformed = false;
        int start = 0;
        int lineNo = 0;
        List<String> lines = new ArrayList<>(List.of(text.split("\n", -1)));
        lines.add(""); // the last paragraph ends with the text
        for (String raw : lines) {
            lineNo++;
            String line = raw.endsWith("\r") ? raw.substring(0, raw.length() - 1) : raw;
            if (line.isBlank()) {
                if (!fields.isEmpty() || malformed) {
                    each.accept(new Stanza(fields, start, malformed));
                }
                fields = new LinkedHashMap<>();
                malformed = false;
                start = 0;
                continue;
            }
            if (start == 0) {
                start = lineNo;
            }
            if (continuations && (line.charAt(0) == ' ' || line.charAt(0) == '\t')) {
                if (fields.isEmpty()) {
                    malformed = true; // a continuation of nothing
                }
                continue;
            }
            int colon = line.indexOf(':');
            if (colon <= 0) {
                malformed = true;
                continue;
            }
            fields.putIfAbsent(line.substring(0, colon).strip(), line.substring(colon + 1).strip());
        }
    }
}
