package dev.bollard.scan.index;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.bollard.scan.Inventory;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Broken and hostile layers end in a typed failure with a reason users can read, or in notes, within seconds and
 * without exhausting memory: never a crash, a hang or an exception of another type.
 */
@Timeout(60)
class HostileLayersTest {

    private static IndexFailedException fails(IndexLimits limits, byte[]... layers) {
        IndexFailedException e = catchThrowableOfType(IndexFailedException.class, () -> new ImageIndexer(limits)
                .index(UnitLayers.descriptors(layers.length), UnitLayers.opener(List.of(layers))));
        assertThat(e).as("the image fails").isNotNull();
        assertThat(e.outcome()).isEqualTo(IndexFailedException.Outcome.FAILED);
        return e;
    }

    private static IndexFailedException fails(byte[]... layers) {
        return fails(IndexLimits.DEFAULTS, layers);
    }

    @Test
    void corruptGzip() {
        byte[] gz = TarBuilder.gzip(new TarBuilder().file("/etc/os-release", "ID=debian\n").build());
        for (int i = 20; i < gz.length - 8; i++) {
            gz[i] ^= 0x5a;
        }
        assertThat(fails(gz).reason()).startsWith("layer 1 of 1 (sha256:").contains("is not readable");
    }

    @Test
    void truncatedGzipAndTruncatedTar() {
        byte[] tar = new TarBuilder().file("/var/lib/dpkg/status", "Package: a\nVersion: 1\n".repeat(100)).build();
        byte[] gz = TarBuilder.gzip(tar);
        assertThat(fails(Arrays.copyOf(gz, gz.length / 2)).reason()).contains("is not readable");
        assertThat(fails(Arrays.copyOf(tar, 700)).reason()).contains("truncated");
        assertThat(fails(Arrays.copyOf(tar, 300)).reason()).contains("truncated");
    }

    /**
     * A layer whose last entry is whole but whose padding and end-of-archive blocks are missing, as Debian's umoci 0.4
     * writes them, is read to its end; a layer that ends inside that entry's content is still truncated.
     */
    @Test
    void aStreamEndingWhereTheLastEntrysPaddingBelongsIsWhole() throws Exception {
        byte[] tar = new TarBuilder().file("/etc/os-release", "ID=debian\nVERSION_ID=\"12\"\n")
                .file("/var/lib/dpkg/status", "Package: a\nStatus: install ok installed\nVersion: 1\n\n").build();
        int contentEnd = 512 * 3 + "Package: a\nStatus: install ok installed\nVersion: 1\n\n".length();
        byte[] asUmociWritesIt = Arrays.copyOf(tar, contentEnd);
        Inventory inventory = new ImageIndexer(IndexLimits.DEFAULTS).index(UnitLayers.descriptors(1),
                UnitLayers.opener(List.of(asUmociWritesIt)));
        assertThat(inventory.packages()).extracting(p -> p.name()).containsExactly("a");
        assertThat(fails(Arrays.copyOf(tar, contentEnd - 1)).reason()).contains("ends inside an entry (truncated");
    }

    @Test
    void notATarStreamAndUnsupportedCompression() {
        assertThat(fails("this is not a tar archive at all, just text".repeat(20).getBytes(StandardCharsets.UTF_8))
                .reason()).contains("checksum");
        assertThat(fails("BZh91AY&SY".getBytes(StandardCharsets.US_ASCII)).reason()).contains("bzip2");
    }

    @Test
    void aHugeDeclaredSizeThatTheStreamDoesNotHoldIsATruncatedLayer() {
        byte[] tar = new TarBuilder().declaredOnly("/big", 1L << 40).build(); // 1 TiB in a base-256 size field
        assertThat(fails(tar).reason()).contains("truncated");
        byte[] hugeDb = new TarBuilder().declaredOnly("/var/lib/dpkg/status", 10L << 30).build();
        assertThat(fails(hugeDb).reason()).contains("truncated"); // never allocated: declared over the cap
    }

    @Test
    void aPackageDatabaseOverTheCapIsSkippedWithANote() throws Exception {
        String status = "Package: a\nStatus: install ok installed\nVersion: 1\n\n".repeat(20_000);
        Inventory inventory = new ImageIndexer(IndexLimits.DEFAULTS.withMaxDatabaseBytes(64 * 1024)).index(
                UnitLayers.descriptors(1), UnitLayers.opener(List.of(new TarBuilder()
                        .file("/var/lib/dpkg/status", status).build())));
        assertThat(inventory.packages()).isEmpty();
        assertThat(inventory.notes()).singleElement().satisfies(n -> assertThat(n)
                .contains("/var/lib/dpkg/status is larger than the indexer's limit of 65536 bytes"));
    }

    @Test
    void aHugeExtendedHeaderIsRefusedBeforeItIsRead() {
        byte[] tar = new TarBuilder().declaredOnly("/x", 0).build();
        tar[156] = 'L'; // a GNU long name ...
        byte[] size = "77777777777".getBytes(StandardCharsets.US_ASCII); // ... of 8 GiB
        System.arraycopy(size, 0, tar, 124, size.length);
        fixChecksum(tar);
        assertThat(fails(tar).reason()).contains("extended header of 8589934591 bytes");
    }

    @Test
    void deepAndLongPathsAreSkippedWithANote() throws Exception {
        String deep = "/a".repeat(300) + "/node_modules/x/package.json";
        String escaping = "../../etc/node_modules/y/package.json";
        Inventory inventory = ImageIndexerTest.index(new TarBuilder()
                .file(deep, "{\"name\":\"x\",\"version\":\"1.0.0\"}")
                .file(escaping, "{\"name\":\"y\",\"version\":\"1.0.0\"}")
                .file("/ok/node_modules/z/package.json", "{\"name\":\"z\",\"version\":\"1.0.0\"}").build());
        assertThat(ImageIndexerTest.names(inventory)).containsExactly("z");
        assertThat(inventory.notes()).hasSize(2).anySatisfy(n -> assertThat(n).contains("directories"))
                .anySatisfy(n -> assertThat(n).contains("leaves the image's root"));
    }

    @Test
    void millionsOfEntriesEndAtTheEntryLimit() {
        // A stream of empty files that never ends: only the limit stops it.
        IndexFailedException e = catchThrowableOfType(IndexFailedException.class,
                () -> new ImageIndexer(IndexLimits.DEFAULTS.withMaxEntries(50_000)).index(UnitLayers.descriptors(1),
                        layer -> endlessEntries()));
        assertThat(e.reason()).contains("more than 50000 files");
    }

    @Test
    void aCompressionBombEndsAtTheByteLimit() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(bytes)) {
            gz.write(new TarBuilder().declaredOnly("/zeros", 1L << 30).raw());
            byte[] zeros = new byte[1 << 20];
            for (int i = 0; i < 1024; i++) {
                gz.write(zeros);
            }
        }
        assertThat(bytes.size()).isLessThan(2 << 20); // a GiB of tar in about a MiB of gzip
        assertThat(fails(IndexLimits.DEFAULTS.withMaxUncompressedBytes(100L << 20), bytes.toByteArray()).reason())
                .contains("unpacks to more than 104857600 bytes");
    }

    @Test
    void theTimeLimitEndsAnImage() {
        IndexFailedException e = catchThrowableOfType(IndexFailedException.class,
                () -> new ImageIndexer(IndexLimits.DEFAULTS.withMaxTime(Duration.ofMillis(300)))
                        .index(UnitLayers.descriptors(1), layer -> endlessEntries()));
        assertThat(e.reason()).contains("took longer than");
    }

    @Test
    void anUnreadableLayerIsATypedFailureNamingIt() {
        IndexFailedException e = catchThrowableOfType(IndexFailedException.class, () -> new ImageIndexer()
                .index(UnitLayers.descriptors(2), layer -> {
                    if (layer.equals(UnitLayers.descriptor(1))) {
                        throw new IOException("the blob store did not answer");
                    }
                    return new java.io.ByteArrayInputStream(new TarBuilder().build());
                }));
        assertThat(e.reason()).isEqualTo("layer 2 of 2 (" + UnitLayers.descriptor(1).digest()
                + ") is not readable: the blob store did not answer");
    }

    @Test
    void malformedLanguageMetadataIsNotedAndSkipped() throws Exception {
        Inventory inventory = ImageIndexerTest.index(new TarBuilder()
                .file("/app/node_modules/a/package.json", "{\"name\": ")
                .file("/app/node_modules/b/package.json", "[1,2,3]")
                .file("/app/x.jar", "not a zip at all")
                .file("/app/y.jar", TarBuilder.gzip(new byte[100]))
                .file("/usr/lib/python3/site-packages/z-1.dist-info/METADATA", "Summary: no name\n").build());
        assertThat(inventory.packages()).isEmpty();
        assertThat(inventory.notes()).hasSize(3);
    }

    /** Headers of empty files, forever. */
    private static InputStream endlessEntries() {
        return new InputStream() {
            private long n;
            private byte[] block = new byte[0];
            private int at;

            @Override
            public int read() {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) {
                if (at == block.length) {
                    block = new TarBuilder().file("/f/" + n++, new byte[0]).raw();
                    at = 0;
                }
                int k = Math.min(len, block.length - at);
                System.arraycopy(block, at, b, off, k);
                at += k;
                return k;
            }
        };
    }

    private static void fixChecksum(byte[] tar) {
        for (int i = 148; i < 156; i++) {
            tar[i] = ' ';
        }
        long sum = 0;
        for (int i = 0; i < 512; i++) {
            sum += tar[i] & 0xff;
        }
        byte[] digits = String.format("%06o", sum).getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(digits, 0, tar, 148, 6);
        tar[154] = 0;
    }
}
