package dev.bollard.scan.version;

import dev.bollard.scan.PackageType;
import java.util.Locale;
import java.util.Optional;

/** The version order of each package type and each OSV ecosystem. */
public final class VersionSchemes {
    private VersionSchemes() {
    }

    public static VersionScheme dpkg() {
        return DpkgVersions.INSTANCE;
    }

    public static VersionScheme rpm() {
        return RpmVersions.INSTANCE;
    }

    public static VersionScheme apk() {
        return ApkVersions.INSTANCE;
    }

    /** Semantic Versioning, with Go's {@code v} prefix and pseudo-versions. */
    public static VersionScheme semver() {
        return SemverVersions.INSTANCE;
    }

    public static VersionScheme maven() {
        return MavenVersions.INSTANCE;
    }

    public static VersionScheme pep440() {
        return Pep440Versions.INSTANCE;
    }

    /** How versions of packages of {@code type} compare. */
    public static VersionScheme of(PackageType type) {
        return switch (type) {
            case DPKG -> dpkg();
            case RPM -> rpm();
            case APK -> apk();
            case MAVEN -> maven();
            case PYPI -> pep440();
            case NPM, GO, CARGO -> semver();
        };
    }

    /**
     * How versions of an OSV ecosystem compare, by the ecosystem's name as OSV spells it, with or without its
     * release suffix ({@code Debian:12}, {@code Alpine:v3.19}, {@code Red Hat:enterprise_linux:9::baseos});
     * empty for an ecosystem Bollard has no order for.
     */
    public static Optional<VersionScheme> forEcosystem(String ecosystem) {
        int colon = ecosystem.indexOf(':');
        String base = (colon < 0 ? ecosystem : ecosystem.substring(0, colon)).strip().toLowerCase(Locale.ROOT);
        return Optional.ofNullable(switch (base) {
            case "debian", "ubuntu" -> dpkg();
            case "alpine", "wolfi", "chainguard" -> apk();
            case "red hat", "rocky linux", "almalinux", "suse", "opensuse", "mageia", "openeuler" -> rpm();
            case "maven" -> maven();
            case "pypi" -> pep440();
            case "npm", "crates.io", "go" -> semver();
            default -> null;
        });
    }
}
