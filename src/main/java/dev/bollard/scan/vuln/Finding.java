package dev.bollard.scan.vuln;

import dev.bollard.scan.InstalledPackage;
import java.time.Instant;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * One vulnerability that affects one installed package.
 *
 * @param id             the advisory's id ({@code DSA-5417-1}, {@code GHSA-…}, {@code GO-2023-…})
 * @param aliases        its other ids, the CVE id among them
 * @param pkg            the package as installed
 * @param ecosystem      the OSV ecosystem the advisory was found in ({@code Debian:12}, {@code Maven})
 * @param matchedName    the name the advisory names: for Debian, Ubuntu and Alpine the source package
 * @param matchedVersion the version compared: the source package's version where it has one
 * @param fixedVersion   the version that fixes it; null when no fix is known (yet)
 * @param published      when the advisory was published (else last modified): how long its fix has been out
 */
public record Finding(String id, List<String> aliases, InstalledPackage pkg, String ecosystem, String matchedName,
                      String matchedVersion, @Nullable String fixedVersion, Severity severity,
                      @Nullable Double cvssScore, @Nullable String cvssVector, @Nullable String summary,
                      List<String> links, Instant published) {

    public Finding {
        aliases = List.copyOf(aliases);
        links = List.copyOf(links);
    }

    /** True when a fixed version exists: the finding goes away by updating the package. */
    public boolean fixable() {
        return fixedVersion != null;
    }
}
