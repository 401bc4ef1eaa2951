package dev.bollard.scan.index;

import java.time.Duration;

/**
 * How much work one image may cost the indexer, so that a hostile or broken image (a tar bomb, millions of entries, a
 * gzip bomb) ends in a clear failure instead of exhausting memory or time. Memory stays bounded by the per-file caps
 * whatever the layer size: the indexer keeps only the files it reads (package databases and metadata), each at most
 * {@code maxDatabaseBytes} or {@code maxMetadataBytes}; a larger one is skipped with a note in the inventory.
 *
 * @param maxEntries           tar entries over all layers (and entries of jars read inside them); beyond, the image fails
 * @param maxUncompressedBytes bytes read after decompression over all layers; beyond, the image fails
 * @param maxTime              wall time for the whole image; beyond, the image fails
 * @param maxPathLength        characters of an entry's path; a longer entry is skipped with a note
 * @param maxPathDepth         directories in an entry's path; a deeper entry is skipped with a note
 * @param maxDatabaseBytes     size of an OS package database kept in memory (dpkg {@code status}, apk {@code installed})
 * @param maxMetadataBytes     size of a small metadata file kept in memory (os-release, {@code package.json},
 *                             {@code pom.properties}, a Python {@code METADATA}, a Go binary's module list)
 * @param maxNestedJarDepth    how deep jars inside jars are opened (a fat jar's libraries are depth 1)
 * @param maxNotes             notes kept in the inventory; the rest are counted in a last note
 */
public record IndexLimits(long maxEntries, long maxUncompressedBytes, Duration maxTime, int maxPathLength,
                          int maxPathDepth, int maxDatabaseBytes, int maxMetadataBytes, int maxNestedJarDepth,
                          int maxNotes) {

    /** Generous for real images (the largest public ones have a few hundred thousand files and tens of GiB). */
    public static final IndexLimits DEFAULTS = new IndexLimits(2_000_000, 64L << 30, Duration.ofMinutes(15), 4096,
            256, 64 << 20, 1 << 20, 4, 200);

    public IndexLimits {
        if (maxEntries <= 0 || maxUncompressedBytes <= 0 || maxTime.isNegative() || maxTime.isZero()
                || maxPathLength <= 0 || maxPathDepth <= 0 || maxDatabaseBytes <= 0 || maxMetadataBytes <= 0
                || maxNestedJarDepth < 0 || maxNotes <= 0) {
            throw new IllegalArgumentException("index limits must be positive");
        }
    }

    public IndexLimits withMaxEntries(long value) {
        return new IndexLimits(value, maxUncompressedBytes, maxTime, maxPathLength, maxPathDepth, maxDatabaseBytes,
                maxMetadataBytes, maxNestedJarDepth, maxNotes);
    }

    public IndexLimits withMaxUncompressedBytes(long value) {
        return new IndexLimits(maxEntries, value, maxTime, maxPathLength, maxPathDepth, maxDatabaseBytes,
                maxMetadataBytes, maxNestedJarDepth, maxNotes);
    }

    public IndexLimits withMaxTime(Duration value) {
        return new IndexLimits(maxEntries, maxUncompressedBytes, value, maxPathLength, maxPathDepth, maxDatabaseBytes,
                maxMetadataBytes, maxNestedJarDepth, maxNotes);
    }

    public IndexLimits withMaxDatabaseBytes(int value) {
        return new IndexLimits(maxEntries, maxUncompressedBytes, maxTime, maxPathLength, maxPathDepth, value,
                maxMetadataBytes, maxNestedJarDepth, maxNotes);
    }
}
