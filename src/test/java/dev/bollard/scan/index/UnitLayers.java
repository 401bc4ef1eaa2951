package dev.bollard.scan.index;

import dev.bollard.oci.Descriptor;
import dev.bollard.oci.Digest;
import java.io.ByteArrayInputStream;
import java.util.List;

/** Layers held in memory, for the indexer's tests that need no registry. */
final class UnitLayers {
    static final String TAR = "application/vnd.oci.image.layer.v1.tar";

    private UnitLayers() {
    }

    /** A descriptor for the {@code i}-th layer (the opener below finds its bytes by position). */
    static Descriptor descriptor(int i) {
        return Descriptor.of(TAR, Digest.parse("sha256:" + "%064x".formatted(i)), 0);
    }

    static List<Descriptor> descriptors(int count) {
        return java.util.stream.IntStream.range(0, count).mapToObj(UnitLayers::descriptor).toList();
    }

    /** Opens layer {@code i} of {@code layers} for the descriptor {@link #descriptor(int) descriptor(i)}. */
    static LayerOpener opener(List<byte[]> layers) {
        return layer -> {
            String hex = layer.digest().toString().substring("sha256:".length());
            return new ByteArrayInputStream(layers.get(Integer.parseInt(hex, 16)));
        };
    }
}
