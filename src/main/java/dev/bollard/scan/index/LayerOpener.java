package dev.bollard.scan.index;

import dev.bollard.oci.Descriptor;
import java.io.IOException;
import java.io.InputStream;

/** Opens the stored bytes of one layer (as pushed: compressed or not); the indexer reads them once and closes them. */
@FunctionalInterface
public interface LayerOpener {
    InputStream open(Descriptor layer) throws IOException;
}
