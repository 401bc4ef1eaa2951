package dev.bollard.scan.index;

import dev.bollard.scan.OsRelease;
import java.util.HashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/** {@code os-release(5)}: shell-style {@code KEY=value} lines, values optionally quoted. */
final class OsReleaseParser {
    private OsReleaseParser() {
    }

    /** The OS the file names, or null when it has no {@code ID}. */
    static @Nullable OsRelease parse(String text) {
        Map<String, String> values = new HashMap<>();
        for (String raw : text.split("\n", -1)) {
            String line = raw.strip();
            int eq = line.indexOf('=');
            if (line.startsWith("#") || eq <= 0) {
                continue;
            }
            values.put(line.substring(0, eq), unquote(line.substring(eq + 1)));
        }
        String id = values.get("ID");
        if (id == null || id.isBlank()) {
            return null;
        }
        return new OsRelease(id, blankToNull(values.get("VERSION_ID")), blankToNull(values.get("PRETTY_NAME")));
    }

    private static String unquote(String value) {
        if (value.length() >= 2 && (value.charAt(0) == '"' || value.charAt(0) == '\'')
                && value.charAt(value.length() - 1) == value.charAt(0)) {
            String inner = value.substring(1, value.length() - 1);
            if (value.charAt(0) == '"') {
                StringBuilder out = new StringBuilder(inner.length());
                for (int i = 0; i < inner.length(); i++) {
                    char c = inner.charAt(i);
                    if (c == '\\' && i + 1 < inner.length()) {
                        c = inner.charAt(++i);
                    }
                    out.append(c);
                }
                return out.toString();
            }
            return inner;
        }
        return value;
    }

    private static @Nullable String blankToNull(@Nullable String s) {
        return s == null || s.isBlank() ? null : s;
    }
}
