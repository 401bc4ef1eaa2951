package dev.bollard.scan.version;

import java.util.Comparator;

/**
 * How one ecosystem orders its versions. Each is a small, specified algorithm (dpkg's {@code verrevcmp}, rpm's
 * {@code rpmvercmp}, apk's version tokens, Semantic Versioning, Maven's {@code ComparableVersion}, PEP 440); {@link
 * VersionSchemes} finds the one for a package type or an OSV ecosystem.
 * <p>{@link #compare} is negative, zero or positive as {@code a} is older than, the same as, or newer than {@code
 * b}. Schemes whose versions have a grammar (semver, PEP 440) throw {@link InvalidVersionException} for a string
 * outside it; the others order any string, as their tools do.
 */
public interface VersionScheme extends Comparator<String> {

    /** The scheme's name for messages: {@code dpkg}, {@code rpm}, {@code apk}, {@code semver}, {@code maven}, {@code pep440}. */
    String name();

    @Override
    int compare(String a, String b);
}
