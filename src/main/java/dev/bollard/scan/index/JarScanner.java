package dev.bollard.scan.index;

import dev.bollard.scan.PackageType;
import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.jar.Attributes;
import java.util.jar.Manifest;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.jspecify.annotations.Nullable;

/**
 * Java archives read as a stream (a jar inside a layer is never written to disk): every
 * {@code META-INF/maven/GROUP/ARTIFACT/pom.properties} is a package (a shaded jar lists what it bundles); a jar without
 * one is named by its {@code MANIFEST.MF} (Implementation or Bundle headers) and its file name. Jars inside jars (a
 * Spring Boot fat jar's {@code BOOT-INF/lib/}, a war's {@code WEB-INF/lib/}) are opened in turn, as streams, down to
 * {@link IndexLimits#maxNestedJarDepth()}.
 */
final class JarScanner {
    private static final Pattern POM_PROPERTIES = Pattern.compile("META-INF/maven/[^/]+/[^/]+/pom\\.properties");
    /** {@code name-1.2.3.jar}: the version starts at the first "-digit". */
    private static final Pattern FILE_NAME = Pattern.compile("(.+?)-(\\d[^/]*)\\.(?:jar|war|ear|jpi|hpi)");

    private final Work work;
    private final List<Candidate> packages = new ArrayList<>();
    private final List<String> notes = new ArrayList<>();

    private JarScanner(Work work) {
        this.work = work;
    }

    static boolean matches(String path) {
        String lower = path.toLowerCase(Locale.ROOT);
        return lower.endsWith(".jar") || lower.endsWith(".war") || lower.endsWith(".ear") || lower.endsWith(".jpi")
                || lower.endsWith(".hpi");
    }

    static Found scan(InputStream in, String path, Work work) {
        JarScanner scanner = new JarScanner(work);
        scanner.archive(in, path, 0);
        return Found.packages(scanner.packages, scanner.notes);
    }

    private void archive(InputStream in, String path, int depth) {
        List<Candidate> own = new ArrayList<>();
        Manifest manifest = null;
        int cap = work.limits().maxMetadataBytes();
        try {
            ZipInputStream zip = new ZipInputStream(unclosable(in));
            InputStream data = work.charged(zip); // inflated bytes count: a zip bomb ends at the image's limit
            ZipEntry entry;
            while ((entry = zip.getNextEntry()) != null) {
                work.entry();
                String name = entry.getName();
                if (POM_PROPERTIES.matcher(name).matches()) {
                    byte[] bytes = Reads.capped(data, entry.getSize(), cap);
                    Candidate c = bytes == null ? null : fromPomProperties(bytes, path);
                    if (c != null) {
                        own.add(c);
                    }
                } else if (name.equals("META-INF/MANIFEST.MF")) {
                    byte[] bytes = Reads.capped(data, entry.getSize(), cap);
                    if (bytes != null) {
                        try {
                            manifest = new Manifest(new ByteArrayInputStream(bytes));
                        } catch (IOException | RuntimeException e) {
                            rethrowLimit(e);
                            notes.add("skipped a malformed MANIFEST.MF in " + path);
                        }
                    }
                } else if (!entry.isDirectory() && matches(name)) {
                    if (depth < work.limits().maxNestedJarDepth()) {
                        archive(data, path + "!/" + name, depth + 1);
                    } else {
                        notes.add("jar nested deeper than " + work.limits().maxNestedJarDepth() + " levels not read: "
                                + path + "!/" + name);
                    }
                }
                drain(data);
            }
        } catch (IOException | RuntimeException e) {
            rethrowLimit(e);
            notes.add("stopped reading a malformed jar " + path + ": " + e.getMessage());
        }
        if (own.isEmpty() && manifest != null) {
            Candidate c = fromManifest(manifest, path);
            if (c != null) {
                own.add(c);
            }
        }
        packages.addAll(own);
    }

    private static @Nullable Candidate fromPomProperties(byte[] data, String path) {
        Properties p = new Properties();
        try {
            p.load(new java.io.InputStreamReader(new ByteArrayInputStream(data), StandardCharsets.ISO_8859_1));
        } catch (IOException | IllegalArgumentException e) {
            return null;
        }
        String group = p.getProperty("groupId");
        String artifact = p.getProperty("artifactId");
        String version = p.getProperty("version");
        if (group == null || artifact == null || version == null || !DpkgStatus.isToken(group.strip())
                || !DpkgStatus.isToken(artifact.strip()) || !DpkgStatus.isToken(version.strip())) {
            return null;
        }
        return new Candidate(PackageType.MAVEN, group.strip() + ":" + artifact.strip(), version.strip(), null, null,
                null, path);
    }

    /** A jar without Maven metadata: its manifest's version and vendor id, its file name's artifact and version. */
    private static @Nullable Candidate fromManifest(Manifest manifest, String path) {
        Attributes main = manifest.getMainAttributes();
        String fileName = path.substring(path.lastIndexOf('/') + 1);
        Matcher m = FILE_NAME.matcher(fileName);
        String artifact = m.matches() ? m.group(1) : fileName.replaceFirst("\\.[^.]*$", "");
        String version = first(main.getValue("Implementation-Version"), main.getValue("Bundle-Version"),
                m.matches() ? m.group(2) : null);
        if (version == null || !DpkgStatus.isToken(version) || artifact.isEmpty()) {
            return null;
        }
        String group = main.getValue("Implementation-Vendor-Id");
        String name = group != null && DpkgStatus.isToken(group) ? group + ":" + artifact : artifact;
        return new Candidate(PackageType.MAVEN, name, version, null, null, null, path);
    }

    private static @Nullable String first(@Nullable String... values) {
        for (String v : values) {
            if (v != null && !v.isBlank()) {
                return v.strip();
            }
        }
        return null;
    }

    private static void drain(InputStream in) throws IOException {
        byte[] scratch = new byte[16 * 1024];
        while (in.read(scratch) >= 0) {
            // read to the end of the entry, each byte charged to the image
        }
    }

    static void rethrowLimit(Exception e) {
        if (e instanceof LimitExceeded limit) {
            throw limit;
        }
    }

    /** A nested archive's stream must not close its outer one. */
    private static InputStream unclosable(InputStream in) {
        return new FilterInputStream(in) {
            @Override
            public void close() {
            }
        };
    }
}
