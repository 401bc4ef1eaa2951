package dev.bollard.http;

import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/** A single {@code Range: bytes=...} request header, resolved against a blob's size (RFC 9110, section 14). */
final class ByteRange {
    private static final Pattern SINGLE = Pattern.compile("bytes=(\\d*)-(\\d*)");

    sealed interface Result {
        /** No usable range: send everything. */
        record Whole() implements Result {
        }

        /** Bytes {@code first} to {@code last}, inclusive. */
        record Part(long first, long last) implements Result {
        }

        /** A valid range that lies outside the blob: 416. */
        record Unsatisfiable() implements Result {
        }
    }

    private ByteRange() {
    }

    /** Malformed and multi-range headers are ignored, as RFC 9110 allows, and the whole blob is sent. */
    static Result parse(@Nullable String header, long size) {
        if (header == null) {
            return new Result.Whole();
        }
        Matcher m = SINGLE.matcher(header.trim());
        if (!m.matches() || (m.group(1).isEmpty() && m.group(2).isEmpty())) {
            return new Result.Whole();
        }
        try {
            if (m.group(1).isEmpty()) { // suffix: the last N bytes
                long suffix = Long.parseLong(m.group(2));
                if (suffix == 0 || size == 0) {
                    return new Result.Unsatisfiable();
                }
                return new Result.Part(Math.max(0, size - suffix), size - 1);
            }
            long first = Long.parseLong(m.group(1));
            long last = m.group(2).isEmpty() ? Long.MAX_VALUE : Long.parseLong(m.group(2));
            if (last < first) { // syntactically invalid: ignored
                return new Result.Whole();
            }
            if (first >= size) {
                return new Result.Unsatisfiable();
            }
            return new Result.Part(first, Math.min(last, size - 1));
        } catch (NumberFormatException e) { // more digits than a long holds
            return new Result.Unsatisfiable();
        }
    }
}
