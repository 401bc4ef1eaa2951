package dev.bollard.http;

import dev.bollard.error.BollardException;
import dev.bollard.error.ErrorCode;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * The {@code Content-Range} of an upload chunk: {@code <start>-<end>}, inclusive, as the distribution spec
 * writes it; the {@code bytes } prefix and {@code /total} suffix of RFC 9110 are tolerated.
 */
record ContentRange(long start, long end) {
    private static final Pattern FORM = Pattern.compile("(?:bytes[ =])?(\\d+)-(\\d+)(?:/(?:\\d+|\\*))?");

    long length() {
        return end - start + 1;
    }

    /** The parsed header, or null when there is none; checks it against the Content-Length when one was sent. */
    static @Nullable ContentRange of(@Nullable String header, @Nullable Long contentLength) {
        if (header == null || header.isBlank()) {
            return null;
        }
        Matcher m = FORM.matcher(header.trim());
        ContentRange range = null;
        if (m.matches()) {
            try {
                range = new ContentRange(Long.parseLong(m.group(1)), Long.parseLong(m.group(2)));
            } catch (NumberFormatException e) {
                range = null;
            }
        }
        // end = Long.MAX_VALUE would make length() overflow to a negative number of bytes
        if (range == null || range.end < range.start || range.end == Long.MAX_VALUE) {
            throw new BollardException(ErrorCode.BLOB_UPLOAD_INVALID,
                    "Content-Range must be <start>-<end> with end >= start, not '" + header + "'");
        }
        if (contentLength != null && contentLength != range.length()) {
            throw new BollardException(ErrorCode.SIZE_INVALID, "Content-Range " + header + " covers "
                    + range.length() + " bytes but Content-Length is " + contentLength);
        }
        return range;
    }
}
