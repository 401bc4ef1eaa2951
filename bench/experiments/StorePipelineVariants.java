// The "receive + hash + store" bound of docs/benchmarks.md, four ways: a sender thread pushes 1 GiB over loopback TCP
// in 1 MiB writes; the receiver reads 1 MiB direct buffers; each buffer is fed to SHA-256 and written to a file; the
// file is fdatasynced at the end. The variants differ only in which thread does what ("|" separates threads):
//
//   recv+write|hash   the receiving thread writes, a second thread hashes (Bollard's split, registry/PipelinedHash)
//   recv|hash+write   the receiving thread only receives; a second thread hashes and writes
//   recv+hash|write   the receiving thread hashes; a second thread writes
//   recv|hash|write   three threads, one stage each (what bench/Bench.java measures as the bound)
//
//   java bench/experiments/StorePipelineVariants.java [DIR]      (DIR: where the 1 GiB file goes; default /tmp)
//
// Prints MB/s (10^6 bytes/s) for each variant, three rounds; the first round includes the JIT's warm-up.

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.Random;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

public class StorePipelineVariants {
    static final int BLOCK = 1 << 20;
    static final long BYTES = 1L << 30;
    static final ByteBuffer END = ByteBuffer.allocate(0);

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args.length > 0 ? args[0] : "/tmp");
        for (int round = 0; round < 3; round++) {
            for (String v : new String[] {"recv+write|hash", "recv|hash+write", "recv+hash|write", "recv|hash|write"}) {
                System.out.printf("%-18s %6.0f MB/s%n", v, run(v, dir.resolve("store-pipeline-probe")));
            }
        }
    }

    static double run(String variant, Path file) throws Exception {
        int depth = 4;
        BlockingQueue<ByteBuffer> free = new ArrayBlockingQueue<>(depth);
        BlockingQueue<ByteBuffer> second = new ArrayBlockingQueue<>(depth + 1);
        BlockingQueue<ByteBuffer> third = new ArrayBlockingQueue<>(depth + 1);
        for (int i = 0; i < depth; i++) {
            free.add(ByteBuffer.allocateDirect(BLOCK));
        }
        byte[] random = new byte[BLOCK];
        new Random(1).nextBytes(random);
        ByteBuffer source = ByteBuffer.allocateDirect(BLOCK).put(random).flip();
        ExecutorService pool = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r);
            t.setDaemon(true);
            return t;
        });
        try (ServerSocketChannel server = ServerSocketChannel.open();
             FileChannel out = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                     StandardOpenOption.TRUNCATE_EXISTING)) {
            server.bind(new InetSocketAddress("127.0.0.1", 0));
            MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
            Future<?> secondStage;
            Future<?> thirdStage = null;
            switch (variant) {
                case "recv+write|hash" -> secondStage = pool.submit(stage(second, b -> {
                    sha256.update(b);
                    free.put(b);
                }));
                case "recv|hash+write" -> secondStage = pool.submit(stage(second, b -> {
                    sha256.update(b.duplicate());
                    writeFully(out, b);
                    free.put(b);
                }));
                case "recv+hash|write" -> secondStage = pool.submit(stage(second, b -> {
                    writeFully(out, b);
                    free.put(b);
                }));
                default -> {
                    secondStage = pool.submit(stage(second, b -> {
                        sha256.update(b.duplicate());
                        third.put(b);
                    }));
                    thirdStage = pool.submit(stage(third, b -> {
                        writeFully(out, b);
                        free.put(b);
                    }));
                }
            }
            long t0 = System.nanoTime();
            Future<?> sender = pool.submit(() -> {
                try (SocketChannel c = SocketChannel.open(server.getLocalAddress())) {
                    for (long sent = 0; sent < BYTES; sent += BLOCK) {
                        writeFully(c, source.duplicate());
                    }
                }
                return null;
            });
            try (SocketChannel c = server.accept()) {
                boolean eof = false;
                while (!eof) {
                    ByteBuffer b = free.take().clear();
                    while (b.hasRemaining()) {
                        if (c.read(b) < 0) {
                            eof = true;
                            break;
                        }
                    }
                    b.flip();
                    switch (variant) {
                        case "recv+write|hash" -> {
                            ByteBuffer w = b.duplicate();
                            second.put(b);
                            writeFully(out, w);
                        }
                        case "recv+hash|write" -> {
                            sha256.update(b.duplicate());
                            second.put(b);
                        }
                        default -> second.put(b);
                    }
                }
                second.put(END);
                secondStage.get();
                if (thirdStage != null) {
                    third.put(END);
                    thirdStage.get();
                }
                out.force(false);
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            sender.get();
            return BYTES / 1e6 / seconds;
        } finally {
            pool.shutdownNow();
            Files.deleteIfExists(file);
        }
    }

    interface Step {
        void accept(ByteBuffer b) throws Exception;
    }

    /** A thread's loop: every buffer put on {@code in} until END goes through {@code step}. */
    static Callable<Void> stage(BlockingQueue<ByteBuffer> in, Step step) {
        return () -> {
            for (ByteBuffer b = in.take(); b != END; b = in.take()) {
                step.accept(b);
            }
            return null;
        };
    }

    static void writeFully(java.nio.channels.WritableByteChannel c, ByteBuffer b) throws Exception {
        while (b.hasRemaining()) {
            c.write(b);
        }
    }
}
