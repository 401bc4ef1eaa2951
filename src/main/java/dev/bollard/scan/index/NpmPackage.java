package dev.bollard.scan.index;

import com.fasterxml.jackson.databind.JsonNode;
import dev.bollard.json.Json;
import dev.bollard.scan.PackageType;
import java.io.IOException;
import java.util.List;

/**
 * An installed npm package: {@code node_modules/NAME/package.json} or {@code node_modules/@SCOPE/NAME/package.json}
 * (a {@code package.json} deeper inside a package is its own business, not an installed package).
 */
final class NpmPackage {
    private NpmPackage() {
    }

    static boolean matches(String path) {
        if (!path.endsWith("/package.json")) {
            return false;
        }
        String[] parts = path.split("/", -1);
        int n = parts.length; // ["", ..., "node_modules", "name", "package.json"]
        if (n >= 4 && parts[n - 3].equals("node_modules") && !parts[n - 2].startsWith("@")) {
            return true;
        }
        return n >= 5 && parts[n - 4].equals("node_modules") && parts[n - 3].startsWith("@");
    }

    static Found parse(byte[] json, String path) {
        JsonNode root;
        try {
            root = Json.MAPPER.readTree(json);
        } catch (IOException e) {
            return Found.note("skipped a malformed package.json: " + path);
        }
        if (root == null || !root.isObject()) {
            return Found.note("skipped a malformed package.json: " + path);
        }
        JsonNode name = root.get("name");
        JsonNode version = root.get("version");
        if (name == null || !name.isTextual() || version == null || !version.isTextual()
                || !DpkgStatus.isToken(name.asText()) || !DpkgStatus.isToken(version.asText())) {
            return Found.note("skipped a package.json without a name and version: " + path);
        }
        return Found.packages(List.of(new Candidate(PackageType.NPM, name.asText(), version.asText(), null, null, null,
                path)), List.of());
    }
}
