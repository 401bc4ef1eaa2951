package dev.bollard.oci;

import java.util.List;
import org.jspecify.annotations.Nullable;

/** The platform an index entry is built for. */
public record Platform(String architecture, String os, @Nullable String variant, @Nullable String osVersion,
                       List<String> osFeatures) {

    /** Null features stand for none. */
    public Platform(String architecture, String os, @Nullable String variant, @Nullable String osVersion,
                    @Nullable List<String> osFeatures) {
        this.architecture = architecture;
        this.os = os;
        this.variant = variant;
        this.osVersion = osVersion;
        this.osFeatures = osFeatures == null ? List.of() : List.copyOf(osFeatures);
    }

    /** {@code os/architecture[/variant]}, as docker and podman print it. */
    @Override
    public String toString() {
        return os + "/" + architecture + (variant == null || variant.isEmpty() ? "" : "/" + variant);
    }
}
