package dev.bollard.oci;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/** A parsed manifest: an image manifest (config + layers) or an index (a list of manifests). */
public sealed interface Manifest permits Manifest.Image, Manifest.Index {

    String mediaType();

    Optional<Descriptor> subject();

    /** The artifactType field as written, or null. */
    @Nullable String artifactType();

    Map<String, String> annotations();

    /**
     * The artifact type the referrers API reports: the artifactType field, or for an image manifest
     * without one, its config's media type; null for an index without one.
     */
    @Nullable String effectiveArtifactType();

    /** An image manifest: OCI image manifest or Docker schema 2. */
    record Image(String mediaType, Descriptor config, List<Descriptor> layers, Optional<Descriptor> subject,
                 @Nullable String artifactType, Map<String, String> annotations) implements Manifest {
        /** Null annotations stand for none. */
        public Image(String mediaType, Descriptor config, List<Descriptor> layers, Optional<Descriptor> subject,
                     @Nullable String artifactType, @Nullable Map<String, String> annotations) {
            this.mediaType = mediaType;
            this.config = config;
            this.layers = List.copyOf(layers);
            this.subject = subject;
            this.artifactType = artifactType;
            this.annotations = annotations == null ? Map.of() : Map.copyOf(annotations);
        }

        /** The blobs the registry must hold for this manifest: the config and every distributable layer. */
        public List<Descriptor> requiredBlobs() {
            List<Descriptor> blobs = new ArrayList<>(layers.size() + 1);
            blobs.add(config);
            layers.stream().filter(l -> !l.isExternal()).forEach(blobs::add);
            return blobs;
        }

        @Override
        public String effectiveArtifactType() {
            return artifactType != null ? artifactType : config.mediaType();
        }
    }

    /** An index: OCI image index or Docker manifest list. */
    record Index(String mediaType, List<Descriptor> manifests, Optional<Descriptor> subject,
                 @Nullable String artifactType, Map<String, String> annotations) implements Manifest {
        /** Null annotations stand for none. */
        public Index(String mediaType, List<Descriptor> manifests, Optional<Descriptor> subject,
                     @Nullable String artifactType, @Nullable Map<String, String> annotations) {
            this.mediaType = mediaType;
            this.manifests = List.copyOf(manifests);
            this.subject = subject;
            this.artifactType = artifactType;
            this.annotations = annotations == null ? Map.of() : Map.copyOf(annotations);
        }

        @Override
        public @Nullable String effectiveArtifactType() {
            return artifactType;
        }
    }
}
