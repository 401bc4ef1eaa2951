package dev.bollard.scan.index;

import dev.bollard.scan.PackageType;
import java.util.ArrayList;
import java.util.List;

/**
 * Alpine's database {@code /lib/apk/db/installed}: paragraphs of {@code K:value} lines ({@code P} name, {@code V}
 * version, {@code A} architecture, {@code o} origin, the source package advisories name). Every package listed is
 * installed.
 */
final class ApkInstalled {
    private ApkInstalled() {
    }

    static Found parse(String text, String path) {
        List<Candidate> packages = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        Stanzas.parse(text, false, stanza -> {
            String name = stanza.fields().get("P");
            String version = stanza.fields().get("V");
            if (stanza.malformed() || name == null || version == null || !DpkgStatus.isToken(name)
                    || !DpkgStatus.isToken(version)) {
                notes.add("skipped a malformed apk entry at line " + stanza.line() + " of " + path);
                return;
            }
            String origin = stanza.fields().get("o");
            String arch = stanza.fields().get("A");
            packages.add(new Candidate(PackageType.APK, name, version,
                    origin == null || origin.isEmpty() || origin.equals(name) ? null : origin, null,
                    arch == null || arch.isEmpty() ? null : arch, path));
        });
        return Found.packages(packages, notes);
    }
}
