package dev.bollard.scan;

import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * What one platform image contains after all its layers are applied in order (whiteouts honoured): its
 * operating system when it names one, every package found, and notes on what could not be read (a malformed
 * database, an unsupported format), so that a result never looks complete when it is not.
 */
public record Inventory(@Nullable OsRelease os, List<InstalledPackage> packages, List<String> notes) {

    public Inventory {
        packages = List.copyOf(packages);
        notes = List.copyOf(notes);
    }
}
