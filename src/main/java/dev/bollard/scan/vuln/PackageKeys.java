package dev.bollard.scan.vuln;

import java.util.Locale;

/**
 * How a package name is keyed in the store, so that an advisory and an installed package meet whatever their
 * spelling: PyPI names as PEP 503 normalises them ({@code PyYAML}, {@code pyyaml}, {@code py_yaml} are one package);
 * every other ecosystem's names as given (npm, Debian and Alpine names are lower case already; Maven's
 * {@code group:artifact} and Go's module paths are case-sensitive).
 */
final class PackageKeys {
    private PackageKeys() {
    }

    static String name(String ecosystem, String name) {
        if (ecosystem.equals("PyPI")) {
            return name.strip().toLowerCase(Locale.ROOT).replaceAll("[-_.]+", "-");
        }
        return name.strip();
    }
}
