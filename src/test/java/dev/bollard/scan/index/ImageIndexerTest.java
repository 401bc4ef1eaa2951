package dev.bollard.scan.index;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bollard.clients.Exec;
import dev.bollard.oci.Descriptor;
import dev.bollard.scan.InstalledPackage;
import dev.bollard.scan.Inventory;
import dev.bollard.scan.PackageType;
import dev.bollard.testing.Requirements;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The indexer's rules on layers built in memory: whiteouts, replacement, parsers' edge cases, compressions. */
@Timeout(30)
class ImageIndexerTest {
    private static final String DPKG = "/var/lib/dpkg/status";

    static Inventory index(byte[]... layers) throws IndexFailedException {
        return new ImageIndexer().index(UnitLayers.descriptors(layers.length), UnitLayers.opener(List.of(layers)));
    }

    static List<String> names(Inventory inventory) {
        return inventory.packages().stream().map(InstalledPackage::name).toList();
    }

    static String stanza(String name, String version) {
        return "Package: " + name + "\nStatus: install ok installed\nArchitecture: amd64\nVersion: " + version + "\n";
    }

    @Test
    void aWhiteoutDeletesAFileAndEverythingBelowADirectory() throws Exception {
        Inventory inventory = index(
                new TarBuilder().file("/srv/node_modules/a/package.json", "{\"name\":\"a\",\"version\":\"1.0.0\"}")
                        .file("/srv/node_modules/b/package.json", "{\"name\":\"b\",\"version\":\"1.0.0\"}")
                        .file("/opt/lib/node_modules/c/package.json", "{\"name\":\"c\",\"version\":\"1.0.0\"}")
                        .build(),
                new TarBuilder().whiteout("/srv/node_modules/a").whiteout("/opt/lib").build());
        assertThat(names(inventory)).containsExactly("b");
    }

    @Test
    void anOpaqueDirectoryHidesEarlierLayersButKeepsItsOwnLayersFiles() throws Exception {
        Inventory inventory = index(
                new TarBuilder().file("/app/node_modules/old/package.json", "{\"name\":\"old\",\"version\":\"1.0.0\"}")
                        .file("/app/node_modules-sibling/x/package.json", "{}").build(),
                // the new file comes before the opaque marker in the stream: order within a layer does not matter
                new TarBuilder().file("/app/node_modules/new/package.json", "{\"name\":\"new\",\"version\":\"2.0.0\"}")
                        .opaque("/app/node_modules").build());
        assertThat(names(inventory)).containsExactly("new");
    }

    @Test
    void aLaterLayerReplacesAFileAndAWhiteoutThenAReAddWorks() throws Exception {
        Inventory inventory = index(
                new TarBuilder().file(DPKG, stanza("libc6", "2.36-9") + "\n" + stanza("zlib1g", "1:1.2.13")).build(),
                new TarBuilder().file(DPKG, stanza("libc6", "2.36-9+deb12u4")).build(),
                new TarBuilder().whiteout("/var/lib/dpkg").build(),
                new TarBuilder().file(DPKG, stanza("libc6", "2.36-9+deb12u7")).build());
        assertThat(inventory.packages()).singleElement().satisfies(p -> {
            assertThat(p.name()).isEqualTo("libc6");
            assertThat(p.version()).isEqualTo("2.36-9+deb12u7");
        });
    }

    @Test
    void aFileReplacedByADirectoryIsGoneAndAHardLinkCarriesItsTargetsFindings() throws Exception {
        Inventory inventory = index(
                new TarBuilder().file("/x/node_modules/a/package.json", "{\"name\":\"a\",\"version\":\"1.0.0\"}")
                        .file("/y/node_modules/b/package.json", "{\"name\":\"b\",\"version\":\"1.0.0\"}")
                        .hardlink("/z/node_modules/b/package.json", "y/node_modules/b/package.json").build(),
                new TarBuilder().dir("/x/node_modules/a/package.json").build());
        assertThat(inventory.packages()).extracting(InstalledPackage::name).containsExactly("b", "b");
    }

    @Test
    void dpkgStanzaEdgeCases() throws Exception {
        String status = """
                Package: libc6
                Status: install ok installed
                Architecture: amd64
                Source: glibc
                Version: 2.36-9+deb12u4
                Description: GNU C Library: Shared libraries
                 Contains the standard libraries that are used by nearly all programs on
                 .
                 the system.

                Package: libssl3
                Status: install ok installed
                Source: openssl (3.0.11-1~deb12u2)
                Version: 3.0.11-1~deb12u2
                Architecture: amd64

                Package: libgcc-s1
                Status: install ok installed
                Source: gcc-12 (12.2.0-14)
                Version: 12.2.0-14
                Architecture: amd64

                Package: e2fsprogs
                Status: install ok installed
                Source: e2fsprogs
                Version: 1.47.0-2

                Package: removed-one
                Status: deinstall ok config-files
                Version: 1.0-1

                Package: no-version
                Status: install ok installed

                Package: perl-base
                Status: install ok installed
                garbage line without a colon
                Version: 5.36.0-7



                Package: zlib1g
                Status: install ok installed
                Architecture: amd64
                Source: zlib
                Version: 1:1.2.13.dfsg-1""";
        Inventory inventory = index(new TarBuilder().file(DPKG, status.replace("\n", "\r\n")).build());
        assertThat(names(inventory)).containsExactly("e2fsprogs", "libc6", "libgcc-s1", "libssl3", "zlib1g");
        InstalledPackage libc = inventory.packages().get(1);
        assertThat(libc.sourceName()).isEqualTo("glibc");
        assertThat(libc.sourceVersion()).isNull();
        assertThat(libc.purl()).isEqualTo("pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&upstream=glibc");
        InstalledPackage ssl = inventory.packages().get(3);
        assertThat(ssl.sourceName()).isEqualTo("openssl");
        assertThat(ssl.sourceVersion()).isNull(); // same as the binary's
        InstalledPackage gcc = inventory.packages().get(2);
        assertThat(gcc.sourceName()).isEqualTo("gcc-12");
        assertThat(gcc.sourceVersion()).isNull();
        assertThat(inventory.packages().get(0).sourceName()).isNull(); // Source names itself
        assertThat(inventory.packages().get(4).version()).isEqualTo("1:1.2.13.dfsg-1");
        assertThat(inventory.notes()).hasSize(2)
                .anySatisfy(n -> assertThat(n).contains("line 32").contains(DPKG).contains("no-version"))
                .anySatisfy(n -> assertThat(n).contains("perl-base"));
    }

    @Test
    void aSourceWithAnotherVersionIsKept() throws Exception {
        Inventory inventory = index(new TarBuilder().file(DPKG, """
                Package: libpython3.11-minimal
                Status: install ok installed
                Source: python3.11 (3.11.2-6)
                Version: 3.11.2-6+deb12u1
                """).build());
        assertThat(inventory.packages()).singleElement().satisfies(p -> {
            assertThat(p.sourceName()).isEqualTo("python3.11");
            assertThat(p.sourceVersion()).isEqualTo("3.11.2-6");
        });
    }

    @Test
    void alpineInstalledWithOriginAndMalformedEntries() throws Exception {
        String installed = """
                C:Q1p78yvTLG094tHE1+dToJGbmYzQE=
                P:musl
                V:1.2.4_git20230717-r4
                A:x86_64
                o:musl
                T:the musl c library (libc) implementation

                P:libcrypto3
                V:3.1.4-r5
                A:x86_64
                o:openssl

                garbage
                P:broken

                P:zlib
                V:1.3.1-r0
                A:x86_64
                o:zlib
                """;
        Inventory inventory = index(new TarBuilder()
                .file("/etc/os-release", "NAME=\"Alpine Linux\"\nID=alpine\nVERSION_ID=3.19.1\n")
                .file("/lib/apk/db/installed", installed).build());
        assertThat(inventory.os().id()).isEqualTo("alpine");
        assertThat(names(inventory)).containsExactly("libcrypto3", "musl", "zlib");
        assertThat(inventory.packages().get(0).sourceName()).isEqualTo("openssl");
        assertThat(inventory.packages().get(0).purl())
                .isEqualTo("pkg:apk/alpine/libcrypto3@3.1.4-r5?arch=x86_64&distro=alpine-3.19.1&upstream=openssl");
        assertThat(inventory.packages().get(1).sourceName()).isNull();
        assertThat(inventory.notes()).singleElement().satisfies(n -> assertThat(n).contains("line 13"));
    }

    @Test
    void aZstdLayerIsReadLikeAGzipOne(@TempDir Path tmp) throws Exception {
        Requirements.onPath("zstd");
        byte[] tar = new TarBuilder().file("/etc/os-release", "ID=debian\nVERSION_ID=\"12\"\n")
                .file(DPKG, stanza("libc6", "2.36-9")).build();
        Path in = tmp.resolve("layer.tar");
        Files.write(in, tar);
        new Exec(tmp).ok("zstd", "-q", "-19", in.toString(), "-o", tmp.resolve("layer.tar.zst").toString());
        Inventory inventory = index(Files.readAllBytes(tmp.resolve("layer.tar.zst")), TarBuilder.gzip(
                new TarBuilder().file("/usr/lib/python3/dist-packages/six-1.16.0.egg-info",
                        "Metadata-Version: 1.1\nName: six\nVersion: 1.16.0\n\nSummary body\nName: nope\n").build()));
        assertThat(inventory.packages()).extracting(InstalledPackage::purl).containsExactly(
                "pkg:deb/debian/libc6@2.36-9?arch=amd64&distro=debian-12", "pkg:pypi/six@1.16.0");
    }

    @Test
    void osReleaseFollowsItsLinkAndALinkLoopEndsWithoutAnOs() throws Exception {
        Inventory linked = index(new TarBuilder().symlink("/etc/os-release", "../usr/lib/os-release")
                .file("/usr/lib/os-release", "ID=ubuntu\nVERSION_ID=\"22.04\"\nPRETTY_NAME=\"Ubuntu 22.04.4 LTS\"\n")
                .build());
        assertThat(linked.os().prettyName()).isEqualTo("Ubuntu 22.04.4 LTS");
        Inventory loop = index(new TarBuilder().symlink("/etc/os-release", "../usr/lib/os-release")
                .symlink("/usr/lib/os-release", "/etc/os-release").file(DPKG, stanza("a", "1")).build());
        assertThat(loop.os()).isNull();
        assertThat(loop.packages().get(0).purl()).isEqualTo("pkg:deb/debian/a@1?arch=amd64");
    }

    @Test
    void goBuildInfoListsModulesWithReplacementsAndSkipsAStringLiteralOfTheMagic() throws Exception {
        String modinfo = """
                path\texample.com/cmd/app
                mod\texample.com\t(devel)\t
                dep\tgolang.org/x/net\tv0.17.0\th1:abc=
                dep\tgithub.com/old/lib\tv1.0.0\th1:def=
                =>\tgithub.com/new/lib\tv1.2.3\th1:ghi=
                """;
        byte[] sentinel = new byte[16];
        ByteArrayOutputStream elf = new ByteArrayOutputStream();
        elf.writeBytes(new byte[] {0x7f, 'E', 'L', 'F'});
        elf.writeBytes(new byte[70_000]); // across a chunk boundary
        elf.writeBytes("\u00ff Go buildinf: this is a string literal".getBytes(StandardCharsets.ISO_8859_1));
        elf.writeBytes(new byte[11]);
        byte[] header = new byte[32];
        System.arraycopy("\u00ff Go buildinf:".getBytes(StandardCharsets.ISO_8859_1), 0, header, 0, 14);
        header[14] = 8;
        header[15] = 2;
        elf.writeBytes(header);
        writeVarString(elf, "go1.21.5".getBytes(StandardCharsets.US_ASCII));
        ByteArrayOutputStream mod = new ByteArrayOutputStream();
        mod.writeBytes(sentinel);
        mod.writeBytes(modinfo.getBytes(StandardCharsets.US_ASCII));
        mod.writeBytes(sentinel);
        writeVarString(elf, mod.toByteArray());
        elf.writeBytes(new byte[5000]);
        Inventory inventory = index(new TarBuilder().file("/usr/local/bin/app", elf.toByteArray(), 0755)
                .file("/usr/local/bin/not-executable", elf.toByteArray(), 0644).build());
        assertThat(inventory.packages()).extracting(InstalledPackage::purl).containsExactly(
                "pkg:golang/example.com@%28devel%29", "pkg:golang/github.com/new/lib@v1.2.3",
                "pkg:golang/golang.org/x/net@v0.17.0", "pkg:golang/stdlib@1.21.5");
        assertThat(inventory.packages()).allSatisfy(p -> {
            assertThat(p.type()).isEqualTo(PackageType.GO);
            assertThat(p.path()).isEqualTo("/usr/local/bin/app");
        });
    }

    private static void writeVarString(ByteArrayOutputStream out, byte[] s) {
        int n = s.length;
        while (n >= 0x80) {
            out.write((n & 0x7f) | 0x80);
            n >>>= 7;
        }
        out.write(n);
        out.writeBytes(s);
    }

    @Test
    void aForeignLayerIsNotedAndAnArtifactIsUnsupported() throws Exception {
        Descriptor foreign = new Descriptor("application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
                UnitLayers.descriptor(0).digest(), 10, null, null,
                List.of("https://example.com/layer"), null);
        Inventory inventory = new ImageIndexer().index(List.of(foreign), layer -> {
            throw new AssertionError("a foreign layer is not opened");
        });
        assertThat(inventory.notes()).singleElement().satisfies(n -> assertThat(n).contains("foreign"));
        Descriptor helm = Descriptor.of("application/vnd.cncf.helm.chart.content.v1.tar+gzip",
                UnitLayers.descriptor(0).digest(), 10);
        assertThat(org.assertj.core.api.Assertions.catchThrowableOfType(IndexFailedException.class,
                () -> new ImageIndexer().index(List.of(helm), UnitLayers.opener(List.of(new byte[0])))))
                .satisfies(e -> {
                    assertThat(e.outcome()).isEqualTo(IndexFailedException.Outcome.UNSUPPORTED);
                    assertThat(e.reason()).contains("helm");
                });
    }
}
