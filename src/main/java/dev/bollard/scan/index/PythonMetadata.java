package dev.bollard.scan.index;

import dev.bollard.scan.PackageType;
import java.util.List;

/**
 * An installed Python distribution's core metadata: {@code NAME.dist-info/METADATA} (wheels, pip) or
 * {@code NAME.egg-info/PKG-INFO} (setuptools; also a plain {@code NAME.egg-info} file, as Debian ships some). Only
 * the header block is read: {@code Name:} and {@code Version:}.
 */
final class PythonMetadata {
    private PythonMetadata() {
    }

    static boolean matches(String path) {
        return path.endsWith(".dist-info/METADATA") || path.endsWith(".egg-info/PKG-INFO")
                || (path.endsWith(".egg-info") && (path.contains("/site-packages/") || path.contains("/dist-packages/")));
    }

    static Found parse(String text, String path) {
        String name = null;
        String version = null;
        for (String raw : text.split("\n", -1)) {
            String line = raw.endsWith("\r") ? raw.substring(0, raw.length() - 1) : raw;
            if (line.isEmpty()) {
                break; // the description follows the headers
            }
            if (name == null && line.startsWith("Name:")) {
                name = line.substring(5).strip();
            } else if (version == null && line.startsWith("Version:")) {
                version = line.substring(8).strip();
            }
        }
        if (name == null || version == null || !DpkgStatus.isToken(version) || name.isEmpty()) {
            return Found.note("skipped Python metadata without a name and version: " + path);
        }
        return Found.packages(List.of(new Candidate(PackageType.PYPI, name, version, null, null, null, path)),
                List.of());
    }
}
