package dev.bollard.scan.index;

import dev.bollard.scan.PackageType;
import java.util.ArrayList;
import java.util.List;

/**
 * dpkg's database: {@code /var/lib/dpkg/status}, and the one-file-per-package {@code /var/lib/dpkg/status.d/NAME}
 * of distroless images (same format, usually without a {@code Status:} field: a file there means installed).
 * A package counts when its {@code Status} says {@code installed} (removed packages whose configuration files remain
 * stay in the database as {@code deinstall ok config-files}). {@code Source: glibc (2.36-9)} gives the source
 * package and its version when they differ from the binary package's, as Debian's advisories are per source package.
 */
final class DpkgStatus {
    private DpkgStatus() {
    }

    static Found parse(String text, String path) {
        List<Candidate> packages = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        Stanzas.parse(text, true, stanza -> {
            String name = stanza.fields().get("Package");
            String version = stanza.fields().get("Version");
            if (stanza.malformed() || name == null || name.isEmpty() || version == null || version.isEmpty()
                    || !isToken(name) || !isToken(version)) {
                notes.add("skipped a malformed dpkg entry at line " + stanza.line() + " of " + path
                        + (name != null && isToken(name) ? " (package " + name + ")" : ""));
                return;
            }
            String status = stanza.fields().get("Status");
            if (status != null && !status.endsWith(" installed")) {
                return; // removed, or half-installed: not on the system as a package
            }
            String sourceName = null;
            String sourceVersion = null;
            String source = stanza.fields().get("Source");
            if (source != null && !source.isEmpty()) {
                int paren = source.indexOf('(');
                if (paren > 0 && source.endsWith(")")) {
                    sourceName = source.substring(0, paren).strip();
                    sourceVersion = source.substring(paren + 1, source.length() - 1).strip();
                } else {
                    sourceName = source.strip();
                }
                if (sourceName.equals(name)) {
                    sourceName = null;
                }
                if (version.equals(sourceVersion) || (sourceVersion != null && sourceVersion.isEmpty())) {
                    sourceVersion = null;
                }
            }
            String arch = stanza.fields().get("Architecture");
            packages.add(new Candidate(PackageType.DPKG, name, version, sourceName, sourceVersion,
                    arch == null || arch.isEmpty() ? null : arch, path));
        });
        return Found.packages(packages, notes);
    }

    /** A name or version: non-empty, no white space (a line of prose where one belongs means the entry is broken). */
    static boolean isToken(String s) {
        if (s.isEmpty()) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            if (Character.isWhitespace(s.charAt(i)) || Character.isISOControl(s.charAt(i))) {
                return false;
            }
        }
        return true;
    }
}
