package dev.bollard.scan.index;

import dev.bollard.scan.PackageType;
import org.jspecify.annotations.Nullable;

/**
 * A package as a detector found it, before the image's operating system is known (OS packages' purls name the
 * distribution, which only the whole image tells). {@code arch} is the OS package's architecture, when recorded.
 */
record Candidate(PackageType type, String name, String version, @Nullable String sourceName,
                 @Nullable String sourceVersion, @Nullable String arch, String path) {
}
