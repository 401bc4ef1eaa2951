package dev.bollard.scan;

import org.jspecify.annotations.Nullable;

/**
 * The operating system an image says it is, from {@code /etc/os-release} (or {@code /usr/lib/os-release}):
 * {@code ID} (e.g. {@code debian}, {@code alpine}, {@code rhel}), {@code VERSION_ID} (e.g. {@code 12},
 * {@code 3.19.1}; absent on rolling releases such as Debian sid) and {@code PRETTY_NAME} for display.
 */
public record OsRelease(String id, @Nullable String versionId, @Nullable String prettyName) {
}
