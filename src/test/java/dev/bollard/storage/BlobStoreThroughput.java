package dev.bollard.storage;

import dev.bollard.oci.Digest;
import dev.bollard.testing.S3Server;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.UUID;

/**
 * The benchmark companion of {@link BlobStoreContract}: the write and read paths of each store, alone (no HTTP, no
 * hashing, no database), so that a new store or a change to one can be compared with the others. Not a test: timings
 * on a shared machine would make a flaky one. Run it with the test class path:
 * <pre>
 * ./mvnw -q -o test-compile dependency:build-classpath -Dmdep.outputFile=target/test-classpath.txt
 * java -cp target/classes:target/test-classes:$(cat target/test-classpath.txt) \
 *     dev.bollard.storage.BlobStoreThroughput [MIB] [ROUNDS] [DIR]
 * </pre>
 * Prints, per store and round, MB/s (10^6 bytes/s) to write one blob of MIB MiB (default 256; one upload, one append
 * in 256 KiB writes as a monolithic push does, then the commit) and to read it back in 1 MiB reads, and how many small
 * blobs (1 KiB: create, append, commit) a second it commits. S3 is the in-process S3Proxy on loopback, so its figures
 * are those of this code and S3Proxy's file system, not of a real bucket. The first round includes the JIT's warm-up.
 */
public final class BlobStoreThroughput {
    private static final int WRITE = 256 * 1024;
    private static final int READ = 1 << 20;
    private static final int SMALL = 1024;
    private static final int SMALL_COUNT = 200;

    private record Store(String name, BlobStore store) {
    }

    public static void main(String[] args) throws Exception {
        long size = (args.length > 0 ? Long.parseLong(args[0]) : 256) << 20;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        Path dir = Files.createTempDirectory(Path.of(args.length > 2 ? args[2] : "/tmp"), "blobstore-throughput-");
        byte[] piece = new byte[WRITE];
        new Random(1).nextBytes(piece);
        try (SdkTracerProvider tracing = SdkTracerProvider.builder().build()) {
            List<Store> stores = new ArrayList<>();
            stores.add(new Store("filesystem", filesystem(dir.resolve("fs"))));
            stores.add(new Store("traced filesystem",
                    new TracedBlobStore(filesystem(dir.resolve("traced")), tracing.get("throughput"))));
            stores.add(new Store("s3 (S3Proxy)", S3BlobStoreTest.storeOn(S3Server.shared().createBucket(),
                    "registry/", S3BlobStore.MAX_COPY, 1L << 30, dir.resolve("s3-buffers"))));
            System.out.printf("%-20s %5s %12s %12s %14s%n", "store", "round", "write MB/s", "read MB/s",
                    "small blobs/s");
            for (int round = 1; round <= rounds; round++) {
                for (Store s : stores) {
                    Digest d = Digest.sha256(("blob " + round).getBytes(StandardCharsets.UTF_8)); // the store does not check digests
                    double write = megabytesPerSecond(size, () -> write(s.store(), d, size, piece));
                    double read = megabytesPerSecond(size, () -> read(s.store(), d, size));
                    s.store().delete(d);
                    long start = System.nanoTime();
                    List<Digest> small = smallBlobs(s.store(), round);
                    double perSecond = SMALL_COUNT / ((System.nanoTime() - start) / 1e9);
                    for (Digest each : small) {
                        s.store().delete(each);
                    }
                    System.out.printf("%-20s %5d %12.0f %12.0f %14.0f%n", s.name(), round, write, read, perSecond);
                }
            }
            stores.forEach(s -> s.store().close());
        } finally {
            try (var files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
        System.exit(0); // S3Proxy's threads
    }

    private static BlobStore filesystem(Path dir) throws IOException {
        return new FilesystemBlobStore(dir.resolve("blobs"), dir.resolve("uploads"));
    }

    private interface Run {
        void run() throws IOException;
    }

    private static double megabytesPerSecond(long bytes, Run run) throws IOException {
        long start = System.nanoTime();
        run.run();
        return bytes / 1e6 / ((System.nanoTime() - start) / 1e9);
    }

    private static void write(BlobStore store, Digest digest, long size, byte[] piece) throws IOException {
        String id = UUID.randomUUID().toString();
        BlobStore.Append out = store.appendUpload(id, 0, store.createUpload(id));
        try (out) {
            for (long written = 0; written < size; written += piece.length) {
                ByteBuffer b = ByteBuffer.wrap(piece, 0, (int) Math.min(piece.length, size - written));
                while (b.hasRemaining()) {
                    out.write(b);
                }
            }
        }
        store.commitUpload(id, out.state(), digest, size);
    }

    private static void read(BlobStore store, Digest digest, long size) throws IOException {
        ByteBuffer b = ByteBuffer.allocateDirect(READ);
        long read = 0;
        try (SeekableByteChannel in = store.open(digest)) {
            int n;
            while ((n = in.read(b.clear())) >= 0) {
                read += n;
            }
        }
        if (read != size) {
            throw new IOException("read " + read + " bytes of " + size);
        }
    }

    private static List<Digest> smallBlobs(BlobStore store, int round) throws IOException {
        List<Digest> digests = new ArrayList<>();
        for (int i = 0; i < SMALL_COUNT; i++) {
            byte[] content = new byte[SMALL];
            new Random(round * 1_000_000L + i).nextBytes(content);
            Digest d = Digest.sha256(content);
            write(store, d, SMALL, content);
            digests.add(d);
        }
        return digests;
    }
}
