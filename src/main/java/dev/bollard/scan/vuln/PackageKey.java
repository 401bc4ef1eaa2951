package dev.bollard.scan.vuln;

/**
 * A package as the vulnerability data keys it: the OSV ecosystem as spelled ({@code Debian:12}, {@code Maven}) and
 * the package name (for Debian and Ubuntu, the source package; PyPI names normalised).
 */
public record PackageKey(String ecosystem, String name) {
}
