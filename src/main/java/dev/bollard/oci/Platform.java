package dev.bollard.oci;

import java.util.List;

/** The platform an index entry is built for. */
public record Platform(String architecture, String os, String variant, String osVersion, List<String> osFeatures) {
    public Platform {
        osFeatures = osFeatures == null ? List.of() : List.copyOf(osFeatures);
    }

    /** {@code os/architecture[/variant]}, as docker and podman print it. */
    @Override
    public String toString() {
        return os + "/" + architecture + (variant == null || variant.isEmpty() ? "" : "/" + variant);
    }
}
