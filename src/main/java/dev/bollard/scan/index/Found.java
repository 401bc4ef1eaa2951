package dev.bollard.scan.index;

import dev.bollard.scan.OsRelease;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * What the indexer kept of one file of the image: the packages it records, notes on what could not be read in it,
 * the operating system it names (os-release) or where it links to (a symbolic link among the files that name the
 * OS). Kept per path so that a later layer's whiteout or replacement of the file takes its findings away with it.
 */
record Found(int layer, List<Candidate> packages, List<String> notes, @Nullable OsRelease os,
             @Nullable String linkTarget) {

    Found {
        packages = List.copyOf(packages);
        notes = List.copyOf(notes);
    }

    static Found packages(List<Candidate> packages, List<String> notes) {
        return new Found(-1, packages, notes, null, null);
    }

    static Found note(String note) {
        return new Found(-1, List.of(), List.of(note), null, null);
    }

    Found inLayer(int layerIndex) {
        return new Found(layerIndex, packages, notes, os, linkTarget);
    }
}
