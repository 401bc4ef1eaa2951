package dev.bollard.scan.index;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bollard.clients.Exec;
import dev.bollard.clients.OciLayout;
import dev.bollard.oci.Manifest;
import dev.bollard.scan.InstalledPackage;
import dev.bollard.scan.Inventory;
import dev.bollard.scan.PackageType;
import dev.bollard.testing.Requirements;
import dev.bollard.testing.TestRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real Debian: bookworm made by {@code debootstrap --variant=minbase} (cached, scripts/debootstrap-cache.sh), packed
 * into a layer, pushed with skopeo, indexed from the registry's blob store; every package dpkg itself reports for
 * that tree must be found with its exact version and source package.
 */
public class DebianImageIndexTest {

    /** The cached bookworm tree, built when missing (needs root, debootstrap and Debian's mirror). */
    public static Path bookworm(Path work) {
        Requirements.root("debootstrap builds the Debian root file system");
        Requirements.require(Files.isExecutable(Path.of("/usr/sbin/debootstrap")),
                "not installed: debootstrap (Debian package debootstrap; .ci/run installs it)");
        Exec.Result built = new Exec(work).run(Duration.ofMinutes(10), List.of("scripts/debootstrap-cache.sh",
                "bookworm"));
        assertThat(built.ok()).as(built.describe()).isTrue();
        Path root = Path.of(built.stdout().strip());
        assertThat(root.resolve("var/lib/dpkg/status")).isRegularFile();
        return root;
    }

    /** Package → {version, source, source version}, as dpkg-query reports the installed ones of {@code root}. */
    public static Map<String, String[]> dpkgQuery(Path root, Path work) {
        Exec.Result q = new Exec(work).ok("dpkg-query", "--admindir=" + root.resolve("var/lib/dpkg"), "-W", "-f",
                "${db:Status-Abbrev}\\t${Package}\\t${Version}\\t${source:Package}\\t${source:Version}\\n");
        Map<String, String[]> installed = new HashMap<>();
        for (String line : q.stdout().split("\n", -1)) {
            String[] f = line.split("\t", -1);
            if (f.length == 5 && f[0].startsWith("ii")) {
                installed.put(f[1], new String[] {f[2], f[3], f[4]});
            }
        }
        return installed;
    }

    @Test
    @Timeout(900)
    void indexesEveryPackageDpkgReportsForDebootstrappedBookworm(@TempDir Path tmp) throws Exception {
        Requirements.onPath("skopeo", "tar", "dpkg-query");
        Path root = bookworm(Path.of("").toAbsolutePath());
        Map<String, String[]> expected = dpkgQuery(root, tmp);
        assertThat(expected).hasSizeGreaterThan(80).containsKeys("libc6", "dpkg", "apt", "bash");

        OciLayout.LayerBlob layer = ScanImages.gzipLayer(ScanImages.tarOfDirectory(root, tmp));
        try (TestRegistry registry = TestRegistry.start(tmp.resolve("registry"))) {
            Manifest.Image manifest = ScanImages.push(registry, tmp, "debian/bookworm", "minbase", List.of(layer));
            Inventory inventory = null;
            com.sun.management.ThreadMXBean threads =
                    (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
            for (int run = 1; run <= 3; run++) { // the first run includes class loading and JIT warm-up
                long allocated = threads.getCurrentThreadAllocatedBytes();
                long start = System.nanoTime();
                inventory = ScanImages.indexFromRegistry(registry, manifest, new ImageIndexer());
                long millis = (System.nanoTime() - start) / 1_000_000;
                System.out.printf("indexed debootstrap bookworm minbase (%d MiB gzip layer), run %d: %d packages in "
                        + "%d ms, %d MiB allocated%n", layer.bytes().length >> 20, run, inventory.packages().size(),
                        millis, (threads.getCurrentThreadAllocatedBytes() - allocated) >> 20);
            }
            byte[] bom = dev.bollard.scan.sbom.CycloneDxWriter.write(inventory, new dev.bollard.scan.sbom.SbomSubject(
                    dev.bollard.oci.RepositoryName.parse("debian/bookworm"), manifest.config().digest()),
                    java.time.Instant.now());
            assertThat(new org.cyclonedx.parsers.JsonParser().validate(bom, org.cyclonedx.Version.VERSION_16))
                    .isEmpty();

            assertThat(inventory.os()).isNotNull();
            assertThat(inventory.os().id()).isEqualTo("debian");
            assertThat(inventory.os().versionId()).isEqualTo("12");
            assertThat(inventory.notes()).isEmpty();
            Map<String, InstalledPackage> found = inventory.packages().stream()
                    .filter(p -> p.type() == PackageType.DPKG)
                    .collect(Collectors.toMap(InstalledPackage::name, p -> p));
            assertThat(found.keySet()).isEqualTo(expected.keySet());
            expected.forEach((name, v) -> {
                InstalledPackage p = found.get(name);
                assertThat(p.version()).as(name).isEqualTo(v[0]);
                assertThat(p.sourceName()).as(name + " source").isEqualTo(v[1].equals(name) ? null : v[1]);
                assertThat(p.sourceVersion()).as(name + " source version")
                        .isEqualTo(v[2].equals(v[0]) ? null : v[2]);
                assertThat(p.path()).isEqualTo("/var/lib/dpkg/status");
                assertThat(p.purl()).startsWith("pkg:deb/debian/").contains("distro=debian-12");
            });
            // A package built from a differently named source names it, with its version, in the purl too.
            String[] libc = expected.get("libc6");
            assertThat(found.get("libc6").purl()).isEqualTo("pkg:deb/debian/libc6@" + libc[0].replace("+", "%2B")
                    + "?arch=amd64&distro=debian-12&upstream=glibc");
        }
    }
}
