package dev.bollard.scan;

/**
 * Where an installed package was recorded, which decides how its version compares and which advisories apply:
 * an OS package database or a language ecosystem's metadata.
 */
public enum PackageType {
    /** Debian and Ubuntu: {@code /var/lib/dpkg/status} and distroless {@code status.d/}. */
    DPKG,
    /** Alpine: {@code /lib/apk/db/installed}. */
    APK,
    /** RHEL, UBI, Fedora, CentOS, Rocky, Alma: the rpm database. */
    RPM,
    MAVEN,
    NPM,
    PYPI,
    GO,
    CARGO
}
