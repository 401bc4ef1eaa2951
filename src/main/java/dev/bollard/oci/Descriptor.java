package dev.bollard.oci;

import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/** A content descriptor: what a manifest or index says about one piece of content it points at. */
public record Descriptor(String mediaType, Digest digest, long size, @Nullable String artifactType,
                         Map<String, String> annotations, List<String> urls, @Nullable Platform platform) {

    /** Null annotations or URLs stand for none. */
    public Descriptor(String mediaType, Digest digest, long size, @Nullable String artifactType,
                      @Nullable Map<String, String> annotations, @Nullable List<String> urls,
                      @Nullable Platform platform) {
        this.mediaType = mediaType;
        this.digest = digest;
        this.size = size;
        this.artifactType = artifactType;
        this.annotations = annotations == null ? Map.of() : Map.copyOf(annotations);
        this.urls = urls == null ? List.of() : List.copyOf(urls);
        this.platform = platform;
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
