package dev.bollard.oci;

import java.util.List;
import java.util.Map;

/** A content descriptor: what a manifest or index says about one piece of content it points at. */
public record Descriptor(String mediaType, Digest digest, long size, String artifactType,
                         Map<String, String> annotations, List<String> urls, Platform platform) {

    public Descriptor {
        annotations = annotations == null ? Map.of() : Map.copyOf(annotations);
        urls = urls == null ? List.of() : List.copyOf(urls);
    }

    public static Descriptor of(String mediaType, Digest digest, long size) {
        return new Descriptor(mediaType, digest, size, null, null, null, null);
    }

    /**
     * True for layers a registry is not expected to hold: Docker foreign layers and OCI non-distributable
     * layers that name URLs to fetch them from.
     */
    public boolean isExternal() {
        return !urls.isEmpty() && mediaType != null
                && (mediaType.contains(".foreign.") || mediaType.contains(".nondistributable."));
    }
}
