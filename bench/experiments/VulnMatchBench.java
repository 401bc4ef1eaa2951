// Matching throughput against a large vulnerability set (docs/scanning.md, "Vulnerability data and matching").
// Generates N synthetic OSV records (default 120,000) as one zip — Debian:12, npm, PyPI, Maven and Go records over
// pools of package names — imports it into a fresh embedded H2 database with Bollard's importer, then matches a
// Debian 12 inventory of 400 dpkg packages plus 100 language packages, and prints the import time and the match
// time (median and best of 20 runs, after 5 warm-up runs).
//
//   ./mvnw -q -o org.apache.maven.plugins:maven-dependency-plugin:3.11.0:build-classpath \
//       -Dmdep.outputFile=/tmp/cp.txt -Dmdep.includeScope=runtime && ./mvnw -q -o compile
//   java -cp target/classes:$(cat /tmp/cp.txt) bench/experiments/VulnMatchBench.java [N]
//
// Uses a temporary directory, deleted at the end.

import dev.bollard.config.BollardConfig;
import dev.bollard.metadata.Database;
import dev.bollard.scan.InstalledPackage;
import dev.bollard.scan.Inventory;
import dev.bollard.scan.OsRelease;
import dev.bollard.scan.PackageType;
import dev.bollard.scan.vuln.MatchReport;
import dev.bollard.scan.vuln.VulnerabilityMatcher;
import dev.bollard.scan.vuln.VulnerabilityStore;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

public class VulnMatchBench {
    /** Ecosystem, share of the records, size of its pool of package names, a version for (installed, fixed). */
    record Eco(String name, double share, int pool) {
    }

    static final List<Eco> ECOS = List.of(new Eco("Debian:12", 0.40, 3000), new Eco("npm", 0.25, 20000),
            new Eco("PyPI", 0.15, 8000), new Eco("Maven", 0.12, 8000), new Eco("Go", 0.08, 4000));

    static String pkgName(Eco e, int i) {
        return switch (e.name()) {
            case "Debian:12" -> "src" + i;
            case "Maven" -> "org.example" + (i % 100) + ":artifact-" + i;
            case "Go" -> "example.org/mod" + i;
            default -> "pkg-" + i;
        };
    }

    static String fixed(Eco e, Random r) {
        int a = r.nextInt(5);
        int b = r.nextInt(20);
        return switch (e.name()) {
            case "Debian:12" -> a + "." + b + "-" + (1 + r.nextInt(4)) + "+deb12u" + (1 + r.nextInt(9));
            default -> a + "." + b + "." + r.nextInt(10);
        };
    }

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 120_000;
        Path dir = Files.createTempDirectory("bollard-vuln-bench");
        try {
            Random random = new Random(42);
            Path zip = dir.resolve("all.zip");
            long t0 = System.nanoTime();
            try (OutputStream out = Files.newOutputStream(zip); ZipOutputStream z = new ZipOutputStream(out)) {
                for (int i = 0; i < n; i++) {
                    double x = random.nextDouble();
                    Eco eco = ECOS.getLast();
                    for (Eco e : ECOS) {
                        if (x < e.share()) {
                            eco = e;
                            break;
                        }
                        x -= e.share();
                    }
                    String id = "BENCH-" + i;
                    String range = eco.name().equals("Go") ? "SEMVER" : "ECOSYSTEM";
                    String json = """
                            {"id": "%s", "modified": "2024-01-01T00:00:00Z", "published": "2023-06-01T00:00:00Z",
                             "aliases": ["CVE-2024-%d"], "summary": "synthetic advisory %d",
                             "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
                             "affected": [{"package": {"ecosystem": "%s", "name": "%s"},
                               "ranges": [{"type": "%s", "events": [{"introduced": "0"}, {"fixed": "%s"}]}]}],
                             "references": [{"type": "ADVISORY", "url": "https://example.org/%s"}]}
                            """.formatted(id, i, i, eco.name(), pkgName(eco, random.nextInt(eco.pool())), range,
                            fixed(eco, random), id);
                    z.putNextEntry(new ZipEntry(id + ".json"));
                    z.write(json.getBytes(StandardCharsets.UTF_8));
                    z.closeEntry();
                }
            }
            System.out.printf("generated %,d records (%,d bytes zipped) in %d ms%n", n, Files.size(zip),
                    (System.nanoTime() - t0) / 1_000_000);

            BollardConfig config = BollardConfig.defaults(dir.resolve("data"), "127.0.0.1", 0);
            try (Database db = Database.open(config.database())) {
                VulnerabilityStore store = new VulnerabilityStore(db);
                VulnerabilityStore.ImportResult imported = store.importPath(zip);
                System.out.printf("imported %,d records in %,d ms (%,.0f records/s); heap used %,d MiB%n",
                        imported.added(), imported.took().toMillis(),
                        imported.added() / (imported.took().toMillis() / 1000.0),
                        (Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory()) >> 20);
                VulnerabilityStore.ImportResult again = store.importPath(zip);
                System.out.printf("re-imported (all unchanged: %,d) in %,d ms%n", again.unchanged(),
                        again.took().toMillis());

                List<InstalledPackage> packages = new ArrayList<>();
                for (int i = 0; i < 400; i++) {
                    String version = random.nextInt(5) + "." + random.nextInt(20) + "-" + (1 + random.nextInt(4))
                            + "+deb12u" + random.nextInt(9);
                    packages.add(new InstalledPackage(PackageType.DPKG, "bin" + i, version, pkgName(ECOS.get(0), i * 7),
                            null, "pkg:deb/debian/bin" + i + "@" + version, "var/lib/dpkg/status"));
                }
                for (int i = 0; i < 100; i++) {
                    Eco eco = ECOS.get(1 + i % 4);
                    PackageType type = switch (eco.name()) {
                        case "npm" -> PackageType.NPM;
                        case "PyPI" -> PackageType.PYPI;
                        case "Maven" -> PackageType.MAVEN;
                        default -> PackageType.GO;
                    };
                    String version = random.nextInt(5) + "." + random.nextInt(20) + "." + random.nextInt(10);
                    packages.add(new InstalledPackage(type, pkgName(eco, i * 13), version, null, null, "pkg:x", "app"));
                }
                Inventory inventory = new Inventory(new OsRelease("debian", "12", "Debian GNU/Linux 12 (bookworm)"),
                        packages, List.of());
                VulnerabilityMatcher matcher = new VulnerabilityMatcher(store);
                for (int i = 0; i < 5; i++) {
                    matcher.match(inventory);
                }
                long[] times = new long[20];
                MatchReport report = null;
                for (int i = 0; i < times.length; i++) {
                    long s = System.nanoTime();
                    report = matcher.match(inventory);
                    times[i] = System.nanoTime() - s;
                }
                Arrays.sort(times);
                System.out.printf("matched %d packages (%d findings, %d notes): median %.1f ms, best %.1f ms, worst %.1f ms%n",
                        packages.size(), report.findings().size(), report.notes().size(), times[times.length / 2] / 1e6,
                        times[0] / 1e6, times[times.length - 1] / 1e6);
            }
        } finally {
            try (var walk = Files.walk(dir)) {
                walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
