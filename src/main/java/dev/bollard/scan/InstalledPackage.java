package dev.bollard.scan;

import org.jspecify.annotations.Nullable;

/**
 * One package the indexer found in an image.
 *
 * @param type          the database or ecosystem that recorded it
 * @param name          the package name as its ecosystem spells it (Maven: {@code groupId:artifactId})
 * @param version       the installed version, exactly as recorded (dpkg: with its epoch, e.g. {@code 1:2.3-4})
 * @param sourceName    the source package it was built from, where the OS has one (Debian advisories are per
 *                      source package); null when it is the same as {@code name} or unknown
 * @param sourceVersion the source package's version when it differs from {@code version}; null otherwise
 * @param purl          its package URL (purl spec), e.g. {@code pkg:deb/debian/libc6@2.36-9?arch=amd64&distro=debian-12}
 * @param path          where in the image it was found (the database file, jar, or {@code package.json})
 */
public record InstalledPackage(PackageType type, String name, String version, @Nullable String sourceName,
                               @Nullable String sourceVersion, String purl, String path) {
}
