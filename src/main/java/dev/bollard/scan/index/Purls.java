package dev.bollard.scan.index;

import com.github.packageurl.MalformedPackageURLException;
import com.github.packageurl.PackageURL;
import dev.bollard.scan.OsRelease;
import java.util.Locale;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * Package URLs (github.com/package-url/purl-spec) for what the indexer found, in the forms scanners and SBOM
 * consumers agree on: OS packages carry the distribution as namespace and as {@code distro=ID-VERSION} qualifier
 * (e.g. {@code pkg:deb/debian/libc6@2.36-9?arch=amd64&distro=debian-12}) and their source package as
 * {@code upstream=}; Maven's group is the namespace, npm's scope is, Go's module path is split at its last slash,
 * and PyPI names are normalised (lower case, {@code _} as {@code -}). A jar whose group is unknown (no Maven metadata)
 * repeats its artifact id as the namespace, which Maven purls require.
 */
final class Purls {
    private Purls() {
    }

    static String of(Candidate c, @Nullable OsRelease os) throws MalformedPackageURLException {
        TreeMap<String, String> qualifiers = new TreeMap<>();
        String type;
        String namespace = null;
        String name = c.name();
        switch (c.type()) {
            case DPKG, APK, RPM -> {
                type = switch (c.type()) {
                    case DPKG -> "deb";
                    case APK -> "apk";
                    default -> "rpm";
                };
                String fallback = switch (c.type()) {
                    case DPKG -> "debian";
                    case APK -> "alpine";
                    default -> "redhat";
                };
                namespace = os != null ? os.id().toLowerCase(Locale.ROOT) : fallback;
                if (c.arch() != null) {
                    qualifiers.put("arch", c.arch());
                }
                if (os != null) {
                    qualifiers.put("distro", os.versionId() == null ? os.id() : os.id() + "-" + os.versionId());
                }
                if (c.sourceName() != null) {
                    qualifiers.put("upstream", c.sourceVersion() == null ? c.sourceName()
                            : c.sourceName() + "@" + c.sourceVersion());
                }
            }
            case MAVEN -> {
                type = "maven";
                int colon = name.indexOf(':');
                if (colon > 0) {
                    namespace = name.substring(0, colon);
                    name = name.substring(colon + 1);
                } else {
                    namespace = name; // a jar without Maven metadata: its group is unknown; syft names it so too
                }
            }
            case NPM -> {
                type = "npm";
                int slash = name.indexOf('/');
                if (name.startsWith("@") && slash > 0) {
                    namespace = name.substring(0, slash);
                    name = name.substring(slash + 1);
                }
            }
            case PYPI -> {
                type = "pypi";
                name = name.toLowerCase(Locale.ROOT).replace('_', '-');
            }
            case GO -> {
                type = "golang";
                int slash = name.lastIndexOf('/');
                if (slash > 0) {
                    namespace = name.substring(0, slash);
                    name = name.substring(slash + 1);
                }
            }
            case CARGO -> type = "cargo";
            default -> throw new IllegalStateException("no purl type for " + c.type());
        }
        return new PackageURL(type, namespace, name, c.version(), qualifiers.isEmpty() ? null : qualifiers, null)
                .canonicalize();
    }
}
