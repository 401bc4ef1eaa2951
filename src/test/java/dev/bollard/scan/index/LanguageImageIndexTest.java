package dev.bollard.scan.index;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.bollard.clients.Exec;
import dev.bollard.oci.Manifest;
import dev.bollard.scan.InstalledPackage;
import dev.bollard.scan.Inventory;
import dev.bollard.scan.PackageType;
import dev.bollard.testing.Requirements;
import dev.bollard.testing.TestRegistry;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A distroless-style image of real files from this machine: dpkg stanzas in {@code status.d/} (as Debian's own
 * database states them), jars from the local Maven repository (and a fat jar nesting one), Python distributions and
 * npm packages installed by Debian's packages, and a Go binary Debian ships — in two layers, the second deleting
 * some of the first's with whiteouts. Pushed with skopeo and indexed from the registry; what was deleted must be
 * absent.
 */
class LanguageImageIndexTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path PY = Path.of("/usr/lib/python3/dist-packages");
    private static final Path NPM = Path.of("/usr/lib/node_modules/npm");

    @Test
    @Timeout(300)
    void findsOsLanguageAndGoPackagesAndHonoursWhiteouts(@TempDir Path tmp) throws Exception {
        Requirements.onPath("skopeo", "dpkg-query");
        Requirements.require(Files.isDirectory(PY.resolve("PyYAML-6.0.dist-info"))
                && Files.isDirectory(PY.resolve("six-1.16.0.egg-info")), "not installed: python3-yaml, python3-six "
                + "(Debian packages; .ci/run installs them)");
        Requirements.require(Files.isRegularFile(NPM.resolve("package.json")), "not installed: nodejs with npm in "
                + NPM);
        Requirements.require(Files.isExecutable(Path.of("/usr/bin/skopeo")), "not installed: skopeo");
        Exec exec = new Exec(tmp);

        Path jackson = jarOf(com.fasterxml.jackson.databind.ObjectMapper.class);
        Path jacksonCore = jarOf(com.fasterxml.jackson.core.JsonFactory.class);
        Path annotations = jarOf(com.fasterxml.jackson.annotation.JsonProperty.class);
        String databindVersion = com.fasterxml.jackson.databind.cfg.PackageVersion.VERSION.toString();
        String coreVersion = com.fasterxml.jackson.core.json.PackageVersion.VERSION.toString();
        String annotationsVersion = fileVersion(annotations, "jackson-annotations");

        String semverDir = "/usr/lib/node_modules/npm/node_modules/semver";
        JsonNode npm = JSON.readTree(NPM.resolve("package.json").toFile());
        JsonNode semver = JSON.readTree(Path.of(semverDir, "package.json").toFile());
        String goVersion = goVersionOfSkopeo(exec);

        TarBuilder base = new TarBuilder()
                .file("/usr/lib/os-release", """
                        PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
                        ID=debian
                        VERSION_ID="12"
                        """)
                .symlink("/etc/os-release", "../usr/lib/os-release")
                .file("/var/lib/dpkg/status.d/libc6", stanza(exec, "libc6"))
                .file("/var/lib/dpkg/status.d/libc6.md5sums", "d41d8cd98f00b204e9800998ecf8427e  lib/x.so\n")
                .file("/var/lib/dpkg/status.d/libssl3", stanza(exec, "libssl3"))
                .file("/var/lib/dpkg/status.d/base-files", stanza(exec, "base-files"))
                .file("/var/lib/dpkg/status.d/broken", "this is not a dpkg stanza\nPackage broken\n")
                .file("/app/lib/" + jackson.getFileName(), Files.readAllBytes(jackson))
                .file("/app/lib/" + jacksonCore.getFileName(), Files.readAllBytes(jacksonCore))
                .file("/app/lib/legacy-lib-3.1.jar", manifestOnlyJar("3.1"))
                .file("/app/app.jar", fatJar(annotations))
                .file("/usr/lib/python3/dist-packages/PyYAML-6.0.dist-info/METADATA",
                        Files.readAllBytes(PY.resolve("PyYAML-6.0.dist-info/METADATA")))
                .file("/usr/lib/python3/dist-packages/six-1.16.0.egg-info/PKG-INFO",
                        Files.readAllBytes(PY.resolve("six-1.16.0.egg-info/PKG-INFO")))
                .file("/usr/lib/node_modules/npm/package.json", Files.readAllBytes(NPM.resolve("package.json")))
                .file(semverDir + "/package.json", Files.readAllBytes(Path.of(semverDir, "package.json")))
                // a package.json inside a package is not an installed package
                .file(semverDir + "/lib/package.json", "{\"name\":\"not-a-package\",\"version\":\"9.9.9\"}")
                .file("/srv/node_modules/@babel/core/package.json", "{\"name\":\"@babel/core\",\"version\":\"7.24.0\"}")
                .file("/srv/node_modules/left-pad/package.json", "{\"name\":\"left-pad\",\"version\":\"1.3.0\"}")
                .file("/usr/bin/skopeo", Files.readAllBytes(Path.of("/usr/bin/skopeo")), 0755)
                .file("/usr/bin/copy-of-skopeo", Files.readAllBytes(Path.of("/usr/bin/skopeo")), 0755);
        TarBuilder top = new TarBuilder()
                .whiteout("/var/lib/dpkg/status.d/libssl3")
                .whiteout("/app/lib/" + jacksonCore.getFileName())
                .opaque("/srv/node_modules")
                .file("/srv/node_modules/is-odd/package.json", "{\"name\":\"is-odd\",\"version\":\"3.0.1\"}")
                .whiteout("/usr/lib/python3/dist-packages/six-1.16.0.egg-info")
                .whiteout("/usr/bin/copy-of-skopeo");

        Inventory inventory;
        try (TestRegistry registry = TestRegistry.start(tmp.resolve("registry"))) {
            Manifest.Image manifest = ScanImages.push(registry, tmp, "apps/languages", "v1",
                    List.of(ScanImages.gzipLayer(base.build()), ScanImages.gzipLayer(top.build())));
            inventory = ScanImages.indexFromRegistry(registry, manifest, new ImageIndexer());
        }

        assertThat(inventory.os()).isNotNull();
        assertThat(inventory.os().id()).isEqualTo("debian");
        assertThat(inventory.os().versionId()).isEqualTo("12");
        String libcVersion = exec.ok("dpkg-query", "-W", "-f", "${Version}", "libc6").stdout().strip();
        assertThat(find(inventory, PackageType.DPKG, "libc6")).satisfies(p -> {
            assertThat(p.version()).isEqualTo(libcVersion);
            assertThat(p.sourceName()).isEqualTo("glibc");
            assertThat(p.path()).isEqualTo("/var/lib/dpkg/status.d/libc6");
            assertThat(p.purl()).contains("distro=debian-12");
        });
        assertThat(names(inventory, PackageType.DPKG)).containsExactlyInAnyOrder("libc6", "base-files");
        assertThat(inventory.notes()).anySatisfy(n -> assertThat(n).contains("/var/lib/dpkg/status.d/broken"));

        assertThat(find(inventory, PackageType.MAVEN, "com.fasterxml.jackson.core:jackson-databind").version())
                .isEqualTo(databindVersion);
        assertThat(find(inventory, PackageType.MAVEN, "com.fasterxml.jackson.core:jackson-databind").purl())
                .isEqualTo("pkg:maven/com.fasterxml.jackson.core/jackson-databind@" + databindVersion);
        InstalledPackage nested = find(inventory, PackageType.MAVEN, "com.fasterxml.jackson.core:jackson-annotations");
        assertThat(nested.version()).isEqualTo(annotationsVersion);
        assertThat(nested.path()).isEqualTo("/app/app.jar!/BOOT-INF/lib/" + annotations.getFileName());
        assertThat(find(inventory, PackageType.MAVEN, "com.example:app").version()).isEqualTo("1.0.0");
        assertThat(find(inventory, PackageType.MAVEN, "legacy-lib").version()).isEqualTo("3.1");
        assertThat(names(inventory, PackageType.MAVEN)).doesNotContain("com.fasterxml.jackson.core:jackson-core");
        assertThat(coreVersion).isNotBlank();

        assertThat(find(inventory, PackageType.PYPI, "PyYAML")).satisfies(p -> {
            assertThat(p.version()).isEqualTo("6.0");
            assertThat(p.purl()).isEqualTo("pkg:pypi/pyyaml@6.0");
        });
        assertThat(names(inventory, PackageType.PYPI)).doesNotContain("six");

        assertThat(find(inventory, PackageType.NPM, "npm").version()).isEqualTo(npm.get("version").asText());
        assertThat(find(inventory, PackageType.NPM, "semver").version()).isEqualTo(semver.get("version").asText());
        assertThat(find(inventory, PackageType.NPM, "is-odd").purl()).isEqualTo("pkg:npm/is-odd@3.0.1");
        assertThat(names(inventory, PackageType.NPM)).doesNotContain("not-a-package", "left-pad", "@babel/core");

        List<InstalledPackage> go = inventory.packages().stream().filter(p -> p.type() == PackageType.GO).toList();
        assertThat(go).singleElement().satisfies(p -> {
            assertThat(p.name()).isEqualTo("stdlib");
            assertThat(p.version()).isEqualTo(goVersion);
            assertThat(p.path()).isEqualTo("/usr/bin/skopeo");
            assertThat(p.purl()).isEqualTo("pkg:golang/stdlib@" + goVersion);
        });
    }

    @Test
    @Timeout(120)
    void scopedNpmPackagesGetTheirScopeAsPurlNamespace(@TempDir Path tmp) throws Exception {
        Inventory inventory = new ImageIndexer().index(List.of(UnitLayers.descriptor(0)), UnitLayers.opener(List.of(
                new TarBuilder().file("/srv/node_modules/@babel/core/package.json",
                        "{\"name\":\"@babel/core\",\"version\":\"7.24.0\"}").build())));
        assertThat(find(inventory, PackageType.NPM, "@babel/core").purl()).isEqualTo("pkg:npm/%40babel/core@7.24.0");
        assertThat(tmp).isDirectory();
    }

    private static InstalledPackage find(Inventory inventory, PackageType type, String name) {
        return inventory.packages().stream().filter(p -> p.type() == type && p.name().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no " + type + " package " + name + " in " + inventory));
    }

    private static List<String> names(Inventory inventory, PackageType type) {
        return inventory.packages().stream().filter(p -> p.type() == type).map(InstalledPackage::name).toList();
    }

    /** The package's stanza as this machine's dpkg database holds it. */
    private static String stanza(Exec exec, String pkg) {
        return exec.ok("dpkg-query", "-s", pkg).stdout();
    }

    /** The Go version Debian built skopeo with, from the package's Built-Using field (golang-1.19 (= 1.19.8-2)). */
    private static String goVersionOfSkopeo(Exec exec) {
        String builtUsing = exec.ok("dpkg-query", "-W", "-f", "${Built-Using}", "skopeo").stdout();
        Matcher m = Pattern.compile("golang-1\\.\\d+ \\(= ([0-9.]+)-").matcher(builtUsing);
        assertThat(m.find()).as(builtUsing).isTrue();
        return m.group(1);
    }

    private static Path jarOf(Class<?> type) throws Exception {
        return Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI());
    }

    private static String fileVersion(Path jar, String artifact) {
        String name = jar.getFileName().toString();
        return name.substring(artifact.length() + 1, name.length() - ".jar".length());
    }

    /** A Spring Boot style fat jar: its own pom.properties and a library jar stored (not deflated) inside. */
    private static byte[] fatJar(Path library) throws Exception {
        byte[] lib = Files.readAllBytes(library);
        java.util.jar.Manifest mf = new java.util.jar.Manifest();
        mf.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        mf.getMainAttributes().putValue("Main-Class", "org.springframework.boot.loader.JarLauncher");
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (JarOutputStream jar = new JarOutputStream(bytes, mf)) {
            jar.putNextEntry(new ZipEntry("META-INF/maven/com.example/app/pom.properties"));
            jar.write("groupId=com.example\nartifactId=app\nversion=1.0.0\n".getBytes(StandardCharsets.UTF_8));
            ZipEntry stored = new ZipEntry("BOOT-INF/lib/" + library.getFileName());
            stored.setMethod(ZipEntry.STORED);
            stored.setSize(lib.length);
            CRC32 crc = new CRC32();
            crc.update(lib);
            stored.setCrc(crc.getValue());
            jar.putNextEntry(stored);
            jar.write(lib);
        }
        return bytes.toByteArray();
    }

    /** A jar with nothing but a manifest naming its version. */
    private static byte[] manifestOnlyJar(String version) throws Exception {
        java.util.jar.Manifest mf = new java.util.jar.Manifest();
        mf.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        mf.getMainAttributes().put(Attributes.Name.IMPLEMENTATION_VERSION, version);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (JarOutputStream jar = new JarOutputStream(bytes, mf)) {
            jar.putNextEntry(new ZipEntry("com/example/Legacy.class"));
            jar.write(new byte[] {(byte) 0xca, (byte) 0xfe});
        }
        return bytes.toByteArray();
    }
}
