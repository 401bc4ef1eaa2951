package dev.bollard.http.ui;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.bollard.json.Json;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/** How the templates write sizes, times, digests and links. */
public final class Format {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'")
            .withZone(ZoneOffset.UTC);
    private static final DateTimeFormatter EXACT = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss 'UTC'")
            .withZone(ZoneOffset.UTC);

    private Format() {
    }

    /** 1536 → "1.5 KiB". */
    public static String size(long bytes) {
        if (bytes < 1024) {
            return bytes + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB", "PiB"};
        double v = bytes;
        int unit = -1;
        while (v >= 1024 && unit < units.length - 1) {
            v /= 1024;
            unit++;
        }
        return String.format(Locale.ROOT, v < 10 ? "%.1f %s" : "%.0f %s", v, units[unit]);
    }

    /** A duration as the configuration and the CLI write it: 30d, 36h, 5m. */
    public static String duration(Duration d) {
        return dev.bollard.config.ConfigLoader.formatDuration(d);
    }

    /** An absolute time in UTC, to the minute. */
    public static String time(Instant t) {
        return t == null ? "" : TIME.format(t);
    }

    /** The same time in the ISO form a {@code <time datetime>} wants. */
    public static String iso(Instant t) {
        return t == null ? "" : t.toString();
    }

    /**
     * The one way the UI writes a time: how long ago for the last week ("3 hours ago"), how soon for the next
     * ("in 5 hours"), else the date and minute in UTC ("2026-12-06 07:47 UTC"); the exact time goes in the title
     * ({@link #exact}).
     */
    public static String when(Instant t) {
        if (t == null) {
            return "never";
        }
        Duration ahead = Duration.between(Instant.now(), t);
        if (ahead.toSeconds() >= 60) { // a time to come (a mirror's next sync, a certificate's expiry)
            return ahead.toDays() >= 7 ? time(t) : "in " + (ahead.toMinutes() < 60 ? plural(ahead.toMinutes(), "minute")
                    : ahead.toHours() < 48 ? plural(ahead.toHours(), "hour") : plural(ahead.toDays(), "day"));
        }
        return Duration.between(t, Instant.now()).toDays() < 7 ? ago(t) : time(t);
    }

    /** The exact time, to the second, for a title people hover: "2026-12-06 07:47:11 UTC". */
    public static String exact(Instant t) {
        return t == null ? "" : EXACT.format(t);
    }

    /** A time written as text (an image configuration's {@code created}) as an instant; null when it is not one. */
    public static @Nullable Instant instant(String text) {
        try {
            return text == null || text.isBlank() ? null : Instant.parse(text);
        } catch (DateTimeParseException e) {
            return null;
        }
    }

    /** "3 minutes ago", "2 days ago". */
    public static String ago(Instant t) {
        if (t == null) {
            return "never";
        }
        Duration d = Duration.between(t, Instant.now());
        if (d.isNegative() || d.toSeconds() < 60) {
            return "just now";
        }
        if (d.toMinutes() < 60) {
            return plural(d.toMinutes(), "minute") + " ago";
        }
        if (d.toHours() < 48) {
            return plural(d.toHours(), "hour") + " ago";
        }
        return plural(d.toDays(), "day") + " ago";
    }

    private static String plural(long n, String unit) {
        return n + " " + unit + (n == 1 ? "" : "s");
    }

    /** {@code sha256:0123456789ab…}: the algorithm and the first 12 hex digits, as people compare digests. */
    public static String shortDigest(String digest) {
        if (digest == null) {
            return "";
        }
        int colon = digest.indexOf(':');
        return colon >= 0 && digest.length() > colon + 13 ? digest.substring(0, colon + 13) : digest;
    }

    /** A short name for a media type: "OCI image", "Docker manifest list"… */
    public static String kind(String mediaType) {
        if (mediaType == null) {
            return "";
        }
        return switch (mediaType) {
            case "application/vnd.oci.image.manifest.v1+json" -> "OCI image";
            case "application/vnd.oci.image.index.v1+json" -> "OCI index";
            case "application/vnd.docker.distribution.manifest.v2+json" -> "Docker image";
            case "application/vnd.docker.distribution.manifest.list.v2+json" -> "Docker manifest list";
            default -> mediaType;
        };
    }

    private static final ObjectMapper JSON = Json.MAPPER;

    /** An audit entry's details (a JSON object) as people read them: "tag: v1, to: sha256:0123456789ab". */
    public static String details(String json) {
        if (json == null || json.isBlank()) {
            return "";
        }
        try {
            JsonNode node = JSON.readTree(json);
            if (!node.isObject()) {
                return json;
            }
            List<String> parts = new ArrayList<>();
            node.properties().forEach(e -> {
                String v = e.getValue().isTextual() ? e.getValue().asText() : e.getValue().toString();
                parts.add(e.getKey() + ": " + (v.startsWith("sha256:") ? shortDigest(v) : v));
            });
            return String.join(", ", parts);
        } catch (IOException e) {
            return json;
        }
    }

    /** A path segment or query value, percent-encoded. */
    public static String url(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    /** A repository name in a URL path: its components encoded, the slashes kept. */
    public static String repoPath(String repository) {
        StringBuilder b = new StringBuilder("/repo");
        for (String part : repository.split("/", -1)) {
            b.append('/').append(url(part));
        }
        return b.toString();
    }
}
