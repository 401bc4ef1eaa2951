package dev.bollard.json;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;

/**
 * The one JSON mapper for Bollard's own documents: API bodies and errors, the OpenAPI document, audit details and
 * exports, S3 upload state, what the UI shows of an image. Jackson's defaults, configured nowhere else, so every
 * surface reads and writes JSON alike. The exception is what clients push: manifests are parsed by the OCI model's
 * own strict parser (duplicate keys and trailing tokens refused), since their bytes are the content addressed.
 */
public final class Json {
    /** Thread-safe; never reconfigure it (derive a writer, as {@link #PRETTY} does, for a variation). */
    public static final ObjectMapper MAPPER = new ObjectMapper();

    /** Indented output, for people to read. */
    public static final ObjectWriter PRETTY = MAPPER.writerWithDefaultPrettyPrinter();

    private Json() {
    }
}
