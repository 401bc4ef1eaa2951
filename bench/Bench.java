// Bollard vs CNCF Distribution, side by side: one client, one machine, one run. Started by bench/run.
// A single-file Java program (java Bench.java ...) so that it needs nothing but a JDK 21+.
//
// The client speaks HTTP/1.1 itself over blocking SocketChannels (pushes, pulls, metadata) and over a
// non-blocking selector loop (manifest load at 1..256 connections), streams generated blob content from one
// direct buffer per thread (never a whole blob in memory), and starts both servers itself so that it can time
// their start-up and read their memory from /proc.

import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.stream.Collectors;

public class Bench {

    static final String BOLLARD = "bollard";
    static final String DISTRIBUTION = "distribution";
    static final String MACHINE = "machine";
    static final double MB = 1_000_000.0;
    static final long MIB = 1L << 20;

    static Options O;
    static final List<Server> LIVE = new CopyOnWriteArrayList<>();

    public static void main(String[] args) throws Exception {
        O = Options.parse(args);
        // The servers first, then PostgreSQL and S3Proxy: a Bollard shutting down still writes to its database.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            stopAll();
            if (Backing.instance != null) {
                Backing.instance.stop();
            }
        }));
        Files.createDirectories(O.work);
        Files.createDirectories(O.out);
        Env env = Env.collect();
        log("bench: %s mode, %d run(s); work dir %s; results in %s", O.mode, O.runs, O.work, O.out);
        log("bench: load average %s", env.loadAtStart);
        long t0 = System.nanoTime();
        List<Run> runs = new ArrayList<>();
        boolean failed = false;
        for (int r = 1; r <= O.runs; r++) {
            Run run = new Run(r);
            runs.add(run);
            try {
                run.execute();
            } catch (Throwable e) {
                failed = true;
                run.failure = e.toString();
                log("bench: run %d FAILED: %s", r, e);
                e.printStackTrace(System.err);
                stopAll();
                if (O.mode.equals("smoke")) {
                    break;
                }
            } finally {
                run.cleanup();
            }
        }
        env.loadAtEnd = Env.loadavg();
        env.totalSeconds = (System.nanoTime() - t0) / 1e9;
        Report report = new Report(env, runs);
        String md = report.markdown();
        Files.writeString(O.out.resolve("report.md"), md);
        Files.writeString(O.out.resolve("raw.tsv"), report.rawTsv());
        System.out.println();
        System.out.println(md);
        log("bench: %s in %.1f s; report %s", failed ? "FAILED" : "done", env.totalSeconds, O.out.resolve("report.md"));
        System.exit(failed ? 1 : 0);
    }

    static void log(String fmt, Object... args) {
        System.err.println(String.format(Locale.ROOT, fmt, args));
        System.err.flush();
    }

    static void stopAll() {
        for (Server s : LIVE) {
            s.stop();
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Options

    static final class Options {
        String mode = "full";
        int runs = 3;
        long bigBytes = 1024 * MIB;
        long probeBytes = 128 * MIB;
        int layers = 200;
        long layerBytes = MIB;
        long bigChunk = 16 * MIB;
        long layerChunk = 256 * 1024;
        int pushConns = 4;
        int pullers = 16;
        int pullReps = 3;
        int[] conns = {1, 32, 256};
        double loadSeconds = 8;
        double loadWarmup = 2;
        int loadThreads = 2;
        double wrkSeconds = 5;
        int tags = 100_000;
        int repos = 10_000;
        int populateConns = 16;
        double populateTimeout = 1500;
        int metaSamples = 15;
        int startupSamples = 3;
        double sha256Seconds = 3;
        long loopbackBytes = 4096 * MIB;
        long diskBytes = 1024 * MIB;
        List<String> only = List.of("bounds", "startup", "push", "pull", "load", "meta", "auth", "crowd", "background");
        /** Bollard as users run it (access control, access log, default JVM settings) or as before (all off). */
        boolean bollardAuth = true;
        int farmConns = 32;
        double idleWait = 60;
        Path work;
        Path out;
        Path root;
        Path jar;
        String java;
        String distribution = "docker-registry";
        String bollardOpts = "";
        Path jfr;
        Path perf;
        boolean aot = true;
        boolean verify = true;
        /** Where the registries keep data: "fs" (file system; Bollard on embedded H2) or "pg-s3" (PostgreSQL + S3). */
        String backend = "fs";
        /** Blob GETs answered with redirects to S3 (pg-s3 only): "default" (each registry's own default), "on", "off". */
        String s3Redirect = "default";
        /** The class path S3Proxy runs with (pg-s3 only; bench/run writes it from the test class path). */
        Path s3proxyClasspath;
        int crowdPushers = 64;
        int crowdPullers = 256;
        int crowdLayers = 20;
        long crowdLayerBytes = MIB;
        /** The tls group (opt-in): the layer skopeo pushes and pulls, and how many times each (after one warm-up). */
        long tlsBytes = 256 * MIB;
        int tlsReps = 3;
        int[] scaleTags = {10_000, 100_000, 1_000_000};
        int[] scaleRepos = {1_000, 10_000, 100_000};
        /** Tags of the repository the background group prunes while the manifest load runs (0: --tags). */
        int backgroundTags = 0;
        /** The proxy group (opt-in): the upstream image's big layer, its small layers, and the warm pull's clients. */
        long proxyBytes = 256 * MIB;
        int proxySmall = 4;
        long proxySmallBytes = MIB;
        int proxyClients = 8;

        static Options parse(String[] a) {
            Options o = new Options();
            for (String s : a) {
                if (s.equals("--smoke")) {
                    o.smoke();
                } else if (s.equals("--quick")) {
                    o.quick();
                }
            }
            for (int i = 0; i < a.length; i++) {
                String k = a[i];
                if (k.equals("--smoke") || k.equals("--quick")) {
                    continue;
                }
                if (i + 1 >= a.length) {
                    throw new IllegalArgumentException("missing value after " + k);
                }
                String v = a[++i];
                switch (k) {
                    case "--runs" -> o.runs = Integer.parseInt(v);
                    case "--big-mib" -> o.bigBytes = Long.parseLong(v) * MIB;
                    case "--probe-mib" -> o.probeBytes = Long.parseLong(v) * MIB;
                    case "--layers" -> o.layers = Integer.parseInt(v);
                    case "--layer-kib" -> o.layerBytes = Long.parseLong(v) * 1024;
                    case "--push-conns" -> o.pushConns = Integer.parseInt(v);
                    case "--pullers" -> o.pullers = Integer.parseInt(v);
                    case "--pull-reps" -> o.pullReps = Integer.parseInt(v);
                    case "--conns" -> o.conns = Arrays.stream(v.split(",")).mapToInt(Integer::parseInt).toArray();
                    case "--load-seconds" -> o.loadSeconds = Double.parseDouble(v);
                    case "--load-warmup" -> o.loadWarmup = Double.parseDouble(v);
                    case "--load-threads" -> o.loadThreads = Integer.parseInt(v);
                    case "--tags" -> o.tags = Integer.parseInt(v);
                    case "--repos" -> o.repos = Integer.parseInt(v);
                    case "--populate-conns" -> o.populateConns = Integer.parseInt(v);
                    case "--populate-timeout" -> o.populateTimeout = Double.parseDouble(v);
                    case "--meta-samples" -> o.metaSamples = Integer.parseInt(v);
                    case "--startup-samples" -> o.startupSamples = Integer.parseInt(v);
                    case "--only" -> o.only = List.of(v.split(","));
                    case "--work" -> o.work = Path.of(v);
                    case "--out" -> o.out = Path.of(v);
                    case "--root" -> o.root = Path.of(v);
                    case "--jar" -> o.jar = Path.of(v);
                    case "--java" -> o.java = v;
                    case "--distribution" -> o.distribution = v;
                    case "--bollard-opts" -> o.bollardOpts = v;
                    case "--bollard-auth" -> o.bollardAuth = switch (v) {
                        case "on" -> true;
                        case "off" -> false;
                        default -> throw new IllegalArgumentException("--bollard-auth on|off, not " + v);
                    };
                    case "--farm-conns" -> o.farmConns = Integer.parseInt(v);
                    case "--idle-wait" -> o.idleWait = Double.parseDouble(v);
                    case "--jfr" -> o.jfr = Path.of(v);
                    case "--perf" -> o.perf = Path.of(v);
                    case "--aot" -> o.aot = switch (v) {
                        case "on" -> true;
                        case "off" -> false;
                        default -> throw new IllegalArgumentException("--aot takes on or off, not " + v);
                    };
                    case "--verify" -> o.verify = Boolean.parseBoolean(v);
                    case "--backend" -> o.backend = switch (v) {
                        case "fs", "pg-s3" -> v;
                        default -> throw new IllegalArgumentException("--backend fs|pg-s3, not " + v);
                    };
                    case "--s3-redirect" -> o.s3Redirect = switch (v) {
                        case "default", "on", "off" -> v;
                        default -> throw new IllegalArgumentException("--s3-redirect default|on|off, not " + v);
                    };
                    case "--s3proxy-classpath" -> o.s3proxyClasspath = Path.of(v);
                    case "--crowd-pushers" -> o.crowdPushers = Integer.parseInt(v);
                    case "--crowd-pullers" -> o.crowdPullers = Integer.parseInt(v);
                    case "--crowd-layers" -> o.crowdLayers = Integer.parseInt(v);
                    case "--crowd-layer-kib" -> o.crowdLayerBytes = Long.parseLong(v) * 1024;
                    case "--tls-mib" -> o.tlsBytes = Long.parseLong(v) * MIB;
                    case "--tls-reps" -> o.tlsReps = Integer.parseInt(v);
                    case "--proxy-mib" -> o.proxyBytes = Long.parseLong(v) * MIB;
                    case "--proxy-small" -> o.proxySmall = Integer.parseInt(v);
                    case "--proxy-small-kib" -> o.proxySmallBytes = Long.parseLong(v) * 1024;
                    case "--proxy-clients" -> o.proxyClients = Integer.parseInt(v);
                    case "--background-tags" -> o.backgroundTags = Integer.parseInt(v);
                    case "--scale-tags" -> o.scaleTags = Arrays.stream(v.split(",")).mapToInt(Integer::parseInt).toArray();
                    case "--scale-repos" -> o.scaleRepos = Arrays.stream(v.split(",")).mapToInt(Integer::parseInt).toArray();
                    default -> throw new IllegalArgumentException("unknown option " + k);
                }
            }
            if (o.work == null || o.jar == null || o.java == null) {
                throw new IllegalArgumentException("--work, --jar and --java are required (bench/run passes them)");
            }
            if (o.out == null) {
                o.out = o.work.resolve("results");
            }
            if (o.root == null) {
                o.root = Path.of(".");
            }
            if (o.backend.equals("pg-s3") && o.s3proxyClasspath == null) {
                throw new IllegalArgumentException("--backend pg-s3 needs --s3proxy-classpath (bench/run passes it)");
            }
            return o;
        }

        void smoke() {
            mode = "smoke";
            runs = 1;
            bigBytes = 8 * MIB;
            probeBytes = 2 * MIB;
            layers = 5;
            layerBytes = 64 * 1024;
            bigChunk = 3 * MIB;
            layerChunk = 16 * 1024;
            pushConns = 2;
            pullers = 4;
            pullReps = 1;
            conns = new int[] {1, 8, 32};
            farmConns = 8;
            idleWait = 0;
            loadSeconds = 0.5;
            loadWarmup = 0.2;
            wrkSeconds = 1;
            tags = 300;
            repos = 30;
            populateConns = 8;
            populateTimeout = 60;
            metaSamples = 3;
            startupSamples = 1;
            sha256Seconds = 1;
            loopbackBytes = 64 * MIB;
            diskBytes = 32 * MIB;
            only = List.of("bounds", "startup", "push", "pull", "load", "meta", "auth", "crowd", "background", "scale",
                    "proxy");
            scaleTags = new int[] {100, 300};
            scaleRepos = new int[] {10, 30};
            crowdPushers = 4;
            crowdPullers = 8;
            crowdLayers = 3;
            crowdLayerBytes = 64 * 1024;
            tlsBytes = 32 * MIB;
            tlsReps = 1;
            proxyBytes = 8 * MIB;
            proxySmall = 2;
            proxySmallBytes = 64 * 1024;
            proxyClients = 2;
        }

        void quick() {
            mode = "quick";
            runs = 1;
            bigBytes = 256 * MIB;
            probeBytes = 64 * MIB;
            layers = 50;
            loadSeconds = 3;
            loadWarmup = 1;
            wrkSeconds = 3;
            tags = 10_000;
            repos = 1_000;
            metaSamples = 10;
            startupSamples = 2;
            sha256Seconds = 2;
            loopbackBytes = 1024 * MIB;
            diskBytes = 256 * MIB;
            scaleTags = new int[] {1_000, 10_000};
            scaleRepos = new int[] {100, 1_000};
            crowdPushers = 32;
            crowdPullers = 128;
            crowdLayers = 10;
        }

        boolean does(String group) {
            return only.contains(group);
        }

        String describe() {
            return String.format(Locale.ROOT,
                    "mode=%s runs=%d big=%d MiB probe=%d MiB layers=%dx%d KiB chunks=%d MiB/%d KiB push-conns=%d "
                            + "pullers=%d conns=%s load=%.1fs(+%.1fs warm-up, %d client threads) tags=%d repos=%d "
                            + "populate-conns=%d meta-samples=%d startup-samples=%d only=%s bollard-auth=%s farm-conns=%d "
                            + "backend=%s%s crowd=%d pushers/%d pullers of %dx%d KiB%s",
                    mode, runs, bigBytes / MIB, probeBytes / MIB, layers, layerBytes / 1024, bigChunk / MIB,
                    layerChunk / 1024, pushConns, pullers, Arrays.toString(conns), loadSeconds, loadWarmup,
                    loadThreads, tags, repos, populateConns, metaSamples, startupSamples, String.join(",", only),
                    bollardAuth ? "on" : "off", farmConns, backend, backend.equals("pg-s3") ? " s3-redirect=" + s3Redirect : "",
                    crowdPushers, crowdPullers, crowdLayers, crowdLayerBytes / 1024,
                    bollardOpts.isBlank() ? "" : " bollard-opts=\"" + bollardOpts + "\"");
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Blob content: generated on the fly, identical for both registries, never held whole in memory.

    interface Content {
        long size();

        String digest();

        void write(WritableByteChannel ch, long off, long len) throws IOException;
    }

    static final int BLOCK = 1 << 20;
    static final byte[] BASE = new byte[BLOCK];

    static {
        new SplittableRandom(0x5eedL).nextBytes(BASE);
    }

    static final ThreadLocal<ByteBuffer> BLOCKS = ThreadLocal.withInitial(() -> {
        ByteBuffer b = ByteBuffer.allocateDirect(BLOCK);
        b.put(BASE);
        b.clear();
        return b;
    });

    /** Pseudo-random bytes: 1 MiB blocks of one random pattern, each stamped with (seed, block index). */
    static final class GenBlob implements Content {
        final long seed;
        final long size;
        private String digest;

        GenBlob(long seed, long size) {
            this.seed = seed;
            this.size = size;
        }

        public long size() {
            return size;
        }

        public synchronized String digest() {
            if (digest == null) {
                MessageDigest md = sha256();
                forEach(0, size, md::update);
                digest = "sha256:" + HexFormat.of().formatHex(md.digest());
            }
            return digest;
        }

        private void forEach(long off, long len, Consumer<ByteBuffer> sink) {
            ByteBuffer block = BLOCKS.get();
            while (len > 0) {
                long index = off / BLOCK;
                int at = (int) (off % BLOCK);
                int n = (int) Math.min(len, BLOCK - at);
                block.putLong(0, seed).putLong(8, index);
                sink.accept(block.slice(at, n));
                off += n;
                len -= n;
            }
        }

        public void write(WritableByteChannel ch, long off, long len) throws IOException {
            try {
                forEach(off, len, b -> {
                    try {
                        while (b.hasRemaining()) {
                            ch.write(b);
                        }
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                });
            } catch (UncheckedIOException e) {
                throw e.getCause();
            }
        }
    }

    static final class Bytes implements Content {
        final byte[] bytes;
        final String digest;

        Bytes(byte[] bytes) {
            this.bytes = bytes;
            this.digest = "sha256:" + HexFormat.of().formatHex(sha256().digest(bytes));
        }

        Bytes(String s) {
            this(s.getBytes(StandardCharsets.UTF_8));
        }

        public long size() {
            return bytes.length;
        }

        public String digest() {
            return digest;
        }

        public void write(WritableByteChannel ch, long off, long len) throws IOException {
            ByteBuffer b = ByteBuffer.wrap(bytes, (int) off, (int) len);
            while (b.hasRemaining()) {
                ch.write(b);
            }
        }
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
    static final String ACCEPT = OCI_MANIFEST + ", application/vnd.oci.image.index.v1+json, "
            + "application/vnd.docker.distribution.manifest.v2+json, "
            + "application/vnd.docker.distribution.manifest.list.v2+json";

    /** An image: a config blob, layers and the manifest that names them. */
    static final class Image {
        final String name;
        final Content config;
        final List<Content> layers;
        final Bytes manifest;

        Image(String name, List<Content> layers, String annotation) {
            this.name = name;
            this.layers = layers;
            String diffIds = layers.stream().map(l -> "\"" + l.digest() + "\"").collect(Collectors.joining(","));
            this.config = new Bytes("{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{},\"rootfs\":{\"type\":"
                    + "\"layers\",\"diff_ids\":[" + diffIds + "]},\"comment\":\"bollard-bench " + name + "\"}");
            this.manifest = new Bytes(manifestJson(config, layers, annotation));
        }

        long bytes() {
            return layers.stream().mapToLong(Content::size).sum() + config.size() + manifest.size();
        }
    }

    static String manifestJson(Content config, List<Content> layers, String annotation) {
        StringBuilder sb = new StringBuilder(256 + 160 * layers.size());
        sb.append("{\"schemaVersion\":2,\"mediaType\":\"").append(OCI_MANIFEST).append("\",\"config\":{\"mediaType\":")
                .append("\"application/vnd.oci.image.config.v1+json\",\"digest\":\"").append(config.digest())
                .append("\",\"size\":").append(config.size()).append("},\"layers\":[");
        for (int i = 0; i < layers.size(); i++) {
            Content l = layers.get(i);
            sb.append(i == 0 ? "" : ",").append("{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"")
                    .append(l.digest()).append("\",\"size\":").append(l.size()).append('}');
        }
        sb.append(']');
        if (annotation != null) {
            sb.append(",\"annotations\":{\"dev.bollard.bench\":\"").append(annotation).append("\"}");
        }
        return sb.append('}').toString();
    }

    // ---------------------------------------------------------------------------------------------------------
    // A minimal blocking HTTP/1.1 client with keep-alive: Content-Length and chunked bodies, streamed.

    static final class Resp {
        int status;
        final Map<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        long bodyBytes;
        byte[] body;

        String header(String name) {
            return headers.get(name);
        }

        String text() {
            return body == null ? "" : new String(body, StandardCharsets.UTF_8);
        }
    }

    interface Sink {
        void accept(ByteBuffer b);
    }

    static final Sink DISCARD = b -> { };

    static final class Collect implements Sink {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();

        public void accept(ByteBuffer b) {
            byte[] a = new byte[b.remaining()];
            b.get(a);
            out.writeBytes(a);
        }
    }

    static final class Hash implements Sink {
        final MessageDigest md = sha256();

        public void accept(ByteBuffer b) {
            md.update(b);
        }

        String digest() {
            return "sha256:" + HexFormat.of().formatHex(md.digest());
        }
    }

    static final class BenchException extends RuntimeException {
        BenchException(String message) {
            super(message);
        }
    }

    /**
     * The {@code Authorization} header the client sends to a server started with access control (by port): every
     * request of the push, pull and metadata workloads carries it, as clients logged in with Basic credentials do.
     */
    static final Map<Integer, String> CREDENTIALS = new java.util.concurrent.ConcurrentHashMap<>();

    static final class Http implements Closeable {
        final int port;
        private SocketChannel ch;
        private final ByteBuffer in = ByteBuffer.allocateDirect(256 * 1024);
        private final StringBuilder line = new StringBuilder();

        Http(int port) {
            this.port = port;
        }

        void connect() throws IOException {
            if (ch == null || !ch.isOpen()) {
                ch = SocketChannel.open();
                ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
                ch.connect(new InetSocketAddress("127.0.0.1", port));
                in.clear().flip();
            }
        }

        Resp send(String method, String target, Content body, long off, long len, Sink sink, String... headers)
                throws IOException {
            connect();
            StringBuilder sb = new StringBuilder(256).append(method).append(' ').append(target)
                    .append(" HTTP/1.1\r\nHost: 127.0.0.1:").append(port).append("\r\nUser-Agent: bollard-bench\r\n");
            boolean authorized = false;
            for (int i = 0; i < headers.length; i += 2) {
                sb.append(headers[i]).append(": ").append(headers[i + 1]).append("\r\n");
                authorized |= headers[i].equalsIgnoreCase("Authorization");
            }
            String credentials = CREDENTIALS.get(port);
            if (!authorized && credentials != null) {
                sb.append("Authorization: ").append(credentials).append("\r\n");
            }
            if (body != null) {
                sb.append("Content-Length: ").append(len).append("\r\n");
            } else if (method.equals("PUT") || method.equals("POST") || method.equals("PATCH")) {
                sb.append("Content-Length: 0\r\n");
            }
            byte[] head = sb.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1);
            if (body instanceof Bytes b && len <= 64 * 1024) {
                ByteBuffer all = ByteBuffer.allocate(head.length + (int) len).put(head).put(b.bytes, (int) off, (int) len)
                        .flip();
                writeFully(all);
            } else {
                writeFully(ByteBuffer.wrap(head));
                if (body != null) {
                    body.write(ch, off, len);
                }
            }
            return read(method.equals("HEAD"), sink);
        }

        /** Other servers this connection was redirected to (S3), one kept-alive connection each. */
        private final Map<Integer, Http> redirects = new LinkedHashMap<>();

        /** GET of an absolute http://127.0.0.1:PORT/... URL (a redirect's Location), on a connection kept for its port. */
        Resp follow(String location, Sink sink) throws IOException {
            if (location == null || !location.startsWith("http://127.0.0.1:")) {
                throw new BenchException("redirect to " + location + ", not to a loopback http URL");
            }
            String rest = location.substring("http://127.0.0.1:".length());
            int slash = rest.indexOf('/');
            int to = Integer.parseInt(rest.substring(0, slash));
            return redirects.computeIfAbsent(to, Http::new).send("GET", rest.substring(slash), null, 0, 0, sink);
        }

        Resp send(String method, String target, String... headers) throws IOException {
            Collect c = new Collect();
            Resp r = send(method, target, null, 0, 0, c, headers);
            r.body = c.out.toByteArray();
            return r;
        }

        Resp sendBytes(String method, String target, Bytes body, String... headers) throws IOException {
            Collect c = new Collect();
            Resp r = send(method, target, body, 0, body.size(), c, headers);
            r.body = c.out.toByteArray();
            return r;
        }

        private void writeFully(ByteBuffer b) throws IOException {
            while (b.hasRemaining()) {
                ch.write(b);
            }
        }

        private Resp read(boolean head, Sink sink) throws IOException {
            Resp r = new Resp();
            do {
                r.headers.clear();
                String status = readLine();
                if (!status.startsWith("HTTP/1.")) {
                    throw new IOException("bad status line: " + status);
                }
                r.status = Integer.parseInt(status.substring(9, 12));
                for (String h = readLine(); !h.isEmpty(); h = readLine()) {
                    int c = h.indexOf(':');
                    if (c > 0) {
                        r.headers.put(h.substring(0, c).trim(), h.substring(c + 1).trim());
                    }
                }
            } while (r.status / 100 == 1);
            boolean close = "close".equalsIgnoreCase(r.header("Connection"));
            String te = r.header("Transfer-Encoding");
            String cl = r.header("Content-Length");
            if (head || r.status == 204 || r.status == 304) {
                r.bodyBytes = 0;
            } else if (te != null && te.toLowerCase(Locale.ROOT).contains("chunked")) {
                for (long size; (size = Long.parseLong(readLine().split(";")[0].trim(), 16)) > 0; ) {
                    r.bodyBytes += readN(size, sink);
                    readLine();
                }
                while (!readLine().isEmpty()) {
                    // trailers
                }
            } else if (cl != null) {
                r.bodyBytes = readN(Long.parseLong(cl), sink);
            } else {
                r.bodyBytes = readN(Long.MAX_VALUE, sink);
                close = true;
            }
            if (close) {
                close();
            }
            return r;
        }

        private boolean fill() throws IOException {
            in.clear();
            int n = ch.read(in);
            in.flip();
            return n >= 0;
        }

        private String readLine() throws IOException {
            line.setLength(0);
            while (true) {
                if (!in.hasRemaining() && !fill()) {
                    throw new EOFException("connection closed by the server");
                }
                byte b = in.get();
                if (b == '\n') {
                    int n = line.length();
                    if (n > 0 && line.charAt(n - 1) == '\r') {
                        line.setLength(n - 1);
                    }
                    return line.toString();
                }
                line.append((char) (b & 0xff));
            }
        }

        private long readN(long n, Sink sink) throws IOException {
            long got = 0;
            while (got < n) {
                if (!in.hasRemaining() && !fill()) {
                    if (n == Long.MAX_VALUE) {
                        return got;
                    }
                    throw new EOFException("body ended after " + got + " of " + n + " bytes");
                }
                int k = (int) Math.min(n - got, in.remaining());
                ByteBuffer slice = in.slice(in.position(), k);
                sink.accept(slice);
                in.position(in.position() + k);
                got += k;
            }
            return got;
        }

        @Override
        public void close() {
            redirects.values().forEach(Http::close);
            redirects.clear();
            if (ch != null) {
                try {
                    ch.close();
                } catch (IOException ignored) {
                    // closing
                }
                ch = null;
            }
        }
    }

    /**
     * What a client logged in to the server sends on a pull: nothing without access control; for Bollard, a bearer
     * token for {@code scope} fetched now (with the Basic credentials, as docker does); for Distribution's
     * htpasswd, the Basic credentials themselves.
     */
    static String authorization(Server s, String scope) throws IOException {
        String credentials = CREDENTIALS.get(s.port);
        if (credentials == null || !s.kind.equals(BOLLARD)) {
            return credentials;
        }
        try (Http h = new Http(s.port)) {
            Resp r = expect(h.send("GET", "/v2/auth?service=bollard&scope=" + scope), 200, "token request");
            return "Bearer " + field(new String(r.body, StandardCharsets.UTF_8), "token");
        }
    }

    /** A string field of a flat JSON object (the API's answers here), crudely: no escapes in the values. */
    static String field(String json, String name) {
        int at = json.indexOf("\"" + name + "\"");
        if (at < 0) {
            throw new BenchException("no " + name + " in " + json);
        }
        int start = json.indexOf('"', json.indexOf(':', at) + 1) + 1;
        return json.substring(start, json.indexOf('"', start));
    }

    static List<String> jvmDefaultsOrEmpty() {
        try {
            return Server.jvmDefaults();
        } catch (Exception e) {
            return List.of("(" + e.getMessage() + ")");
        }
    }

    static String basic(String user, String secret) {
        return "Basic " + java.util.Base64.getEncoder().encodeToString((user + ":" + secret)
                .getBytes(StandardCharsets.UTF_8));
    }

    static Resp expect(Resp r, int status, String what) {
        if (r.status != status) {
            throw new BenchException(what + ": expected " + status + ", got " + r.status + " "
                    + (r.body == null ? "" : new String(r.body, 0, Math.min(r.body.length, 300), StandardCharsets.UTF_8)));
        }
        return r;
    }

    static String pathOf(String location) {
        if (location == null) {
            throw new BenchException("response without Location");
        }
        if (location.startsWith("http://") || location.startsWith("https://")) {
            int slash = location.indexOf('/', location.indexOf("//") + 2);
            return slash < 0 ? "/" : location.substring(slash);
        }
        return location;
    }

    static String withDigest(String location, String digest) {
        String p = pathOf(location);
        return p + (p.contains("?") ? "&" : "?") + "digest=" + digest;
    }

    // ---------------------------------------------------------------------------------------------------------
    // The registry operations the workloads are made of.

    static void uploadBlob(Http h, String repo, Content c, boolean chunked, long chunk) throws IOException {
        String d = c.digest();
        Resp r = h.send("HEAD", "/v2/" + repo + "/blobs/" + d);
        if (r.status == 200) {
            return; // already there (never the case in these workloads: every blob is new)
        }
        expect(r, 404, "HEAD blob " + d);
        r = expect(h.send("POST", "/v2/" + repo + "/blobs/uploads/"), 202, "POST upload in " + repo);
        String loc = r.header("Location");
        if (!chunked) {
            r = h.send("PUT", withDigest(loc, d), c, 0, c.size(), DISCARD, "Content-Type", "application/octet-stream");
        } else {
            long off = 0;
            while (off < c.size()) {
                long n = Math.min(chunk, c.size() - off);
                r = h.send("PATCH", pathOf(loc), c, off, n, DISCARD, "Content-Type", "application/octet-stream",
                        "Content-Range", off + "-" + (off + n - 1));
                expect(r, 202, "PATCH chunk at " + off + " of " + d);
                loc = r.header("Location");
                off += n;
            }
            r = h.send("PUT", withDigest(loc, d), null, 0, 0, DISCARD);
        }
        expect(r, 201, "PUT upload of " + d);
        if (!d.equals(r.header("Docker-Content-Digest"))) {
            throw new BenchException("upload of " + d + " answered digest " + r.header("Docker-Content-Digest"));
        }
    }

    static void putManifest(Http h, String repo, String tag, Bytes manifest) throws IOException {
        Resp r = expect(h.sendBytes("PUT", "/v2/" + repo + "/manifests/" + tag, manifest, "Content-Type", OCI_MANIFEST),
                201, "PUT manifest " + repo + ":" + tag);
        if (!manifest.digest().equals(r.header("Docker-Content-Digest"))) {
            throw new BenchException("manifest digest " + manifest.digest() + " answered as " + r.header("Docker-Content-Digest"));
        }
    }

    /** Runs {@code task} over {@code items} on {@code conns} connections, each on its own thread. */
    static <T> void parallel(int port, int conns, List<T> items, IoTask<T> task) throws Exception {
        AtomicInteger next = new AtomicInteger();
        AtomicBoolean failed = new AtomicBoolean();
        ExecutorService pool = Executors.newFixedThreadPool(conns);
        try {
            List<Future<Void>> fs = new ArrayList<>();
            for (int i = 0; i < conns; i++) {
                fs.add(pool.submit(() -> {
                    try (Http h = new Http(port)) {
                        for (int k; !failed.get() && (k = next.getAndIncrement()) < items.size(); ) {
                            task.run(h, items.get(k));
                        }
                    } catch (Exception e) {
                        failed.set(true);
                        throw e;
                    }
                    return null;
                }));
            }
            for (Future<Void> f : fs) {
                f.get();
            }
        } catch (java.util.concurrent.ExecutionException e) {
            throw e.getCause() instanceof Exception ex ? ex : e;
        } finally {
            pool.shutdownNow();
        }
    }

    interface IoTask<T> {
        void run(Http h, T item) throws Exception;
    }

    /** Pushes an image as a client does: layers and config in parallel (HEAD, POST, PUT or PATCHes+PUT), then the manifest. */
    static double push(Server s, Image img, String tag, boolean chunked, long chunk, int conns) throws Exception {
        List<Content> blobs = new ArrayList<>(img.layers);
        blobs.add(img.config);
        long t0 = System.nanoTime();
        parallel(s.port, Math.min(conns, blobs.size()), blobs, (h, c) -> uploadBlob(h, img.name, c, chunked, chunk));
        try (Http h = new Http(s.port)) {
            putManifest(h, img.name, tag, img.manifest);
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        return img.bytes() / MB / secs;
    }

    /** Pulls an image: manifest by tag, then config and layers in parallel; checks sizes (and digests when verifying). */
    static double pull(Server s, Image img, String tag, int conns, boolean verify) throws Exception {
        List<Content> blobs = new ArrayList<>(img.layers);
        blobs.add(img.config);
        long t0 = System.nanoTime();
        try (Http h = new Http(s.port)) {
            Resp r = expect(h.send("GET", "/v2/" + img.name + "/manifests/" + tag, "Accept", ACCEPT), 200, "GET manifest");
            if (!Arrays.equals(r.body, img.manifest.bytes)) {
                throw new BenchException("manifest of " + img.name + ":" + tag + " differs from the one pushed");
            }
        }
        parallel(s.port, Math.min(conns, blobs.size()), blobs, (h, c) -> getBlob(h, img.name, c, verify));
        double secs = (System.nanoTime() - t0) / 1e9;
        return img.bytes() / MB / secs;
    }

    static void getBlob(Http h, String repo, Content c, boolean verify) throws IOException {
        Hash hash = verify ? new Hash() : null;
        Resp r = h.send("GET", "/v2/" + repo + "/blobs/" + c.digest(), null, 0, 0, verify ? hash : DISCARD);
        if (r.status == 307 || r.status == 302) {
            // Redirected to the storage (S3): the download itself comes from there, as clients follow it.
            hash = verify ? new Hash() : null;
            r = h.follow(r.header("Location"), verify ? hash : DISCARD);
        }
        expect(r, 200, "GET blob " + c.digest());
        if (r.bodyBytes != c.size()) {
            throw new BenchException("blob " + c.digest() + ": " + r.bodyBytes + " bytes, expected " + c.size());
        }
        if (verify && !hash.digest().equals(c.digest())) {
            throw new BenchException("blob " + c.digest() + " came back with digest " + hash.digest());
        }
    }

    /** {@code n} clients start together and each GETs the same blob once; aggregate MB/s. */
    static double parallelPull(Server s, String repo, Content blob, int n) throws Exception {
        double secs = together(s.port, n, (h, client) -> getBlob(h, repo, blob, false));
        return n * blob.size() / MB / secs;
    }

    /** {@code n} clients, each on its own connection, start {@code task} together; seconds until the last is done. */
    static double together(int port, int n, IoTask<Integer> task) throws Exception {
        CyclicBarrier start = new CyclicBarrier(n + 1);
        ExecutorService pool = Executors.newFixedThreadPool(n);
        try {
            List<Future<Void>> fs = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                int client = i;
                fs.add(pool.submit(() -> {
                    try (Http h = new Http(port)) {
                        h.connect();
                        start.await();
                        task.run(h, client);
                    }
                    return null;
                }));
            }
            start.await();
            long t0 = System.nanoTime();
            for (Future<Void> f : fs) {
                f.get();
            }
            return (System.nanoTime() - t0) / 1e9;
        } finally {
            pool.shutdownNow();
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Manifest load: a closed-loop load generator on a selector, one request in flight per connection (like wrk).

    record LoadResult(long count, long errors, double seconds, double rps, double p50, double p90, double p99,
                      double max) {
    }

    /** One request of a load cycle: what is sent ({@code authorization} may be null) and the status expected. */
    record Ask(String method, String path, String authorization, int expect) {
        byte[] bytes(int port) {
            return (method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nUser-Agent: bollard-bench\r\n"
                    + "Accept: " + ACCEPT + "\r\n" + (authorization == null ? "" : "Authorization: " + authorization + "\r\n")
                    + "\r\n").getBytes(StandardCharsets.ISO_8859_1);
        }
    }

    static LoadResult load(int port, String method, String path, int conns, double warmup, double seconds)
            throws Exception {
        return load(port, List.of(new Ask(method, path, CREDENTIALS.get(port), 200)), conns, warmup, seconds);
    }

    /**
     * Each connection sends the requests of {@code cycle} in turn, one in flight at a time; a response with another
     * status than its request expects is an error. Counts and latencies are per request.
     */
    static LoadResult load(int port, List<Ask> cycle, int conns, double warmup, double seconds) throws Exception {
        int threads = Math.max(1, Math.min(conns, O.loadThreads));
        long now = System.nanoTime();
        long from = now + (long) (warmup * 1e9);
        long until = from + (long) (seconds * 1e9);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<LoadWorker>> fs = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int mine = conns / threads + (t < conns % threads ? 1 : 0);
                LoadWorker w = new LoadWorker(port, cycle, mine, from, until);
                fs.add(pool.submit(w));
            }
            long count = 0;
            long errors = 0;
            List<long[]> lats = new ArrayList<>();
            for (Future<LoadWorker> f : fs) {
                LoadWorker w = f.get();
                count += w.count;
                errors += w.errors;
                lats.add(Arrays.copyOf(w.lat, w.n));
            }
            long[] all = lats.stream().flatMapToLong(Arrays::stream).sorted().toArray();
            double secs = seconds;
            return new LoadResult(count, errors, secs, count / secs, pct(all, 50), pct(all, 90), pct(all, 99),
                    all.length == 0 ? Double.NaN : all[all.length - 1] / 1e6);
        } finally {
            pool.shutdownNow();
        }
    }

    static double pct(long[] sorted, double p) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int i = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))] / 1e6;
    }

    static final class LoadWorker implements Callable<LoadWorker> {
        final int port;
        final byte[][] reqs;
        final boolean[] heads;
        final int[] expects;
        final int conns;
        final long from;
        final long until;
        long count;
        long errors;
        long[] lat = new long[1 << 16];
        int n;

        LoadWorker(int port, List<Ask> cycle, int conns, long from, long until) {
            this.port = port;
            this.reqs = cycle.stream().map(a -> a.bytes(port)).toArray(byte[][]::new);
            this.heads = new boolean[cycle.size()];
            this.expects = new int[cycle.size()];
            for (int i = 0; i < cycle.size(); i++) {
                heads[i] = cycle.get(i).method().equals("HEAD");
                expects[i] = cycle.get(i).expect();
            }
            this.conns = conns;
            this.from = from;
            this.until = until;
        }

        final class Conn {
            SocketChannel ch;
            SelectionKey key;
            ByteBuffer out;
            int step = -1;
            final ByteBuffer in = ByteBuffer.allocate(64 * 1024);
            long sentAt;
            boolean inBody;
            long remaining;
            int status;
            boolean close;
        }

        @Override
        public LoadWorker call() throws Exception {
            try (Selector sel = Selector.open()) {
                List<Conn> cs = new ArrayList<>();
                for (int i = 0; i < conns; i++) {
                    Conn c = new Conn();
                    open(sel, c);
                    cs.add(c);
                }
                for (Conn c : cs) {
                    send(c);
                }
                while (System.nanoTime() < until) {
                    sel.select(20);
                    Iterator<SelectionKey> it = sel.selectedKeys().iterator();
                    while (it.hasNext()) {
                        SelectionKey k = it.next();
                        it.remove();
                        Conn c = (Conn) k.attachment();
                        if (!k.isValid()) {
                            continue;
                        }
                        if (k.isWritable()) {
                            c.ch.write(c.out);
                            if (!c.out.hasRemaining()) {
                                k.interestOps(SelectionKey.OP_READ);
                            }
                        } else if (k.isReadable()) {
                            onRead(sel, c);
                        }
                    }
                }
                for (Conn c : cs) {
                    c.ch.close();
                }
            }
            return this;
        }

        private void open(Selector sel, Conn c) throws IOException {
            c.ch = SocketChannel.open();
            c.ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
            c.ch.connect(new InetSocketAddress("127.0.0.1", port));
            c.ch.configureBlocking(false);
            c.key = c.ch.register(sel, SelectionKey.OP_READ, c);
        }

        private void send(Conn c) throws IOException {
            c.step = (c.step + 1) % reqs.length;
            c.out = ByteBuffer.wrap(reqs[c.step]);
            c.in.clear();
            c.inBody = false;
            c.sentAt = System.nanoTime();
            c.ch.write(c.out);
            c.key.interestOps(c.out.hasRemaining() ? SelectionKey.OP_WRITE : SelectionKey.OP_READ);
        }

        private void onRead(Selector sel, Conn c) throws IOException {
            int got;
            try {
                got = c.ch.read(c.in);
            } catch (IOException e) {
                got = -1;
            }
            if (got < 0) {
                errors++;
                c.ch.close();
                open(sel, c);
                c.step = -1; // a new connection starts its cycle again
                send(c);
                return;
            }
            boolean head = heads[c.step];
            if (!c.inBody) {
                byte[] a = c.in.array();
                int end = -1;
                for (int i = 3; i < c.in.position(); i++) {
                    if (a[i] == '\n' && a[i - 1] == '\r' && a[i - 2] == '\n' && a[i - 3] == '\r') {
                        end = i + 1;
                        break;
                    }
                }
                if (end < 0) {
                    if (!c.in.hasRemaining()) {
                        throw new BenchException("response header larger than 64 KiB");
                    }
                    return;
                }
                String h = new String(a, 0, end, StandardCharsets.ISO_8859_1);
                c.status = Integer.parseInt(h.substring(9, 12));
                long cl = -1;
                c.close = false;
                for (String line : h.split("\r\n")) {
                    int colon = line.indexOf(':');
                    if (colon < 0) {
                        continue;
                    }
                    String name = line.substring(0, colon);
                    if (name.equalsIgnoreCase("Content-Length")) {
                        cl = Long.parseLong(line.substring(colon + 1).trim());
                    } else if (name.equalsIgnoreCase("Transfer-Encoding")) {
                        throw new BenchException("chunked manifest response: not expected");
                    } else if (name.equalsIgnoreCase("Connection") && line.toLowerCase(Locale.ROOT).contains("close")) {
                        c.close = true;
                    }
                }
                if (cl < 0 && !head) {
                    throw new BenchException("manifest response without Content-Length");
                }
                c.remaining = (head ? 0 : cl) - (c.in.position() - end);
                c.inBody = true;
                c.in.clear();
            } else {
                c.remaining -= got;
                c.in.clear();
            }
            if (c.remaining < 0) {
                throw new BenchException("more bytes than the response's Content-Length");
            }
            if (c.remaining == 0) {
                long now = System.nanoTime();
                if (now >= from && now < until) {
                    count++;
                    if (c.status != expects[c.step]) {
                        errors++;
                    }
                    if (n == lat.length) {
                        lat = Arrays.copyOf(lat, n * 2);
                    }
                    lat[n++] = now - c.sentAt;
                } else if (c.status != expects[c.step]) {
                    errors++;
                }
                if (c.close) {
                    c.ch.close();
                    open(sel, c);
                    c.step = -1;
                }
                if (now < until) {
                    send(c);
                }
            }
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Servers: started by this client in fresh directories, on free loopback ports.

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    static final class Server {
        final String kind;
        final Path dir;
        final int port;
        final Process proc;
        final long pid;
        final double startupMs;
        private boolean stopped;

        final Path log;

        final boolean auth;
        /** {bucket, jdbc url} with --backend pg-s3, else null. */
        final String[] backing;

        private Server(String kind, Path dir, int port, Process proc, double startupMs, Path log, boolean auth,
                       String[] backing) {
            this.auth = auth;
            this.backing = backing;
            this.log = log;
            this.kind = kind;
            this.dir = dir;
            this.port = port;
            this.proc = proc;
            this.pid = proc.pid();
            this.startupMs = startupMs;
        }

        /** The run's servers: Bollard with access control when --bollard-auth is on, Distribution without. */
        static Server start(String kind, Path dir) throws Exception {
            return start(kind, dir, kind.equals(BOLLARD) && O.bollardAuth);
        }

        /**
         * {@code auth}: Bollard as users run it (access control, access log, the JVM settings ./bollard serve picks,
         * a superuser {@link #USER} whose Basic credentials the client sends), Distribution with htpasswd (bcrypt)
         * for the same user. Otherwise both without authentication or access log, Bollard with -Xmx512m as before.
         */
        static Server start(String kind, Path dir, boolean auth) throws Exception {
            return start(kind, dir, auth, O.backend.equals("pg-s3") ? Backing.get().fresh(kind) : null);
        }

        /** The same registry again, on the data it has (its directory, database and bucket). */
        Server restart() throws Exception {
            stop();
            return start(kind, dir, auth, backing);
        }

        /** Where its blobs are: the data directory, or its bucket's directory in S3Proxy. */
        Path blobs() throws Exception {
            return backing == null ? dir.resolve("data") : Backing.get().dir.resolve("s3/blobs").resolve(backing[0]);
        }

        static Server start(String kind, Path dir, boolean auth, String[] backing) throws Exception {
            return start(kind, dir, auth, backing, Map.of());
        }

        /** {@code env}: more environment for the server (settings a workload needs), after the harness's own. */
        static Server start(String kind, Path dir, boolean auth, String[] backing, Map<String, String> env)
                throws Exception {
            return start(kind, dir, auth, backing, env, null);
        }

        /**
         * {@code tls}: the server's certificate chain and key (PEM), to serve HTTPS instead of plain HTTP (the tls
         * group); null: plain HTTP as every other group.
         */
        static Server start(String kind, Path dir, boolean auth, String[] backing, Map<String, String> env, Path[] tls)
                throws Exception {
            Files.createDirectories(dir);
            int port = freePort();
            Path data = dir.resolve("data");
            List<String> cmd = new ArrayList<>();
            if (kind.equals(BOLLARD)) {
                cmd.add(O.java);
                if (auth) {
                    cmd.addAll(jvmDefaults());
                }
                if (!auth) {
                    cmd.add("-Xmx512m");
                }
                cmd.add("-XX:+ExitOnOutOfMemoryError");
                aotCache().ifPresent(cache -> cmd.add("-XX:AOTCache=" + cache));
                for (String opt : O.bollardOpts.trim().split("\\s+")) {
                    if (!opt.isEmpty()) {
                        cmd.add(opt);
                    }
                }
                cmd.addAll(List.of("-jar", O.jar.toString(), "serve", "--listen", "127.0.0.1:" + port, "--data",
                        data.toString()));
            } else {
                Path cfg = dir.resolve("config.yml");
                String config = backing == null ? distributionConfig(data, port) : distributionS3Config(backing[0], port);
                if (tls != null) { // under http:, the configuration's last section
                    config += "  tls:\n    certificate: " + tls[0] + "\n    key: " + tls[1] + "\n";
                }
                if (auth) {
                    Path htpasswd = dir.resolve("htpasswd");
                    Files.writeString(htpasswd, USER + ":" + bcrypt(PASSWORD) + "\n");
                    config += "auth:\n  htpasswd:\n    realm: bench\n    path: " + htpasswd + "\n";
                }
                Files.writeString(cfg, config);
                cmd.addAll(List.of(O.distribution, "serve", cfg.toString()));
            }
            Path log = dir.resolve("server.log");
            for (int i = 2; Files.exists(log); i++) {
                log = dir.resolve("server-" + i + ".log"); // a restart keeps the earlier log
            }
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
            for (String v : List.of("BOLLARD_JAVA_OPTS", "JAVA_OPTS", "JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS")) {
                pb.environment().remove(v);
            }
            if (backing != null && kind.equals(BOLLARD)) {
                Backing.get().bollardEnv(backing, pb.environment());
                if (!O.s3Redirect.equals("default")) {
                    pb.environment().put("BOLLARD_STORAGE_S3_REDIRECT", String.valueOf(O.s3Redirect.equals("on")));
                }
            } else if (backing != null) {
                pb.environment().remove("AWS_CA_BUNDLE"); // Distribution's S3 driver panics when it is set
            }
            if (kind.equals(BOLLARD) && auth) {
                pb.environment().put("MALLOC_ARENA_MAX", "2"); // as ./bollard serve sets it
                // A fresh registry has no account: its first start creates the superuser admin (later starts ignore it).
                pb.environment().put("BOLLARD_ADMIN_PASSWORD", PASSWORD);
            } else if (kind.equals(BOLLARD)) {
                // Like for like: Distribution runs here without authentication and without an access log.
                pb.environment().put("BOLLARD_AUTH_ENABLED", "false");
                pb.environment().put("BOLLARD_ACCESS_LOG", "OFF");
            }
            if (tls != null && kind.equals(BOLLARD)) {
                pb.environment().put("BOLLARD_SERVER_TLS_CERTIFICATE", tls[0].toString());
                pb.environment().put("BOLLARD_SERVER_TLS_PRIVATE_KEY", tls[1].toString());
            }
            pb.environment().putAll(env);
            long t0 = System.nanoTime();
            Process p = pb.start();
            Files.writeString(O.work.resolve("pids"), p.pid() + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            Server s;
            try {
                waitReady(p, port, log, tls != null);
                s = new Server(kind, dir, port, p, (System.nanoTime() - t0) / 1e6, log, auth, backing);
            } catch (Exception e) {
                p.destroyForcibly();
                throw e;
            }
            LIVE.add(s);
            if (auth) {
                CREDENTIALS.put(port, basic(USER, PASSWORD));
            } else {
                CREDENTIALS.remove(port);
            }
            return s;
        }

        /** The superuser BOLLARD_ADMIN_PASSWORD creates (and the same user in Distribution's htpasswd). */
        static final String USER = "admin";
        static final String PASSWORD = "bench-password-not-a-secret";

        /** The JVM options ./bollard serve adds by default (scripts/jvm-defaults.sh), for this machine. */
        static List<String> jvmDefaults() throws Exception {
            ProcessBuilder pb = new ProcessBuilder("bash", O.root.resolve("scripts/jvm-defaults.sh").toString());
            for (String v : List.of("BOLLARD_JAVA_OPTS", "JAVA_OPTS", "JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS")) {
                pb.environment().remove(v);
            }
            Process p = pb.redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (p.waitFor() != 0) {
                throw new BenchException("scripts/jvm-defaults.sh failed: " + out);
            }
            return out.lines().filter(l -> !l.isBlank()).toList();
        }

        /** A bcrypt hash as `htpasswd -B` makes it (cost 5), by the Bouncy Castle classes inside Bollard's jar. */
        static String bcrypt(String password) throws Exception {
            byte[] salt = new byte[16];
            new java.security.SecureRandom().nextBytes(salt);
            try (java.net.URLClassLoader cl = new java.net.URLClassLoader(new java.net.URL[] {O.jar.toUri().toURL()})) {
                Class<?> c = cl.loadClass("org.bouncycastle.crypto.generators.OpenBSDBCrypt");
                return (String) c.getMethod("generate", String.class, char[].class, byte[].class, int.class)
                        .invoke(null, "2a", password.toCharArray(), salt, 5);
            }
        }

        static String distributionConfig(Path data, int port) {
            // As Debian ships it (filesystem storage, in-memory blob descriptor cache, deletes enabled), minus
            // per-request logging (Bollard logs no access lines either) and the storage health check.
            return distributionConfig("""
                      filesystem:
                        rootdirectory: %s
                    """.formatted(data), port);
        }

        /** The same on S3Proxy's endpoint (its s3 driver; blob GETs redirect to S3 unless --s3-redirect off). */
        static String distributionS3Config(String bucket, int port) throws Exception {
            return distributionConfig("""
                      s3:
                        accesskey: %s
                        secretkey: %s
                        region: us-east-1
                        regionendpoint: %s
                        bucket: %s
                        secure: false
                        v4auth: true
                      redirect:
                        disable: %s
                    """.formatted(Backing.S3_ACCESS, Backing.S3_SECRET, Backing.get().endpoint(), bucket,
                    O.s3Redirect.equals("off")), port);
        }

        /** Distribution's configuration around its storage driver's lines ({@code storage}'s children). */
        static String distributionConfig(String driver, int port) {
            return """
                    version: 0.1
                    log:
                      level: warn
                      accesslog:
                        disabled: true
                    storage:
                    %s  delete:
                        enabled: true
                      cache:
                        blobdescriptor: inmemory
                    http:
                      addr: 127.0.0.1:%d
                      secret: bollard-bench-not-a-secret
                    """.formatted(driver, port);
        }

        /**
         * An unconnected TLS socket that trusts any certificate: only for the readiness poll of a server of the tls
         * group (the measured client, skopeo, verifies the certificate against the group's CA).
         */
        static Socket trustingTls() throws Exception {
            javax.net.ssl.SSLContext context = javax.net.ssl.SSLContext.getInstance("TLS");
            context.init(null, new javax.net.ssl.TrustManager[] {new javax.net.ssl.X509TrustManager() {
                @Override
                public void checkClientTrusted(java.security.cert.X509Certificate[] chain, String authType) {
                }

                @Override
                public void checkServerTrusted(java.security.cert.X509Certificate[] chain, String authType) {
                }

                @Override
                public java.security.cert.X509Certificate[] getAcceptedIssuers() {
                    return new java.security.cert.X509Certificate[0];
                }
            }}, null);
            return context.getSocketFactory().createSocket();
        }

        /** Polls GET /v2/ every 5 ms until it answers 200 (401 with authentication). */
        static void waitReady(Process p, int port, Path log, boolean tls) throws Exception {
            long deadline = System.nanoTime() + 90_000_000_000L;
            byte[] req = ("GET /v2/ HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1);
            while (System.nanoTime() < deadline) {
                if (!p.isAlive()) {
                    throw new BenchException("server exited with " + exitText(p.exitValue()) + " before answering; log:\n"
                            + tail(log));
                }
                try (Socket s = tls ? trustingTls() : new Socket()) {
                    s.connect(new InetSocketAddress("127.0.0.1", port), 1000);
                    s.setSoTimeout(5000);
                    OutputStream out = s.getOutputStream();
                    out.write(req);
                    out.flush();
                    InputStream in = s.getInputStream();
                    byte[] b = new byte[12];
                    int n = in.readNBytes(b, 0, 12);
                    String status = new String(b, StandardCharsets.ISO_8859_1);
                    if (n == 12 && (status.endsWith("200") || status.endsWith("401"))) { // 401: ready, with auth
                        return;
                    }
                } catch (IOException notYet) {
                    // not listening yet
                }
                Thread.sleep(5);
            }
            throw new BenchException("server did not answer GET /v2/ within 90 s; log:\n" + tail(log));
        }

        String status(String field) {
            try {
                for (String l : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                    if (l.startsWith(field + ":")) {
                        return l.substring(field.length() + 1).trim();
                    }
                }
            } catch (IOException e) {
                return null;
            }
            return null;
        }

        /** Resident set size (or its high-water mark) in KiB, -1 when unreadable. */
        long kib(String field) {
            String v = status(field);
            return v == null ? -1 : Long.parseLong(v.split("\\s+")[0]);
        }

        /** Resets VmHWM to the current RSS (Linux >= 4.0); false when not allowed. */
        boolean resetPeak() {
            try {
                Files.writeString(Path.of("/proc/" + pid + "/clear_refs"), "5");
                return true;
            } catch (IOException e) {
                return false;
            }
        }

        long cpuTicks() {
            try {
                String s = Files.readString(Path.of("/proc/" + pid + "/stat"));
                String[] f = s.substring(s.lastIndexOf(')') + 2).split(" ");
                return Long.parseLong(f[11]) + Long.parseLong(f[12]);
            } catch (IOException | RuntimeException e) {
                return 0;
            }
        }

        void stop() {
            if (stopped) {
                return;
            }
            stopped = true;
            proc.destroy();
            try {
                if (!proc.waitFor(30, TimeUnit.SECONDS)) {
                    proc.destroyForcibly();
                    proc.waitFor(10, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                proc.destroyForcibly();
                Thread.currentThread().interrupt();
            }
            LIVE.remove(this);
        }

        void checkAlive() {
            if (!proc.isAlive()) {
                throw new BenchException(kind + " exited with " + exitText(proc.exitValue()) + "; log:\n" + tail(log));
            }
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // PostgreSQL + S3 (--backend pg-s3): one PostgreSQL (Debian's package, its default settings: fsync on) and one
    // S3Proxy (an S3 server keeping objects as files) for the whole benchmark; every server start gets a fresh
    // database and a fresh bucket. Both registries use the same S3 endpoint.

    static final class Backing {
        static final String S3_ACCESS = "bench-access";
        static final String S3_SECRET = "bench-secret-not-a-secret-0123456789";
        static Backing instance;

        final Path dir;
        final Path pgBin;
        final int pgPort;
        final int s3Port;
        final Process s3;
        final boolean asPostgres;
        final AtomicInteger names = new AtomicInteger();

        private Backing(Path dir, Path pgBin, int pgPort, int s3Port, Process s3, boolean asPostgres) {
            this.dir = dir;
            this.pgBin = pgBin;
            this.pgPort = pgPort;
            this.s3Port = s3Port;
            this.s3 = s3;
            this.asPostgres = asPostgres;
        }

        static synchronized Backing get() throws Exception {
            if (instance == null) {
                instance = start(O.work.resolve("backing"));
            }
            return instance;
        }

        static Backing start(Path dir) throws Exception {
            Files.createDirectories(dir);
            // PostgreSQL refuses to run as root: then it runs as the postgres user, who must reach its directory.
            boolean root = "root".equals(System.getProperty("user.name"));
            if (root) {
                for (Path p = dir; p != null && p.startsWith(O.work.getParent()); p = p.getParent()) {
                    sh("chmod", "o+x", p.toString());
                }
            }
            Path bin;
            try (var dirs = Files.list(Path.of("/usr/lib/postgresql"))) {
                bin = dirs.map(d -> d.resolve("bin")).filter(b -> Files.isExecutable(b.resolve("initdb")))
                        .max(Comparator.comparing(b -> Integer.parseInt(b.getParent().getFileName().toString())))
                        .orElseThrow(() -> new BenchException("no /usr/lib/postgresql/*/bin/initdb: apt-get install postgresql"));
            }
            Path pg = dir.resolve("pg");
            Files.createDirectories(pg);
            if (root) {
                sh("chown", "postgres:postgres", pg.toString());
            }
            // Loopback only, trust: a throw-away cluster of the benchmark. Otherwise PostgreSQL's defaults (fsync on).
            runPg(root, List.of(bin.resolve("initdb").toString(), "-D", pg.resolve("data").toString(), "-U", "postgres",
                    "--auth-local=trust", "--auth-host=trust", "-E", "UTF8", "--locale=C"));
            int pgPort = freePort();
            runPg(root, List.of(bin.resolve("pg_ctl").toString(), "-D", pg.resolve("data").toString(), "-l",
                    pg.resolve("postgres.log").toString(), "-o", "-p " + pgPort + " -k " + pg
                            + " -c listen_addresses=127.0.0.1 -c max_connections=300", "-w", "-t", "60", "start"));
            String pid = Files.readAllLines(pg.resolve("data/postmaster.pid")).get(0).trim();
            Files.writeString(O.work.resolve("pids"), pid + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);

            Path s3dir = Files.createDirectories(dir.resolve("s3"));
            Files.createDirectories(s3dir.resolve("blobs"));
            int s3Port = freePort();
            Path props = s3dir.resolve("s3proxy.properties");
            Files.writeString(props, String.join("\n",
                    "s3proxy.endpoint=http://127.0.0.1:" + s3Port,
                    "s3proxy.authorization=aws-v2-or-v4",
                    "s3proxy.identity=" + S3_ACCESS,
                    "s3proxy.credential=" + S3_SECRET,
                    "jclouds.provider=filesystem-nio2",
                    "jclouds.filesystem.basedir=" + s3dir.resolve("blobs"), ""));
            Path logback = s3dir.resolve("logback.xml");
            // S3Proxy logs every request at DEBUG by default, which slows it badly.
            Files.writeString(logback, """
                    <configuration><appender name="E" class="ch.qos.logback.core.ConsoleAppender"><encoder>
                    <pattern>%d %level %logger %msg%n</pattern></encoder></appender>
                    <root level="WARN"><appender-ref ref="E"/></root></configuration>
                    """);
            String cp = Files.readString(O.s3proxyClasspath).trim();
            Path log = s3dir.resolve("s3proxy.log");
            Process s3 = new ProcessBuilder(O.java, "-Xmx512m", "-Dlogback.configurationFile=" + logback, "-cp", cp,
                    "org.gaul.s3proxy.Main", "--properties", props.toString())
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start();
            Files.writeString(O.work.resolve("pids"), s3.pid() + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            long deadline = System.nanoTime() + 60_000_000_000L;
            while (true) {
                try (Socket sock = new Socket()) {
                    sock.connect(new InetSocketAddress("127.0.0.1", s3Port), 500);
                    break;
                } catch (IOException notYet) {
                    if (!s3.isAlive() || System.nanoTime() > deadline) {
                        throw new BenchException("S3Proxy did not start; log:\n" + tail(log));
                    }
                    Thread.sleep(50);
                }
            }
            Backing b = new Backing(dir, bin, pgPort, s3Port, s3, root);
            log("bench: PostgreSQL %s on :%d, S3Proxy on :%d (both for every server of this benchmark)",
                    bin.getParent().getFileName(), pgPort, s3Port);
            return b;
        }

        static void runPg(boolean root, List<String> cmd) throws Exception {
            List<String> full = new ArrayList<>();
            if (root) {
                full.addAll(List.of("runuser", "-u", "postgres", "--"));
            }
            full.addAll(cmd);
            Process p = new ProcessBuilder(full).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (p.waitFor() != 0) {
                throw new BenchException(String.join(" ", cmd) + " failed:\n" + out);
            }
        }

        static void sh(String... cmd) throws Exception {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (p.waitFor() != 0) {
                throw new BenchException(String.join(" ", cmd) + " failed: " + out);
            }
        }

        /** A fresh database and a fresh bucket for one server start: {name, jdbc url}. */
        String[] fresh(String kind) throws Exception {
            String name = "bench_" + kind + "_" + names.incrementAndGet();
            if (kind.equals(BOLLARD)) {
                sh("psql", "-q", "-h", "127.0.0.1", "-p", String.valueOf(pgPort), "-U", "postgres", "-d", "postgres",
                        "-c", "CREATE DATABASE " + name);
            }
            // S3Proxy's file system store: a bucket is a directory under its base directory.
            Files.createDirectories(dir.resolve("s3/blobs").resolve(name.replace('_', '-')));
            return new String[] {name.replace('_', '-'), "jdbc:postgresql://127.0.0.1:" + pgPort + "/" + name};
        }

        String endpoint() {
            return "http://127.0.0.1:" + s3Port;
        }

        /** Bollard's settings for its database and bucket ({bucket, jdbc url}). */
        void bollardEnv(String[] backing, Map<String, String> env) {
            env.put("BOLLARD_DATABASE_URL", backing[1]);
            env.put("BOLLARD_DATABASE_USERNAME", "postgres");
            env.put("BOLLARD_STORAGE_TYPE", "s3");
            env.put("BOLLARD_STORAGE_S3_BUCKET", backing[0]);
            env.put("BOLLARD_STORAGE_S3_ENDPOINT", endpoint());
            env.put("BOLLARD_STORAGE_S3_PATH_STYLE", "true");
            env.put("BOLLARD_STORAGE_S3_ACCESS_KEY", S3_ACCESS);
            env.put("BOLLARD_STORAGE_S3_SECRET_KEY", S3_SECRET);
        }

        void stop() {
            s3.destroy();
            try {
                runPg(asPostgres, List.of(pgBin.resolve("pg_ctl").toString(), "-D",
                        dir.resolve("pg/data").toString(), "-m", "fast", "-w", "stop"));
            } catch (Exception e) {
                System.err.println("bench: could not stop PostgreSQL: " + e.getMessage());
            }
        }
    }

    static String exitText(int code) {
        return code > 128 ? code + " (killed by signal " + (code - 128) + ", not sent by this harness)" : String.valueOf(code);
    }

    static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    /** Peak RSS of a server during a phase: VmHWM after a reset, cross-checked by sampling VmRSS every 10 ms. */
    static final class PeakRss implements AutoCloseable {
        final Server s;
        final boolean reset;
        final Thread sampler;
        final AtomicLong maxSampled = new AtomicLong();
        volatile boolean done;

        PeakRss(Server s) {
            this.s = s;
            this.reset = s.resetPeak();
            this.sampler = Thread.ofPlatform().daemon().start(() -> {
                while (!done) {
                    long k = s.kib("VmRSS");
                    maxSampled.accumulateAndGet(k, Math::max);
                    try {
                        Thread.sleep(10);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
        }

        /** MiB. */
        double peak() {
            done = true;
            try {
                sampler.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            long hwm = reset ? s.kib("VmHWM") : -1;
            return Math.max(hwm, maxSampled.get()) / 1024.0;
        }

        @Override
        public void close() {
            done = true;
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // CPU used by other processes while a group of workloads ran: the machine's busy time minus this client's
    // (with its reaped children: servers, wrk, openssl, jcmd) minus the live servers'.

    static final class Cpu {
        final long t = System.nanoTime();
        final long busy;
        final long steal;
        final long own;

        Cpu(List<Server> servers) {
            long b = 0;
            long st = 0;
            try {
                String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
                long user = Long.parseLong(f[1]);
                long nice = Long.parseLong(f[2]);
                long sys = Long.parseLong(f[3]);
                long irq = Long.parseLong(f[6]);
                long soft = Long.parseLong(f[7]);
                st = f.length > 8 ? Long.parseLong(f[8]) : 0;
                b = user + nice + sys + irq + soft + st;
            } catch (IOException | RuntimeException e) {
                // leave zero
            }
            busy = b;
            steal = st;
            long o = 0;
            try {
                String s = Files.readString(Path.of("/proc/self/stat"));
                String[] f = s.substring(s.lastIndexOf(')') + 2).split(" ");
                o = Long.parseLong(f[11]) + Long.parseLong(f[12]) + Long.parseLong(f[13]) + Long.parseLong(f[14]);
            } catch (IOException | RuntimeException e) {
                // leave zero
            }
            for (Server s : servers) {
                o += s.cpuTicks();
            }
            own = o;
        }

        /** Average number of cores other processes kept busy since {@code before} (ticks of 10 ms). */
        static double foreign(Cpu before, Cpu after) {
            double secs = (after.t - before.t) / 1e9;
            double ticks = (after.busy - before.busy) - (after.own - before.own);
            return Math.max(0, ticks / 100.0 / secs);
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // One run: fresh servers, every workload, on both registries, interleaved workload by workload.

    static final class Run {
        final int number;
        final Map<String, Map<String, Double>> values = new LinkedHashMap<>();
        final Map<String, Double> foreign = new LinkedHashMap<>();
        final List<String> notes = new ArrayList<>();
        String failure;
        String loadStart;
        String loadEnd;
        final Path dir;
        Server bollard;
        Server distribution;

        Run(int number) {
            this.number = number;
            this.dir = O.work.resolve("run" + number);
        }

        void put(String registry, String metric, double v) {
            values.computeIfAbsent(registry, k -> new LinkedHashMap<>()).put(metric, v);
        }

        List<Server> servers() {
            List<Server> l = new ArrayList<>();
            if (bollard != null) {
                l.add(bollard);
            }
            if (distribution != null) {
                l.add(distribution);
            }
            return l;
        }

        /** Odd runs measure Bollard first, even runs Distribution first. */
        List<Server> ordered() {
            return number % 2 == 1 ? List.of(bollard, distribution) : List.of(distribution, bollard);
        }

        void group(String name, Step step) throws Exception {
            if (!O.does(name)) {
                return;
            }
            log("run %d: %s (load average %s)", number, name, Env.loadavg());
            Cpu before = new Cpu(servers());
            long t0 = System.nanoTime();
            step.run();
            Cpu after = new Cpu(servers());
            foreign.put(name, Cpu.foreign(before, after));
            for (Server s : servers()) {
                s.checkAlive();
            }
            log("run %d: %s done in %.1f s; other processes used %.2f cores meanwhile", number, name,
                    (System.nanoTime() - t0) / 1e9, foreign.get(name));
        }

        interface Step {
            void run() throws Exception;
        }

        void execute() throws Exception {
            loadStart = Env.loadavg();
            Files.createDirectories(dir);
            group("bounds", this::bounds);
            group("startup", this::startup);
            if (O.only.stream().anyMatch(g -> List.of("push", "pull", "load", "meta").contains(g))) {
                bollard = Server.start(BOLLARD, dir.resolve(BOLLARD));
                distribution = Server.start(DISTRIBUTION, dir.resolve(DISTRIBUTION));
                put(BOLLARD, "startup.main.ms", bollard.startupMs);
                put(DISTRIBUTION, "startup.main.ms", distribution.startupMs);
                log("run %d: bollard on :%d (pid %d), distribution on :%d (pid %d)", number, bollard.port, bollard.pid,
                        distribution.port, distribution.pid);
                group("push", this::pushes);
                group("pull", this::pulls);
                group("load", this::loads);
                group("meta", this::meta);
                idleRss();
                for (Server s : servers()) {
                    s.stop();
                }
                bollard = null;
                distribution = null;
            }
            group("auth", this::auth);
            group("crowd", this::crowd);
            group("background", this::background);
            group("webhooks", this::webhooks);
            group("scale", this::scale);
            group("tls", this::tls);
            group("proxy", this::proxy);
            loadEnd = Env.loadavg();
        }

        void cleanup() {
            for (Server s : servers()) {
                s.stop();
            }
            deleteTree(dir);
        }

        // --- physical bounds --------------------------------------------------------------------------------

        void bounds() throws Exception {
            put(MACHINE, "bound.sha256.openssl", opensslSha256());
            put(MACHINE, "bound.sha256.java", javaSha256());
            put(MACHINE, "bound.loopback", loopback(O.loopbackBytes, 1));
            put(MACHINE, "bound.loopback.parallel", loopback(O.loopbackBytes, O.pullers));
            put(MACHINE, "bound.disk", disk(O.diskBytes));
            put(MACHINE, "bound.fsync.ms", fsyncLatency());
            put(MACHINE, "bound.store", storePipeline(O.diskBytes));
        }

        /**
         * The least a registry must do to take a blob, and nothing else: a client thread sends {@code bytes} over
         * loopback TCP (1 MiB writes, as this client pushes); a receiving thread reads 1 MiB direct buffers, a second
         * thread feeds them to SHA-256, a third writes them to a file; at the end the file is fdatasynced. No HTTP, no
         * copies beyond the kernel's and the digest's, no metadata. Of the ways to split that work between threads, this
         * one measured fastest here (bench/experiments/StorePipelineVariants.java). MB/s: what a push can reach once the
         * client, the receiver and the hasher share the machine's cores.
         */
        double storePipeline(long bytes) throws Exception {
            int depth = 4;
            ByteBuffer end = ByteBuffer.allocate(0);
            BlockingQueue<ByteBuffer> free = new ArrayBlockingQueue<>(depth);
            BlockingQueue<ByteBuffer> toHash = new ArrayBlockingQueue<>(depth + 1);
            BlockingQueue<ByteBuffer> toWrite = new ArrayBlockingQueue<>(depth + 1);
            for (int i = 0; i < depth; i++) {
                free.add(ByteBuffer.allocateDirect(BLOCK));
            }
            ExecutorService pool = Executors.newFixedThreadPool(3, r -> {
                Thread t = new Thread(r);
                t.setDaemon(true);
                return t;
            });
            Path f = dir.resolve("store-probe");
            try (ServerSocketChannel ss = ServerSocketChannel.open();
                 FileChannel out = FileChannel.open(f, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                         StandardOpenOption.TRUNCATE_EXISTING)) {
                ss.bind(new InetSocketAddress("127.0.0.1", 0));
                Future<byte[]> hasher = pool.submit(() -> {
                    MessageDigest md = sha256();
                    for (ByteBuffer b = toHash.take(); b != end; b = toHash.take()) {
                        md.update(b.duplicate());
                        toWrite.put(b);
                    }
                    toWrite.put(end);
                    return md.digest();
                });
                Future<Void> writer = pool.submit(() -> {
                    for (ByteBuffer b = toWrite.take(); b != end; b = toWrite.take()) {
                        while (b.hasRemaining()) {
                            out.write(b);
                        }
                        free.put(b);
                    }
                    return null;
                });
                long t0 = System.nanoTime();
                Future<Void> sender = pool.submit(() -> {
                    try (SocketChannel c = SocketChannel.open(ss.getLocalAddress())) {
                        new GenBlob(4, bytes).write(c, 0, bytes);
                    }
                    return null;
                });
                long got = 0;
                try (SocketChannel c = ss.accept()) {
                    boolean eof = false;
                    while (!eof) {
                        ByteBuffer b = free.take().clear();
                        while (b.hasRemaining()) {
                            if (c.read(b) < 0) {
                                eof = true;
                                break;
                            }
                        }
                        got += b.flip().remaining();
                        toHash.put(b);
                    }
                    toHash.put(end);
                    hasher.get();
                    writer.get();
                    out.force(false);
                }
                double seconds = (System.nanoTime() - t0) / 1e9;
                sender.get();
                if (got != bytes) {
                    throw new BenchException("store pipeline lost bytes");
                }
                return bytes / MB / seconds;
            } finally {
                pool.shutdownNow();
                Files.deleteIfExists(f);
            }
        }

        double opensslSha256() throws Exception {
            Process p = new ProcessBuilder("openssl", "speed", "-evp", "sha256", "-bytes", "1048576", "-seconds",
                    String.valueOf((int) O.sha256Seconds)).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            p.waitFor();
            for (String l : out.split("\n")) {
                if (l.startsWith("sha256") && l.trim().endsWith("k")) {
                    String[] f = l.trim().split("\\s+");
                    return Double.parseDouble(f[f.length - 1].replace("k", "")) * 1000 / MB;
                }
            }
            throw new BenchException("cannot parse openssl speed output:\n" + out);
        }

        double javaSha256() {
            MessageDigest md = sha256();
            ByteBuffer b = BLOCKS.get().duplicate();
            for (int i = 0; i < 64; i++) {
                md.update(b.clear()); // warm-up
            }
            long total = 0;
            long t0 = System.nanoTime();
            while (System.nanoTime() - t0 < (long) (O.sha256Seconds * 1e9)) {
                md.update(b.clear());
                total += BLOCK;
            }
            return total / MB / ((System.nanoTime() - t0) / 1e9);
        }

        /** {@code streams} pairs of writer and reader threads, 1 MiB direct buffers, over loopback TCP; aggregate MB/s. */
        double loopback(long bytes, int streams) throws Exception {
            long each = bytes / streams;
            ExecutorService pool = Executors.newFixedThreadPool(2 * streams, r -> {
                Thread t = new Thread(r);
                t.setDaemon(true);
                return t;
            });
            try (ServerSocketChannel ss = ServerSocketChannel.open()) {
                ss.bind(new InetSocketAddress("127.0.0.1", 0), streams);
                List<Future<Long>> readers = new ArrayList<>();
                for (int i = 0; i < streams; i++) {
                    readers.add(pool.submit(() -> {
                        try (SocketChannel c = ss.accept()) {
                            ByteBuffer b = ByteBuffer.allocateDirect(BLOCK);
                            long got = 0;
                            for (int n; (n = c.read(b.clear())) >= 0; ) {
                                got += n;
                            }
                            return got;
                        }
                    }));
                }
                List<SocketChannel> cs = new ArrayList<>();
                for (int i = 0; i < streams; i++) {
                    cs.add(SocketChannel.open(ss.getLocalAddress()));
                }
                long t0 = System.nanoTime();
                List<Future<Void>> writers = new ArrayList<>();
                for (SocketChannel c : cs) {
                    writers.add(pool.submit(() -> {
                        try (c) {
                            new GenBlob(1, each).write(c, 0, each);
                        }
                        return null;
                    }));
                }
                long got = 0;
                for (Future<Void> w : writers) {
                    w.get();
                }
                for (Future<Long> r : readers) {
                    got += r.get();
                }
                if (got != each * streams) {
                    throw new BenchException("loopback copy lost bytes");
                }
                return got / MB / ((System.nanoTime() - t0) / 1e9);
            } finally {
                pool.shutdownNow();
            }
        }

        /** Median time (ms) to write a new 1 MiB file and fsync it and its directory: what storing a small blob costs at least. */
        double fsyncLatency() throws Exception {
            List<Double> ms = new ArrayList<>();
            Path d = Files.createDirectories(dir.resolve("fsync-probe"));
            for (int i = 0; i < 20; i++) {
                Path f = d.resolve("f" + i);
                long t0 = System.nanoTime();
                try (FileChannel c = FileChannel.open(f, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                    new GenBlob(3 + i, MIB).write(c, 0, MIB);
                    c.force(true);
                }
                try (FileChannel c = FileChannel.open(d, StandardOpenOption.READ)) {
                    c.force(true);
                }
                ms.add((System.nanoTime() - t0) / 1e6);
            }
            deleteTree(d);
            return median(ms);
        }

        /** Writes {@code bytes} to a file in the work directory and syncs it: what a push must do at least. */
        double disk(long bytes) throws Exception {
            Path f = dir.resolve("disk-probe");
            long t0 = System.nanoTime();
            try (FileChannel c = FileChannel.open(f, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                new GenBlob(2, bytes).write(c, 0, bytes);
                c.force(true);
            }
            double r = bytes / MB / ((System.nanoTime() - t0) / 1e9);
            Files.delete(f);
            return r;
        }

        // --- start-up ---------------------------------------------------------------------------------------

        void startup() throws Exception {
            List<Double> b = new ArrayList<>();
            List<Double> d = new ArrayList<>();
            for (int i = 0; i < O.startupSamples; i++) {
                for (String kind : number % 2 == 1 ? List.of(BOLLARD, DISTRIBUTION) : List.of(DISTRIBUTION, BOLLARD)) {
                    Path sd = dir.resolve("startup-" + i + "-" + kind);
                    Server s = Server.start(kind, sd);
                    (kind.equals(BOLLARD) ? b : d).add(s.startupMs);
                    s.stop();
                    deleteTree(sd);
                }
            }
            put(BOLLARD, "startup.ms", median(b));
            put(DISTRIBUTION, "startup.ms", median(d));
        }

        /** Runs a transfer, records its MB/s and the CPU seconds the server and this client used meanwhile. */
        double measure(Server s, String key, Callable<Double> transfer) throws Exception {
            long server0 = s.cpuTicks();
            long client0 = selfTicks();
            double v = transfer.call();
            put(s.kind, key + ".cpu.server", (s.cpuTicks() - server0) / 100.0);
            put(s.kind, key + ".cpu.client", (selfTicks() - client0) / 100.0);
            return v;
        }

        // --- push -------------------------------------------------------------------------------------------

        Image bigMono;
        Image bigChunked;
        Image probe;
        Image layersMono;
        Image layersChunked;
        Image small;

        void images() {
            if (bigMono != null) {
                return;
            }
            long t0 = System.nanoTime();
            probe = new Image("bench/probe", List.of(new GenBlob(100, O.probeBytes)), null);
            bigMono = new Image("bench/big-mono", List.of(new GenBlob(101, O.bigBytes)), null);
            bigChunked = new Image("bench/big-chunked", List.of(new GenBlob(102, O.bigBytes)), null);
            List<Content> lm = new ArrayList<>();
            List<Content> lc = new ArrayList<>();
            for (int i = 0; i < O.layers; i++) {
                lm.add(new GenBlob(10_000 + i, O.layerBytes));
                lc.add(new GenBlob(20_000 + i, O.layerBytes));
            }
            layersMono = new Image("bench/layers-mono", lm, null);
            layersChunked = new Image("bench/layers-chunked", lc, null);
            small = new Image("bench/small", List.of(new GenBlob(30_000, 2048), new GenBlob(30_001, 4096),
                    new GenBlob(30_002, 8192)), null);
            log("run %d: content generated and hashed in %.1f s (not timed)", number, (System.nanoTime() - t0) / 1e9);
        }

        void pushes() throws Exception {
            images();
            for (Server s : ordered()) {
                jfr(s, "push-probe", () -> {
                    syncDisks();
                    try (PeakRss rss = new PeakRss(s)) {
                        put(s.kind, "push.probe.mono", measure(s, "push.probe.mono", () -> push(s, probe, "v1", false, 0, O.pushConns)));
                        put(s.kind, "rss.push.probe", rss.peak());
                    }
                });
            }
            for (Server s : ordered()) {
                jfr(s, "push-big-mono", () -> {
                    syncDisks();
                    try (PeakRss rss = new PeakRss(s)) {
                        put(s.kind, "push.big.mono", measure(s, "push.big.mono", () -> push(s, bigMono, "v1", false, 0, O.pushConns)));
                        put(s.kind, "rss.push.big.mono", rss.peak());
                    }
                });
            }
            for (Server s : ordered()) {
                jfr(s, "push-big-chunked", () -> {
                    syncDisks();
                    try (PeakRss rss = new PeakRss(s)) {
                        put(s.kind, "push.big.chunked", measure(s, "push.big.chunked",
                                () -> push(s, bigChunked, "v1", true, O.bigChunk, O.pushConns)));
                        put(s.kind, "rss.push.big.chunked", rss.peak());
                    }
                });
            }
            for (Server s : ordered()) {
                syncDisks();
                jfr(s, "push-layers-mono", () ->
                        put(s.kind, "push.layers.mono", measure(s, "push.layers.mono",
                                () -> push(s, layersMono, "v1", false, 0, O.pushConns))));
            }
            for (Server s : ordered()) {
                syncDisks();
                jfr(s, "push-layers-chunked", () ->
                        put(s.kind, "push.layers.chunked", measure(s, "push.layers.chunked",
                                () -> push(s, layersChunked, "v1", true, O.layerChunk, O.pushConns))));
            }
            for (Server s : ordered()) {
                push(s, small, "v1", false, 0, 1);
            }
            for (Server s : ordered()) {
                put(s.kind, "disk.after-push.MiB", du(s.blobs()) / (double) MIB);
            }
        }

        // --- pull -------------------------------------------------------------------------------------------

        void pulls() throws Exception {
            images();
            if (O.verify) {
                // Untimed: every byte comes back as pushed (digests checked by the client).
                for (Server s : ordered()) {
                    pull(s, bigMono, "v1", O.pushConns, true);
                    pull(s, layersMono, "v1", O.pushConns, true);
                    pull(s, small, "v1", 1, true);
                }
            }
            // Short transfers: several repetitions, alternating between the registries; the median counts.
            Map<String, List<Double>> big = new LinkedHashMap<>();
            Map<String, List<Double>> layers = new LinkedHashMap<>();
            for (int rep = 0; rep < O.pullReps; rep++) {
                for (Server s : ordered()) {
                    jfr(s, "pull-big-" + rep, () -> big.computeIfAbsent(s.kind, k -> new ArrayList<>())
                            .add(measure(s, "pull.big", () -> pull(s, bigMono, "v1", O.pushConns, false))));
                }
            }
            for (int rep = 0; rep < O.pullReps; rep++) {
                for (Server s : ordered()) {
                    jfr(s, "pull-layers-" + rep, () -> layers.computeIfAbsent(s.kind, k -> new ArrayList<>())
                            .add(measure(s, "pull.layers", () -> pull(s, layersMono, "v1", O.pushConns, false))));
                }
            }
            big.forEach((k, v) -> put(k, "pull.big", median(v)));
            layers.forEach((k, v) -> put(k, "pull.layers", median(v)));
            for (Server s : ordered()) {
                jfr(s, "pull-parallel", () ->
                        put(s.kind, "pull.parallel", measure(s, "pull.parallel",
                                () -> parallelPull(s, bigMono.name, bigMono.layers.get(0), O.pullers))));
            }
        }

        // --- manifest load ----------------------------------------------------------------------------------

        void loads() throws Exception {
            images();
            if (!O.does("push")) {
                for (Server s : ordered()) {
                    push(s, small, "v1", false, 0, 1);
                }
            }
            String[][] kinds = {
                    {"head-tag", "HEAD", "/v2/bench/small/manifests/v1"},
                    {"get-tag", "GET", "/v2/bench/small/manifests/v1"},
                    {"get-digest", "GET", "/v2/bench/small/manifests/" + small.manifest.digest()},
            };
            int top = Arrays.stream(O.conns).max().orElse(1);
            Map<Server, Double> peak = new LinkedHashMap<>();
            for (int c : O.conns) {
                for (String[] k : kinds) {
                    for (Server s : ordered()) {
                        String name = "load." + k[0] + ".c" + c;
                        jfr(s, name, () -> {
                            PeakRss rss = c == top ? new PeakRss(s) : null;
                            LoadResult r = load(s.port, List.of(new Ask(k[1], k[2],
                                    authorization(s, "repository:bench/small:pull"), 200)), c, O.loadWarmup,
                                    O.loadSeconds);
                            if (rss != null) {
                                peak.merge(s, rss.peak(), Math::max);
                            }
                            if (r.errors() > 0 || r.count() == 0) {
                                String dump = threadDump(s, name);
                                throw new BenchException(s.kind + " " + name + ": " + r.errors() + " errors in "
                                        + r.count() + " requests" + dump);
                            }
                            put(s.kind, name + ".rps", r.rps());
                            put(s.kind, name + ".p50", r.p50());
                            put(s.kind, name + ".p99", r.p99());
                            log("run %d: %-12s %-26s %9.0f req/s  p50 %7.3f ms  p99 %7.3f ms  max %7.1f ms", number,
                                    s.kind, name, r.rps(), r.p50(), r.p99(), r.max());
                        });
                    }
                }
            }
            for (Map.Entry<Server, Double> e : peak.entrySet()) {
                put(e.getKey().kind, "rss.load.max-conns", e.getValue());
            }
            // Cross-check with wrk (GET by tag): the Java client is not the bottleneck when wrk agrees with it.
            if (wrkAvailable()) {
                int c = Math.min(32, top);
                for (Server s : ordered()) {
                    double rps = wrk(s.port, "/v2/bench/small/manifests/v1", c, O.wrkSeconds,
                            authorization(s, "repository:bench/small:pull"));
                    put(s.kind, "wrk.get-tag.c" + c + ".rps", rps);
                }
            }
        }

        /**
         * Resident memory once the workloads are over and the servers idle: after {@code --idle-wait} seconds, longer
         * than the periodic collection ./bollard serve's defaults ask G1 for (30 s).
         */
        void idleRss() throws Exception {
            if (O.idleWait <= 0) {
                return;
            }
            for (Server s : servers()) {
                if (s.kind.equals(BOLLARD)) {
                    awaitScansDone(s);
                }
            }
            Thread.sleep((long) (O.idleWait * 1000));
            for (Server s : servers()) {
                put(s.kind, "rss.idle", s.kib("VmRSS") / 1024.0);
                if (s.kind.equals(BOLLARD) && O.bollardOpts.contains("NativeMemoryTracking")) {
                    // Where the resident memory beyond the heap goes: given -XX:NativeMemoryTracking=summary in
                    // --bollard-opts, the JVM's own account of it is kept beside the report.
                    Path file = O.out.resolve("nmt-idle-run" + number + ".txt");
                    Files.writeString(file, jcmd(s, "VM.native_memory", "summary") + "\n"
                            + jcmd(s, "GC.class_histogram").lines().limit(40).collect(Collectors.joining("\n")));
                    log("run %d: native memory of the idle server in %s", number, file);
                }
            }
        }

        /**
         * Bollard scans every pushed image in the background (scan.on-push, on by default): after the metadata
         * workload's thousands of manifests it is still busy for a while, not idle. Waits (at most 15 minutes) until
         * its {@code bollard_scan_queued} gauge is 0, and records how long that took (informative).
         */
        void awaitScansDone(Server s) throws Exception {
            long start = System.nanoTime();
            long deadline = start + TimeUnit.MINUTES.toNanos(15);
            double queued = scansQueued(s);
            while (queued > 0 && System.nanoTime() < deadline) {
                Thread.sleep(2000);
                queued = scansQueued(s);
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            put(s.kind, "scan.backlog.s", seconds);
            log("run %d: %s's background scans %s after %.0f s", number, s.kind,
                    queued > 0 ? "still had " + (long) queued + " queued" : "were done", seconds);
        }

        static double scansQueued(Server s) throws IOException {
            try (Http h = new Http(s.port)) {
                Resp r = expect(h.send("GET", "/metrics"), 200, "GET /metrics");
                return new String(r.body, StandardCharsets.UTF_8).lines()
                        .filter(l -> l.startsWith("bollard_scan_queued "))
                        .mapToDouble(l -> Double.parseDouble(l.substring(l.indexOf(' ') + 1).trim()))
                        .findFirst().orElse(0);
            }
        }

        // --- authenticated workloads ------------------------------------------------------------------------

        /**
         * Both registries with authentication, each started fresh for this group: Bollard as users run it (access
         * control, access log, default JVM settings) and Distribution with htpasswd (bcrypt, cost 5 as `htpasswd -B`
         * makes it); then both without authentication for the manifest GET beside them. The "CI farm" cycle is what
         * docker and containerd do before a pull, per connection: {@code GET /v2/} without credentials (401), then
         * the token request with Basic credentials — for Bollard {@code GET /v2/auth} with a user password, an
         * application token or a robot token; Distribution has no token endpoint, so its equivalent is the ping sent
         * again with the Basic credentials, which it checks with bcrypt on every request.
         */
        void auth() throws Exception {
            images();
            String scope = "repository:bench/small:pull";
            String manifest = "/v2/bench/small/manifests/v1";
            for (String kind : number % 2 == 1 ? List.of(BOLLARD, DISTRIBUTION) : List.of(DISTRIBUTION, BOLLARD)) {
                Server s = Server.start(kind, dir.resolve("auth-" + kind), true);
                try {
                    push(s, small, "v1", false, 0, 1);
                    String user = CREDENTIALS.get(s.port);
                    Map<String, String> logins = new LinkedHashMap<>();
                    logins.put("farm.password", user);
                    if (kind.equals(BOLLARD)) {
                        try (Http h = new Http(s.port)) {
                            String app = field(expect(h.sendBytes("POST", "/api/v1/users/" + Server.USER + "/tokens",
                                    new Bytes("{\"name\":\"farm\"}"), "Content-Type", "application/json"), 201,
                                    "create an application token").text(), "token");
                            String robot = field(expect(h.sendBytes("POST", "/api/v1/namespaces/" + Server.USER
                                    + "/robots", new Bytes("{\"name\":\"farm\"}"), "Content-Type",
                                    "application/json"), 201, "create a robot").text(), "token");
                            logins.put("farm.app", basic(Server.USER, app));
                            logins.put("farm.robot", basic(Server.USER + "+farm", robot));
                        }
                    } else {
                        logins.put("farm.app", user);
                        logins.put("farm.robot", user);
                    }
                    // Warm-up, untimed: every cycle once, so that the first one measured does not pay for the JIT.
                    for (String login : kind.equals(BOLLARD) ? logins.values() : List.of(user)) {
                        load(s.port, List.of(new Ask("GET", "/v2/", null, 401), kind.equals(BOLLARD)
                                ? new Ask("GET", "/v2/auth?service=bollard&scope=" + scope, login, 200)
                                : new Ask("GET", "/v2/", login, 200)), O.farmConns, 0, O.loadWarmup + O.loadSeconds / 2);
                    }
                    for (Map.Entry<String, String> login : logins.entrySet()) {
                        String name = login.getKey();
                        Ask ask = kind.equals(BOLLARD)
                                ? new Ask("GET", "/v2/auth?service=bollard&scope=" + scope, login.getValue(), 200)
                                : new Ask("GET", "/v2/", login.getValue(), 200);
                        if (kind.equals(DISTRIBUTION) && !name.equals("farm.password")) {
                            put(kind, name + ".rps", value(kind, "farm.password.rps")); // one kind of credential there
                            continue;
                        }
                        PeakRss rss = new PeakRss(s);
                        LoadResult r = load(s.port, List.of(new Ask("GET", "/v2/", null, 401), ask), O.farmConns,
                                O.loadWarmup, O.loadSeconds);
                        double peak = rss.peak();
                        check(s, name, r);
                        put(kind, name + ".rps", r.rps() / 2); // token requests (each after its 401)
                        put(kind, name + ".p99", r.p99());
                        put(kind, "rss." + name, peak);
                        log("run %d: %-12s %-26s %9.0f token req/s  p50 %7.3f ms  p99 %7.3f ms  peak RSS %.0f MiB",
                                number, kind, name + ".c" + O.farmConns, r.rps() / 2, r.p50(), r.p99(), peak);
                    }
                    manifestLoad(s, "auth.get-tag", new Ask("GET", manifest, authorization(s, scope), 200));
                } finally {
                    s.stop();
                }
                Server open = Server.start(kind, dir.resolve("open-" + kind), false);
                try {
                    push(open, small, "v1", false, 0, 1);
                    manifestLoad(open, "open.get-tag", new Ask("GET", manifest, null, 200));
                } finally {
                    open.stop();
                }
            }
        }

        /** The manifest GET of the auth group at --farm-conns connections, after an untimed warm-up. */
        void manifestLoad(Server s, String name, Ask get) throws Exception {
            load(s.port, List.of(get), O.farmConns, 0, O.loadWarmup + O.loadSeconds / 2);
            LoadResult r = load(s.port, List.of(get), O.farmConns, O.loadWarmup, O.loadSeconds);
            check(s, name, r);
            put(s.kind, name + ".rps", r.rps());
            put(s.kind, name + ".p99", r.p99());
            log("run %d: %-12s %-26s %9.0f req/s  p99 %7.3f ms", number, s.kind, name + ".c" + O.farmConns, r.rps(),
                    r.p99());
        }

        double value(String kind, String key) {
            Double v = values.getOrDefault(kind, Map.of()).get(key);
            return v == null ? Double.NaN : v;
        }

        static void check(Server s, String name, LoadResult r) {
            if (r.errors() > 0 || r.count() == 0) {
                throw new BenchException(s.kind + " " + name + ": " + r.errors() + " errors in " + r.count()
                        + " requests");
            }
        }

        // --- many clients -----------------------------------------------------------------------------------

        /**
         * A CI farm at once, on servers started for this group: {@code --crowd-pushers} clients each push a distinct
         * image of {@code --crowd-layers} layers (one connection each, layers then config then the manifest), all
         * started together; then {@code --crowd-pullers} clients pull one shared image over and over for
         * {@code --load-seconds} (manifest by tag, then config and layers on the client's connection). Any failed
         * request fails the run. Reported: aggregate MB/s, the p99 of the manifest requests among that load, peak RSS.
         */
        void crowd() throws Exception {
            List<Image> mine = new ArrayList<>();
            for (int i = 0; i < O.crowdPushers; i++) {
                List<Content> ls = new ArrayList<>();
                for (int j = 0; j < O.crowdLayers; j++) {
                    ls.add(new GenBlob(100_000 + i * 1_000 + j, O.crowdLayerBytes));
                }
                mine.add(new Image("bench/crowd-" + i, ls, null));
            }
            List<Content> sl = new ArrayList<>();
            for (int j = 0; j < O.crowdLayers; j++) {
                sl.add(new GenBlob(90_000 + j, O.crowdLayerBytes));
            }
            Image shared = new Image("bench/crowd-shared", sl, null);
            for (String kind : number % 2 == 1 ? List.of(BOLLARD, DISTRIBUTION) : List.of(DISTRIBUTION, BOLLARD)) {
                Server s = Server.start(kind, dir.resolve("crowd-" + kind));
                try {
                    syncDisks();
                    try (PeakRss rss = new PeakRss(s)) {
                        Crowd c = crowdRun(O.crowdPushers, 0, (h, i, lat) -> {
                            Image img = mine.get(i);
                            for (Content b : img.layers) {
                                uploadBlob(h, img.name, b, false, 0);
                            }
                            uploadBlob(h, img.name, img.config, false, 0);
                            long t0 = System.nanoTime();
                            putManifest(h, img.name, "v1", img.manifest);
                            lat.add(System.nanoTime() - t0);
                            return img.bytes();
                        }, s);
                        put(kind, "crowd.push", c.bytes / MB / c.seconds);
                        put(kind, "crowd.push.manifest.p99", c.p99());
                        put(kind, "rss.crowd.push", rss.peak());
                        log("run %d: %-12s %d pushers: %.0f MB/s, manifest PUT p99 %.1f ms", number, kind,
                                O.crowdPushers, c.bytes / MB / c.seconds, c.p99());
                    }
                    push(s, shared, "v1", false, 0, O.pushConns);
                    pull(s, shared, "v1", O.pushConns, true); // untimed: everything comes back as pushed
                    try (PeakRss rss = new PeakRss(s)) {
                        // At least 2 s: a pull of the whole image must fit in the window many times over.
                        Crowd c = crowdRun(O.crowdPullers, Math.max(2, O.loadSeconds), (h, i, lat) -> {
                            long t0 = System.nanoTime();
                            Resp r = expect(h.send("GET", "/v2/" + shared.name + "/manifests/v1", "Accept", ACCEPT), 200,
                                    "GET manifest");
                            lat.add(System.nanoTime() - t0);
                            if (r.body.length != shared.manifest.size()) {
                                throw new BenchException("manifest of " + shared.name + " came back with "
                                        + r.body.length + " bytes");
                            }
                            getBlob(h, shared.name, shared.config, false);
                            for (Content b : shared.layers) {
                                getBlob(h, shared.name, b, false);
                            }
                            return shared.bytes();
                        }, s);
                        put(kind, "crowd.pull", c.bytes / MB / c.seconds);
                        put(kind, "crowd.pull.manifest.p99", c.p99());
                        put(kind, "rss.crowd.pull", rss.peak());
                        log("run %d: %-12s %d pullers: %.0f MB/s (%d images), manifest GET p99 %.1f ms", number, kind,
                                O.crowdPullers, c.bytes / MB / c.seconds, c.done, c.p99());
                    }
                } finally {
                    s.stop();
                }
            }
        }

        interface CrowdTask {
            /** One image pushed or pulled on the client's connection; the bytes moved. */
            long run(Http h, int client, List<Long> manifestNanos) throws Exception;
        }

        record Crowd(long bytes, long done, double seconds, long[] manifestNanos) {
            double p99() {
                return pct(manifestNanos, 99);
            }
        }

        /**
         * {@code clients} threads, each on its own connection, start together at a barrier. With {@code seconds} == 0
         * each runs its task once (the time is until the last finishes); otherwise each repeats it until the time is
         * up (what finished in time counts).
         */
        Crowd crowdRun(int clients, double seconds, CrowdTask task, Server s) throws Exception {
            CyclicBarrier go = new CyclicBarrier(clients + 1);
            ExecutorService pool = Executors.newFixedThreadPool(clients);
            AtomicLong bytes = new AtomicLong();
            AtomicLong done = new AtomicLong();
            List<Long> lat = java.util.Collections.synchronizedList(new ArrayList<>());
            long[] until = new long[1];
            try {
                List<Future<Void>> fs = new ArrayList<>();
                for (int i = 0; i < clients; i++) {
                    int client = i;
                    fs.add(pool.submit(() -> {
                        List<Long> own = new ArrayList<>();
                        try (Http h = new Http(s.port)) {
                            h.connect();
                            go.await();
                            do {
                                long n = task.run(h, client, own);
                                if (seconds == 0 || System.nanoTime() <= until[0]) {
                                    bytes.addAndGet(n);
                                    done.incrementAndGet();
                                }
                            } while (seconds > 0 && System.nanoTime() < until[0]);
                        } finally {
                            lat.addAll(own);
                        }
                        return null;
                    }));
                }
                long t0 = System.nanoTime();
                until[0] = t0 + (long) (seconds * 1e9);
                go.await();
                for (Future<Void> f : fs) {
                    try {
                        f.get();
                    } catch (java.util.concurrent.ExecutionException e) {
                        throw new BenchException(s.kind + ": a client of the crowd failed: " + e.getCause());
                    }
                }
                double secs = seconds > 0 ? seconds : (System.nanoTime() - t0) / 1e9;
                long[] ns = lat.stream().mapToLong(Long::longValue).sorted().toArray();
                return new Crowd(bytes.get(), done.get(), secs, ns);
            } finally {
                pool.shutdownNow();
            }
        }

        // --- under background work ----------------------------------------------------------------------------

        /**
         * Bollard only (Distribution's garbage collector runs offline, with the registry read-only or stopped): the
         * manifest load of the auth group (GET by tag with a bearer token, --farm-conns connections) on an idle
         * registry that holds a repository of {@code --background-tags} tags, then the same load while retention
         * prunes that repository to its last 10 tags and the garbage collector deletes what that left unreferenced
         * (both started by the CLI as an operator would, run by the server). The p99 under that work against idle.
         */
        void background() throws Exception {
            int tags = O.backgroundTags > 0 ? O.backgroundTags : O.tags;
            // Short grace and time-machine window so that the collector has the pruned tags' manifests to delete.
            Map<String, String> env = Map.of("BOLLARD_GC_GRACE_PERIOD", "1s", "BOLLARD_HISTORY_WINDOW", "1s",
                    "BOLLARD_GC_INTERVAL", "24h", "BOLLARD_RETENTION_INTERVAL", "24h");
            Server s = Server.start(BOLLARD, dir.resolve("background"), true,
                    O.backend.equals("pg-s3") ? Backing.get().fresh(BOLLARD) : null, env);
            bollard = s;
            try {
                images();
                push(s, small, "v1", false, 0, 1);
                Content config = new Bytes("{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\"}}");
                Content layer = new GenBlob(41_000, 1024);
                String repo = "bench/pruned";
                try (Http h = new Http(s.port)) {
                    uploadBlob(h, repo, config, false, 0);
                    uploadBlob(h, repo, layer, false, 0);
                }
                AtomicInteger next = new AtomicInteger();
                AtomicInteger done = new AtomicInteger();
                long t0 = System.nanoTime();
                populate(s, tags, t0 + (long) (O.populateTimeout * 1e9), (h, i) ->
                        putManifest(h, repo, tagName(i), new Bytes(manifestJson(config, List.of(layer), "b" + i))), next, done);
                log("run %d: background: %d tags in %.1f s", number, done.get(), (System.nanoTime() - t0) / 1e9);
                put(BOLLARD, "background.tags", done.get());
                Ask get = new Ask("GET", "/v2/bench/small/manifests/v1", authorization(s, "repository:bench/small:pull"), 200);
                load(s.port, List.of(get), O.farmConns, 0, O.loadWarmup + O.loadSeconds / 2);
                LoadResult idle = load(s.port, List.of(get), O.farmConns, O.loadWarmup, O.loadSeconds);
                check(s, "background.idle", idle);
                put(BOLLARD, "background.idle.rps", idle.rps());
                put(BOLLARD, "background.idle.p99", idle.p99());
                try (Http h = new Http(s.port)) {
                    expect(h.sendBytes("POST", "/api/v1/repositories/" + repo + "/-/retention-policies",
                            new Bytes("{\"tag_pattern\":\"*\",\"keep_last\":10}"), "Content-Type",
                            "application/json"), 201, "create a retention policy");
                }
                Thread.sleep(1500); // past the 1 s grace and window: the collector may delete what retention frees
                long b0 = System.nanoTime();
                double[] work = new double[2];
                Future<?> bg = Executors.newSingleThreadExecutor(r -> {
                    Thread t = new Thread(r, "background-work");
                    t.setDaemon(true);
                    return t;
                }).submit(() -> {
                    jfr(s, "background-retention", () -> work[0] = cli(s, env, "retention", "apply"));
                    jfr(s, "background-gc", () -> work[1] = cli(s, env, "gc"));
                    return null;
                });
                List<LoadResult> busy = new ArrayList<>();
                do {
                    busy.add(load(s.port, List.of(get), O.farmConns, 0, O.loadSeconds));
                } while (!bg.isDone());
                bg.get();
                double bgSecs = (System.nanoTime() - b0) / 1e9;
                long errors = busy.stream().mapToLong(LoadResult::errors).sum();
                if (errors > 0) {
                    throw new BenchException("bollard: " + errors + " errors in the manifest load under background work");
                }
                double worst = busy.stream().mapToDouble(LoadResult::p99).max().orElse(Double.NaN);
                double rps = busy.stream().mapToDouble(LoadResult::rps).average().orElse(Double.NaN);
                put(BOLLARD, "background.busy.rps", rps);
                put(BOLLARD, "background.busy.p99", worst);
                put(BOLLARD, "background.retention.s", work[0]);
                put(BOLLARD, "background.gc.s", work[1]);
                try (Http h = new Http(s.port)) {
                    int left = countEntries(expect(h.send("GET", "/v2/" + repo + "/tags/list"), 200, "tags after retention")
                            .text());
                    put(BOLLARD, "background.tags.left", left);
                    if (left != 10) {
                        throw new BenchException("retention left " + left + " tags of " + repo + ", expected 10");
                    }
                }
                log("run %d: background: idle %.0f req/s p99 %.2f ms; during retention (%.1f s) and gc (%.1f s), %d "
                                + "window(s) over %.1f s: %.0f req/s, worst p99 %.2f ms", number, idle.rps(), idle.p99(),
                        work[0], work[1], busy.size(), bgSecs, rps, worst);
            } finally {
                s.stop();
                bollard = null;
            }
        }

        // --- webhooks ----------------------------------------------------------------------------------------

        /**
         * Opt-in ({@code --only webhooks}; Bollard only): issue 18's two figures. (1) Push throughput: closed-loop
         * pushes of small new images (one new 4 KiB layer, a shared config, a new manifest and tag each) on
         * {@code --push-conns} connections for a fixed time, after an untimed phase of the same, with no webhook, then
         * with 10 registry-wide webhooks (all events) to a receiver on loopback, then with those deleted; the ratio is
         * with-10 over the mean of the two without. (2) Delivery latency: pushes paced at 1,000 a minute with those 10 webhooks; for every tag.created
         * delivery, the time from the push's manifest PUT answered to the receiver getting it; p50, p99 and max over
         * all 10 webhooks' deliveries, and each push must reach every webhook. Bollard runs as users run it (access
         * control; the default events.poll-interval of 1 s bounds the latency from below), with
         * events.webhooks.allow-private-targets on for the loopback receiver.
         */
        void webhooks() throws Exception {
            double phase = O.mode.equals("smoke") ? 2 : O.mode.equals("quick") ? 10 : 30;
            double paced = O.mode.equals("smoke") ? 6 : O.mode.equals("quick") ? 30 : 120;
            Map<String, String> env = Map.of("BOLLARD_EVENTS_WEBHOOKS_ALLOW_PRIVATE_TARGETS", "true");
            Server s = Server.start(BOLLARD, dir.resolve("webhooks"), true,
                    O.backend.equals("pg-s3") ? Backing.get().fresh(BOLLARD) : null, env);
            bollard = s;
            Map<String, Long> received = new java.util.concurrent.ConcurrentHashMap<>();
            AtomicLong deliveries = new AtomicLong();
            com.sun.net.httpserver.HttpServer receiver = com.sun.net.httpserver.HttpServer.create(
                    new InetSocketAddress("127.0.0.1", 0), 256);
            receiver.setExecutor(Executors.newFixedThreadPool(8, r -> {
                Thread t = new Thread(r, "webhook-receiver");
                t.setDaemon(true);
                return t;
            }));
            java.util.regex.Pattern token = java.util.regex.Pattern.compile("whk(\\d{7})");
            receiver.createContext("/", ex -> {
                long at = System.nanoTime();
                String body;
                try (InputStream in = ex.getRequestBody()) {
                    body = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                }
                deliveries.incrementAndGet();
                java.util.regex.Matcher m = token.matcher(body);
                if (body.contains("tag.created") && m.find()) {
                    received.putIfAbsent(ex.getRequestURI().getPath() + " " + m.group(1), at);
                }
                ex.sendResponseHeaders(204, -1);
                ex.close();
            });
            receiver.start();
            try {
                String repo = "bench/hooked";
                Content config = new Bytes("{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\"}}");
                try (Http h = new Http(s.port)) {
                    uploadBlob(h, repo, config, false, 0);
                }
                AtomicInteger next = new AtomicInteger();
                Map<Integer, Long> pushedAt = new java.util.concurrent.ConcurrentHashMap<>();
                IoTask<Integer> pushOne = (h, i) -> {
                    Content layer = new GenBlob(50_000_000L + i, 4096);
                    uploadBlob(h, repo, layer, false, 0);
                    putManifest(h, repo, String.format(Locale.ROOT, "whk%07d", i),
                            new Bytes(manifestJson(config, List.of(layer), "whk" + i)));
                    pushedAt.put(i, System.nanoTime());
                };
                int port = receiver.getAddress().getPort();
                pushesPerSecond(s, pushOne, next, phase); // untimed: JIT warm-up of the push path
                double none1 = pushesPerSecond(s, pushOne, next, phase);
                List<Long> hooks = createWebhooks(s, port, "a");
                double[] tenBox = new double[1];
                jfr(s, "webhooks-ten", () -> tenBox[0] = pushesPerSecond(s, pushOne, next, phase));
                double ten = tenBox[0];
                // Deleted: what is still queued for them is dropped; the same pushes with none again.
                double none2 = pushesPerSecond(s, pushOne, next, phase, hooks);
                double none = (none1 + none2) / 2;
                put(BOLLARD, "webhooks.push.none", none);
                put(BOLLARD, "webhooks.push.ten", ten);
                put(BOLLARD, "webhooks.push.ratio", ten / none);
                log("run %d: webhooks: push %.1f/s with none (%.1f before, %.1f after), %.1f/s with 10 webhooks (%.3f of "
                        + "none)", number, none, none1, none2, ten, ten / none);

                // Paced: 1,000 pushes a minute, one every 60 ms, each on its own virtual thread, to 10 new webhooks.
                createWebhooks(s, port, "b");
                long delivered0 = deliveries.get();
                int first = next.get();
                long period = 60_000_000L;
                long t0 = System.nanoTime();
                int count = (int) Math.round(paced * 1e9 / period);
                List<Future<?>> pushes = new ArrayList<>();
                AtomicInteger errors = new AtomicInteger();
                try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
                    for (int n = 0; n < count; n++) {
                        long due = t0 + n * period;
                        long wait = due - System.nanoTime();
                        if (wait > 0) {
                            TimeUnit.NANOSECONDS.sleep(wait);
                        }
                        int i = next.getAndIncrement();
                        pushes.add(pool.submit(() -> {
                            try (Http h = new Http(s.port)) {
                                pushOne.run(h, i);
                            } catch (Exception e) {
                                errors.incrementAndGet();
                                log("run %d: webhooks: push %d failed: %s", number, i, e);
                            }
                            return null;
                        }));
                    }
                    for (Future<?> f : pushes) {
                        f.get();
                    }
                }
                long pacedEnd = System.nanoTime();
                double rate = count / ((pacedEnd - t0) / 60e9);
                int last = next.get();
                long expected = 10L * (last - first);
                // A delivery worker that falls behind shows here: wait up to 5 minutes for the backlog.
                long deadline = System.nanoTime() + 300_000_000_000L;
                List<Long> lat = new ArrayList<>();
                while (System.nanoTime() < deadline) {
                    lat.clear();
                    for (Map.Entry<String, Long> e : received.entrySet()) {
                        String[] pathAndPush = e.getKey().split(" ");
                        int i = Integer.parseInt(pathAndPush[1]);
                        Long at = pushedAt.get(i);
                        if (pathAndPush[0].startsWith("/b") && i >= first && i < last && at != null) {
                            lat.add(Math.max(0, e.getValue() - at));
                        }
                    }
                    if (lat.size() >= expected) {
                        break;
                    }
                    Thread.sleep(200);
                }
                long[] sorted = lat.stream().mapToLong(Long::longValue).sorted().toArray();
                double drained = (System.nanoTime() - pacedEnd) / 1e9;
                double deliveryRate = (deliveries.get() - delivered0) / ((System.nanoTime() - t0) / 1e9);
                put(BOLLARD, "webhooks.delivery.rate", deliveryRate);
                put(BOLLARD, "webhooks.paced.rate", rate);
                if (errors.get() > 0 || sorted.length < expected) {
                    throw new BenchException(String.format(Locale.ROOT, "webhooks: %d failed pushes; %d of %d tag.created "
                            + "deliveries of the paced pushes (%.0f a minute) arrived within %.0f s of the last push; "
                            + "the receiver got %.1f deliveries/s meanwhile (1,000 pushes a minute to 10 webhooks of "
                            + "every event need 333/s); latency so far p50 %.0f ms, p99 %.0f ms", errors.get(),
                            sorted.length, expected, rate, drained, deliveryRate, pct(sorted, 50), pct(sorted, 99)));
                }
                put(BOLLARD, "webhooks.latency.p50", pct(sorted, 50));
                put(BOLLARD, "webhooks.latency.p99", pct(sorted, 99));
                put(BOLLARD, "webhooks.latency.max", pct(sorted, 100));
                put(BOLLARD, "webhooks.drain.s", drained);
                log("run %d: webhooks: paced %.0f pushes/min: %d deliveries of tag.created, latency p50 %.0f ms p99 "
                                + "%.0f ms max %.0f ms, the last %.1f s after the last push; %.1f deliveries/s", number,
                        rate, sorted.length, pct(sorted, 50), pct(sorted, 99), pct(sorted, 100), drained, deliveryRate);
            } finally {
                receiver.stop(0);
                s.stop();
                bollard = null;
            }
        }

        /** Creates 10 registry-wide webhooks (every event) to the receiver's {@code /<prefix>0} … {@code /<prefix>9}. */
        List<Long> createWebhooks(Server s, int port, String prefix) throws Exception {
            List<Long> hooks = new ArrayList<>();
            try (Http h = new Http(s.port)) {
                for (int k = 0; k < 10; k++) {
                    String url = "http://127.0.0.1:" + port + "/" + prefix + k;
                    Resp r = expect(h.sendBytes("POST", "/api/v1/webhooks", new Bytes("{\"url\":\"" + url + "\"}"),
                            "Content-Type", "application/json"), 201, "create webhook " + k);
                    java.util.regex.Matcher id = java.util.regex.Pattern.compile("\"id\":(\\d+)").matcher(r.text());
                    if (!id.find()) {
                        throw new BenchException("no id in the webhook created: " + r.text());
                    }
                    hooks.add(Long.parseLong(id.group(1)));
                }
            }
            return hooks;
        }

        /** Pushes per second of {@code push} on --push-conns connections, closed loop, for {@code seconds}. */
        double pushesPerSecond(Server s, IoTask<Integer> push, AtomicInteger next, double seconds) throws Exception {
            long end = System.nanoTime() + (long) (seconds * 1e9);
            AtomicInteger done = new AtomicInteger();
            long t0 = System.nanoTime();
            ExecutorService pool = Executors.newFixedThreadPool(O.pushConns);
            try {
                List<Future<Void>> fs = new ArrayList<>();
                for (int c = 0; c < O.pushConns; c++) {
                    fs.add(pool.submit(() -> {
                        try (Http h = new Http(s.port)) {
                            while (System.nanoTime() < end) {
                                push.run(h, next.getAndIncrement());
                                done.incrementAndGet();
                            }
                        }
                        return null;
                    }));
                }
                for (Future<Void> f : fs) {
                    f.get();
                }
            } finally {
                pool.shutdownNow();
            }
            return done.get() / ((System.nanoTime() - t0) / 1e9);
        }

        /** The same after deleting the webhooks {@code hooks} (registry-wide). */
        double pushesPerSecond(Server s, IoTask<Integer> push, AtomicInteger next, double seconds, List<Long> hooks)
                throws Exception {
            try (Http h = new Http(s.port)) {
                for (long id : hooks) {
                    expect(h.send("DELETE", "/api/v1/webhooks/" + id), 204, "delete webhook " + id);
                }
            }
            return pushesPerSecond(s, push, next, seconds);
        }

        /** Runs a bollard CLI command against the running server's data (as an operator would); its seconds. */
        double cli(Server s, Map<String, String> env, String... args) throws Exception {
            List<String> cmd = new ArrayList<>(List.of(O.java, "-jar", O.jar.toString()));
            cmd.addAll(List.of(args));
            cmd.addAll(List.of("--data", s.dir.resolve("data").toString(), "--listen", "127.0.0.1:" + s.port));
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
            pb.environment().putAll(env);
            if (s.backing != null) {
                Backing.get().bollardEnv(s.backing, pb.environment());
            }
            long t0 = System.nanoTime();
            Process p = pb.start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (p.waitFor() != 0) {
                throw new BenchException("bollard " + String.join(" ", args) + " failed:\n" + out);
            }
            List<String> lines = out.strip().lines().toList(); // retention names every tag it deleted: the summary only
            log("run %d: bollard %s: %s", number, String.join(" ", args),
                    lines.isEmpty() ? "" : String.join(" ", lines.subList(Math.max(0, lines.size() - 2), lines.size())));
            return (System.nanoTime() - t0) / 1e9;
        }

        // --- pull-through proxy -----------------------------------------------------------------------------

        /**
         * Opt-in ({@code --only proxy}): both registries as pull-through caches of one upstream, side by side. The
         * upstream is a third server, a Distribution without authentication, holding one image of a
         * {@code --proxy-mib} layer and {@code --proxy-small} small layers ({@code --proxy-small-kib}). Bollard proxies
         * it as a proxy organization {@code up} (created through the API, as a superuser; access control on), Distribution
         * as a pull-through cache ({@code proxy: remoteurl:}, through its REGISTRY_PROXY_REMOTEURL; without
         * authentication, as in the other groups). Each is started fresh (cold). Measured, in this order: a pull straight
         * from the upstream (the baseline; it also warms the upstream's page cache for both proxies), then each proxy's
         * cold pull (odd runs Bollard first): the manifest by tag, then config and layers over {@code --push-conns}
         * connections; the time of the whole pull and the time to first byte of the big layer (from its request to its
         * first body byte). Then the warm pull: one untimed pull, then {@code --proxy-clients} clients at once each pull the
         * whole image (manifest by tag and every blob, one connection each); aggregate MB/s. Digests verified with
         * --verify.
         */
        void proxy() throws Exception {
            List<Content> layers = new ArrayList<>();
            layers.add(new GenBlob(0x9e0000L + number, O.proxyBytes));
            for (int i = 0; i < O.proxySmall; i++) {
                layers.add(new GenBlob(0x9e1000L + 64L * number + i, O.proxySmallBytes));
            }
            String repo = "bench/proxied";
            Image img = new Image(repo, layers, "proxy run " + number);
            Server upstream = Server.start(DISTRIBUTION, dir.resolve("proxy-upstream"), false, null, Map.of());
            List<Server> started = new ArrayList<>(List.of(upstream));
            try {
                push(upstream, img, "v1", false, 0, O.pushConns);
                String url = "http://127.0.0.1:" + upstream.port;
                Server b = Server.start(BOLLARD, dir.resolve("proxy-bollard"), true);
                started.add(b);
                try (Http h = new Http(b.port)) {
                    expect(h.sendBytes("POST", "/api/v1/organizations", new Bytes("{\"name\":\"up\"}"), "Content-Type",
                            "application/json"), 201, "create the organization up");
                    expect(h.sendBytes("PUT", "/api/v1/organizations/up/proxy", new Bytes("{\"url\":\"" + url + "\"}"),
                            "Content-Type", "application/json"), 200, "make up a proxy of " + url);
                }
                Server d = Server.start(DISTRIBUTION, dir.resolve("proxy-distribution"), false, null,
                        Map.of("REGISTRY_PROXY_REMOTEURL", url));
                started.add(d);
                Map<String, Server> proxies = Map.of(BOLLARD, b, DISTRIBUTION, d);
                Map<String, String> names = Map.of(BOLLARD, "up/" + repo, DISTRIBUTION, repo);
                List<String> order = number % 2 == 1 ? List.of(BOLLARD, DISTRIBUTION) : List.of(DISTRIBUTION, BOLLARD);

                double[] direct = proxyPull(upstream, repo, img);
                log("run %d: proxy: direct from the upstream: %.2f s, first byte of the big layer after %.1f ms", number,
                        direct[0], direct[1]);
                for (String kind : order) {
                    double[] cold = proxyPull(proxies.get(kind), names.get(kind), img);
                    put(kind, "proxy.cold.s", cold[0]);
                    put(kind, "proxy.cold.ttfb.ms", cold[1]);
                    put(kind, "proxy.cold.vs-direct", cold[0] / direct[0]);
                    put(kind, "proxy.cold.ttfb.vs-direct", cold[1] / direct[1]);
                    log("run %d: proxy: %s cold: %.2f s, first byte of the big layer after %.1f ms", number, kind, cold[0],
                            cold[1]);
                }
                for (String kind : order) {
                    Server s = proxies.get(kind);
                    proxyPull(s, names.get(kind), img); // warm-up, untimed
                    double secs = together(s.port, O.proxyClients, (h, client) -> pullOn(h, names.get(kind), img));
                    put(kind, "proxy.warm", O.proxyClients * img.bytes() / MB / secs);
                    log("run %d: proxy: %s warm: %d clients in %.2f s", number, kind, O.proxyClients, secs);
                }
                put(MACHINE, "proxy.direct.s", direct[0]);
                put(MACHINE, "proxy.direct.ttfb.ms", direct[1]);
            } finally {
                for (Server s : started) {
                    s.stop();
                }
            }
        }

        /**
         * A pull of {@code img} from {@code s} as {@code name}: the manifest by tag, then config and layers over
         * --push-conns connections. {seconds of the whole pull, ms from the big layer's request to its first byte}.
         */
        static double[] proxyPull(Server s, String name, Image img) throws Exception {
            long t0 = System.nanoTime();
            try (Http h = new Http(s.port)) {
                Resp r = expect(h.send("GET", "/v2/" + name + "/manifests/v1", "Accept", ACCEPT), 200,
                        "GET manifest " + name + ":v1 from " + s.kind);
                if (!Arrays.equals(r.body, img.manifest.bytes)) {
                    throw new BenchException("manifest of " + name + ":v1 differs from the upstream's");
                }
            }
            List<Content> blobs = new ArrayList<>(img.layers);
            blobs.add(img.config);
            Content big = img.layers.get(0);
            long[] ttfb = new long[1];
            parallel(s.port, Math.min(O.pushConns, blobs.size()), blobs, (h, c) -> {
                if (c != big) {
                    getBlob(h, name, c, O.verify);
                    return;
                }
                Hash hash = O.verify ? new Hash() : null;
                long[] first = {0};
                long asked = System.nanoTime();
                Resp r = h.send("GET", "/v2/" + name + "/blobs/" + c.digest(), null, 0, 0, b -> {
                    if (first[0] == 0) {
                        first[0] = System.nanoTime();
                    }
                    if (hash != null) {
                        hash.accept(b);
                    }
                });
                expect(r, 200, "GET the big layer from " + s.kind);
                if (r.bodyBytes != c.size() || (hash != null && !hash.digest().equals(c.digest()))) {
                    throw new BenchException("the big layer from " + s.kind + " came back wrong (" + r.bodyBytes + " bytes)");
                }
                ttfb[0] = first[0] - asked;
            });
            return new double[] {(System.nanoTime() - t0) / 1e9, ttfb[0] / 1e6};
        }

        /** One client's whole pull on its connection: the manifest by tag, then every blob in turn. */
        static void pullOn(Http h, String name, Image img) throws Exception {
            expect(h.send("GET", "/v2/" + name + "/manifests/v1", "Accept", ACCEPT), 200, "GET manifest " + name);
            getBlob(h, name, img.config, O.verify);
            for (Content c : img.layers) {
                getBlob(h, name, c, O.verify);
            }
        }

        // --- TLS ----------------------------------------------------------------------------------------------

        /**
         * Opt-in ({@code --only tls}): the cost of serving TLS. Each registry is started twice for this group, on plain
         * HTTP and on HTTPS with a certificate of a CA made here by {@code openssl} (EC P-256; Bollard through
         * {@code server.tls.*}, Distribution through {@code http.tls}); both without authentication, as the other
         * groups. A real client, skopeo, pushes an OCI layout with one layer of {@code --tls-mib} random bytes (a
         * valid gzip of stored blocks, so that skopeo copies it as it is instead of compressing it) and pulls it back
         * into a new layout, verifying the server's certificate against the CA ({@code --dest-cert-dir}); plain HTTP
         * needs {@code --dest-tls-verify=false}. Over TLS Go's client negotiates HTTP/2 with both servers when they
         * offer it (both do), so "TLS" here is what clients get: TLS and HTTP/2. Each repetition uses new layer bytes
         * (no blob is found already there or mounted); one untimed warm-up first; the median of {@code --tls-reps}.
         * Times include skopeo's own start (tens of ms), the same for all four.
         */
        void tls() throws Exception {
            Path certs = Files.createDirectories(dir.resolve("tls-ca"));
            openssl(certs, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-keyout", "ca.key", "-out", "ca.crt", "-days", "2", "-subj", "/CN=bench CA",
                    "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign");
            openssl(certs, "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1");
            Files.writeString(certs.resolve("server.ext"), "basicConstraints=CA:FALSE\n"
                    + "keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n"
                    + "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
            openssl(certs, "x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
                    "-days", "2", "-extfile", "server.ext", "-out", "server.crt");
            Path chain = certs.resolve("chain.crt");
            Files.writeString(chain, Files.readString(certs.resolve("server.crt")) + Files.readString(certs.resolve("ca.crt")));
            Path certDir = Files.createDirectories(dir.resolve("tls-client"));
            Files.copy(certs.resolve("ca.crt"), certDir.resolve("ca.crt"));
            for (String kind : number % 2 == 1 ? List.of(BOLLARD, DISTRIBUTION) : List.of(DISTRIBUTION, BOLLARD)) {
                for (boolean https : List.of(false, true)) {
                    String scheme = https ? "https" : "http";
                    Server s = Server.start(kind, dir.resolve("tls-" + kind + "-" + scheme), false, null, Map.of(),
                            https ? new Path[] {chain, certs.resolve("server.key")} : null);
                    try {
                        List<Double> push = new ArrayList<>();
                        List<Double> pull = new ArrayList<>();
                        for (int rep = 0; rep <= O.tlsReps; rep++) { // rep 0: the warm-up
                            Path layout = tlsLayout(dir.resolve("tls-layout"), rep + (https ? 1000 : 0));
                            String ref = "docker://127.0.0.1:" + s.port + "/bench/tls" + rep + ":v1";
                            Path verify = https ? certDir : null;
                            long t0 = System.nanoTime();
                            skopeo("dest", verify, "oci:" + layout + ":v1", ref);
                            double pushed = (System.nanoTime() - t0) / 1e9;
                            Path pulled = dir.resolve("tls-pulled");
                            deleteTree(pulled);
                            t0 = System.nanoTime();
                            skopeo("src", verify, ref, "oci:" + pulled + ":v1");
                            double pulledIn = (System.nanoTime() - t0) / 1e9;
                            deleteTree(pulled);
                            deleteTree(layout);
                            if (rep > 0) {
                                push.add(pushed);
                                pull.add(pulledIn);
                            }
                        }
                        put(kind, "tls." + scheme + ".push.MBps", O.tlsBytes / 1e6 / median(push));
                        put(kind, "tls." + scheme + ".pull.MBps", O.tlsBytes / 1e6 / median(pull));
                        log("run %d: tls %s %s: push %.2f s, pull %.2f s (medians)", number, kind, scheme,
                                median(push), median(pull));
                    } finally {
                        s.stop();
                    }
                }
            }
        }

        /**
         * {@code skopeo copy FROM TO}; {@code side}: the registry's side, dest or src; over TLS it verifies the server
         * against the CA in {@code certDir}, on plain HTTP it must be told not to ({@code --tls-verify=false}).
         */
        static void skopeo(String side, Path certDir, String from, String to) throws Exception {
            List<String> cmd = new ArrayList<>(List.of("skopeo", "copy"));
            cmd.addAll(certDir == null ? List.of("--" + side + "-tls-verify=false")
                    : List.of("--" + side + "-cert-dir", certDir.toString()));
            cmd.add(from);
            cmd.add(to);
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (p.waitFor() != 0) {
                throw new BenchException(String.join(" ", cmd) + " failed:\n" + out);
            }
        }

        static void openssl(Path dir, String... args) throws Exception {
            List<String> cmd = new ArrayList<>(List.of("openssl"));
            cmd.addAll(List.of(args));
            Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (p.waitFor() != 0) {
                throw new BenchException(String.join(" ", cmd) + " failed:\n" + out);
            }
        }

        /**
         * An OCI layout at {@code dir} whose image {@code v1} has one layer of {@link Options#tlsBytes} random bytes
         * (seeded by {@code seed}), gzip-framed without compression: skopeo recognises gzip and copies the layer as is.
         */
        static Path tlsLayout(Path dir, long seed) throws Exception {
            deleteTree(dir);
            Path blobs = Files.createDirectories(dir.resolve("blobs/sha256"));
            Path tmp = dir.resolve("layer.tmp");
            MessageDigest compressed = sha256();
            MessageDigest raw = sha256();
            SplittableRandom random = new SplittableRandom(seed * 7919 + System.nanoTime());
            try (OutputStream file = Files.newOutputStream(tmp);
                 OutputStream hashed = new java.security.DigestOutputStream(file, compressed);
                 java.util.zip.GZIPOutputStream gz = new java.util.zip.GZIPOutputStream(hashed, BLOCK) {
                     {
                         def.setLevel(java.util.zip.Deflater.NO_COMPRESSION);
                     }
                 }) {
                byte[] block = new byte[BLOCK];
                for (long left = O.tlsBytes; left > 0; left -= block.length) {
                    random.nextBytes(block);
                    int n = (int) Math.min(block.length, left);
                    raw.update(block, 0, n);
                    gz.write(block, 0, n);
                }
            }
            String layer = HexFormat.of().formatHex(compressed.digest());
            long layerSize = Files.size(tmp);
            Files.move(tmp, blobs.resolve(layer));
            String config = "{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\","
                    + "\"diff_ids\":[\"sha256:" + HexFormat.of().formatHex(raw.digest()) + "\"]}}";
            String configDigest = blob(blobs, config);
            String manifest = "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
                    + "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"sha256:"
                    + configDigest + "\",\"size\":" + config.length() + "},\"layers\":[{\"mediaType\":"
                    + "\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"sha256:" + layer + "\",\"size\":"
                    + layerSize + "}]}";
            String manifestDigest = blob(blobs, manifest);
            Files.writeString(dir.resolve("oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}");
            Files.writeString(dir.resolve("index.json"), "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":"
                    + "\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"sha256:" + manifestDigest
                    + "\",\"size\":" + manifest.length() + ",\"annotations\":{\"org.opencontainers.image.ref.name\":"
                    + "\"v1\"}}]}");
            return dir;
        }

        /** Writes {@code json} (ASCII) as a blob of the layout; its hex digest. */
        static String blob(Path blobs, String json) throws IOException {
            byte[] bytes = json.getBytes(StandardCharsets.US_ASCII);
            String hex = HexFormat.of().formatHex(sha256().digest(bytes));
            Files.write(blobs.resolve(hex), bytes);
            return hex;
        }

        // --- scaling curve ----------------------------------------------------------------------------------

        /**
         * Opt-in ({@code --only scale}; long): one repository's tags and the number of repositories grow in steps
         * ({@code --scale-tags}, {@code --scale-repos}) on servers started for this group, and at each step the same
         * requests are timed: the first and a middle tags page (n=100), GET manifest by tag, the first and a middle
         * catalog page. A registry whose cost is flat in the data gives the same figures at every step. Population
         * stops at {@code --populate-timeout} per step and registry (noted); later steps of that registry are skipped.
         */
        void scale() throws Exception {
            Content config = new Bytes("{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\"}}");
            Content layer = new GenBlob(42_000, 1024);
            String repo = "bench/scale";
            for (String kind : number % 2 == 1 ? List.of(BOLLARD, DISTRIBUTION) : List.of(DISTRIBUTION, BOLLARD)) {
                Server s = Server.start(kind, dir.resolve("scale-" + kind));
                try {
                    try (Http h = new Http(s.port)) {
                        uploadBlob(h, repo, config, false, 0);
                        uploadBlob(h, repo, layer, false, 0);
                    }
                    Bytes shared = new Bytes(manifestJson(config, List.of(layer), null));
                    AtomicInteger nextTag = new AtomicInteger();
                    AtomicInteger tags = new AtomicInteger();
                    AtomicInteger nextRepo = new AtomicInteger();
                    AtomicInteger repos = new AtomicInteger();
                    int steps = Math.max(O.scaleTags.length, O.scaleRepos.length);
                    for (int step = 0; step < steps; step++) {
                        if (step < O.scaleTags.length) {
                            int want = O.scaleTags[step];
                            nextTag.set(tags.get()); // each worker took one index past the last step's end
                            long t0 = System.nanoTime();
                            populate(s, want, t0 + (long) (O.populateTimeout * 1e9), (h, i) -> putManifest(h, repo,
                                    tagName(i), new Bytes(manifestJson(config, List.of(layer), "s" + i))), nextTag, tags);
                            log("run %d: %-12s scale: %d tags (%.0f/s)", number, kind, tags.get(),
                                    (tags.get() - (step == 0 ? 0 : O.scaleTags[step - 1])) / ((System.nanoTime() - t0) / 1e9));
                            if (tags.get() < want) {
                                notes.add(kind + ": scale: tag population stopped by the time limit at " + tags.get()
                                        + " of " + want);
                                break;
                            }
                            String mid = tagName(want / 2);
                            timeAt(s, "scale.tags." + want + ".first", "/v2/" + repo + "/tags/list?n=100");
                            timeAt(s, "scale.tags." + want + ".middle", "/v2/" + repo + "/tags/list?n=100&last=" + mid);
                            timeAt(s, "scale.tags." + want + ".get", "/v2/" + repo + "/manifests/" + mid);
                        }
                        if (step < O.scaleRepos.length) {
                            int want = O.scaleRepos[step];
                            nextRepo.set(repos.get());
                            long t0 = System.nanoTime();
                            populate(s, want, t0 + (long) (O.populateTimeout * 1e9), (h, i) -> {
                                String r = repoName(i);
                                for (Content c : List.of(config, layer)) {
                                    expect(h.send("POST", "/v2/" + r + "/blobs/uploads/?mount=" + c.digest() + "&from="
                                            + repo), 201, "mount into " + r);
                                }
                                putManifest(h, r, "v1", shared);
                            }, nextRepo, repos);
                            log("run %d: %-12s scale: %d repositories (%.0f/s)", number, kind, repos.get(),
                                    (repos.get() - (step == 0 ? 0 : O.scaleRepos[step - 1])) / ((System.nanoTime() - t0) / 1e9));
                            if (repos.get() < want) {
                                notes.add(kind + ": scale: repository population stopped by the time limit at "
                                        + repos.get() + " of " + want);
                                break;
                            }
                            timeAt(s, "scale.repos." + want + ".first", "/v2/_catalog?n=100");
                            timeAt(s, "scale.repos." + want + ".middle", "/v2/_catalog?n=100&last=" + repoName(want / 2));
                        }
                    }
                } finally {
                    s.stop();
                }
            }
        }

        void timeAt(Server s, String key, String path) throws Exception {
            double[] r = latency(s, path, O.metaSamples);
            put(s.kind, key + ".ms", r[0]);
            log("run %d: %-12s %-28s median %8.2f ms  max %8.2f ms", number, s.kind, key, r[0], r[1]);
        }

        // --- metadata at scale ------------------------------------------------------------------------------

        void meta() throws Exception {
            Content config = new Bytes("{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\"}}");
            Content layer = new GenBlob(40_000, 1024);
            String tagsRepo = "bench/tags";
            for (Server s : ordered()) {
                try (Http h = new Http(s.port)) {
                    uploadBlob(h, tagsRepo, config, false, 0);
                    uploadBlob(h, tagsRepo, layer, false, 0);
                }
                // Tags: one manifest per tag (an annotation makes each one distinct), PUT by tag.
                long t0 = System.nanoTime();
                long deadline = t0 + (long) (O.populateTimeout * 1e9);
                AtomicInteger next = new AtomicInteger();
                AtomicInteger done = new AtomicInteger();
                long tagsDeadline = deadline;
                jfr(s, "meta-populate-tags", () -> populate(s, O.tags, tagsDeadline, (h, i) -> {
                    Bytes m = new Bytes(manifestJson(config, List.of(layer), "t" + i));
                    putManifest(h, tagsRepo, tagName(i), m);
                }, next, done));
                double secs = (System.nanoTime() - t0) / 1e9;
                put(s.kind, "populate.tags.s", secs);
                put(s.kind, "populate.tags.count", done.get());
                if (populateRates != null) {
                    put(s.kind, "populate.tags.rate.first10", populateRates[0]);
                    put(s.kind, "populate.tags.rate.last10", populateRates[1]);
                }
                log("run %d: %s: %d tags in %.1f s (%.0f/s)", number, s.kind, done.get(), secs, done.get() / secs);
                if (done.get() < O.tags) {
                    notes.add(s.kind + ": tag population stopped by the time limit at " + done.get() + " of " + O.tags);
                }
                // Repositories: mount the two blobs from bench/tags, PUT one manifest by tag.
                Bytes m = new Bytes(manifestJson(config, List.of(layer), null));
                t0 = System.nanoTime();
                deadline = t0 + (long) (O.populateTimeout * 1e9);
                next.set(0);
                done.set(0);
                long reposDeadline = deadline;
                jfr(s, "meta-populate-repos", () -> populate(s, O.repos, reposDeadline, (h, i) -> {
                    String repo = repoName(i);
                    for (Content c : List.of(config, layer)) {
                        expect(h.send("POST", "/v2/" + repo + "/blobs/uploads/?mount=" + c.digest() + "&from=" + tagsRepo),
                                201, "mount into " + repo);
                    }
                    putManifest(h, repo, "v1", m);
                }, next, done));
                secs = (System.nanoTime() - t0) / 1e9;
                put(s.kind, "populate.repos.s", secs);
                put(s.kind, "populate.repos.count", done.get());
                log("run %d: %s: %d repositories in %.1f s (%.0f/s)", number, s.kind, done.get(), secs,
                        done.get() / secs);
                if (done.get() < O.repos) {
                    notes.add(s.kind + ": repository population stopped by the time limit at " + done.get() + " of "
                            + O.repos);
                }
            }
            int n = 100;
            String midTag = tagName(O.tags / 2);
            String midRepo = repoName(O.repos / 2);
            String[][] pages = {
                    {"tags.first", "/v2/" + tagsRepo + "/tags/list?n=" + n},
                    {"tags.middle", "/v2/" + tagsRepo + "/tags/list?n=" + n + "&last=" + midTag},
                    {"tags.all", "/v2/" + tagsRepo + "/tags/list"},
                    {"catalog.first", "/v2/_catalog?n=" + n},
                    {"catalog.middle", "/v2/_catalog?n=" + n + "&last=" + midRepo},
            };
            for (String[] p : pages) {
                for (Server s : ordered()) {
                    jfr(s, "meta-" + p[0], () -> {
                        double[] r = latency(s, p[1], O.metaSamples);
                        put(s.kind, "meta." + p[0] + ".ms", r[0]);
                        put(s.kind, "meta." + p[0] + ".max.ms", r[1]);
                        put(s.kind, "meta." + p[0] + ".entries", r[2]);
                        log("run %d: %-12s %-15s median %8.2f ms  max %8.2f ms  %6.0f entries", number, s.kind, p[0],
                                r[0], r[1], r[2]);
                    });
                }
            }
            // Correctness: the whole tag list has every tag; paging through the catalog finds every repository.
            for (Server s : ordered()) {
                double all = values.get(s.kind).get("meta.tags.all.entries");
                double want = values.get(s.kind).get("populate.tags.count");
                if (all != want) {
                    throw new BenchException(s.kind + ": tags/list has " + all + " tags, " + want + " were pushed");
                }
                int repos = catalogRepos(s);
                double wantRepos = values.get(s.kind).get("populate.repos.count");
                if (repos != wantRepos) {
                    throw new BenchException(s.kind + ": paging through the catalog finds " + repos
                            + " bench/repo-* repositories, " + wantRepos + " were pushed");
                }
            }
            // Start-up again, now on the populated data (informative): stop each server and start it on its directory.
            for (Server s : ordered()) {
                Server again = s.restart();
                if (s == bollard) {
                    bollard = again;
                } else {
                    distribution = again;
                }
                put(again.kind, "startup.populated.ms", again.startupMs);
                try (Http h = new Http(again.port)) {
                    expect(h.send("GET", "/v2/" + tagsRepo + "/tags/list?n=1"), 200, "tags list after restart");
                }
                log("run %d: %-12s restarted on the populated data in %.0f ms", number, again.kind, again.startupMs);
                if (again.kind.equals(BOLLARD)) { // what the start-up spent its time on, kept past the clean-up
                    Files.copy(again.log, O.out.resolve("bollard-restart-run" + number + ".log"),
                            java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }

        /** Pages through the whole catalog (n=1000, following Link) and counts the populated repositories. */
        int catalogRepos(Server s) throws Exception {
            int found = 0;
            String next = "/v2/_catalog?n=1000";
            try (Http h = new Http(s.port)) {
                for (int page = 0; next != null && page < 10_000; page++) {
                    Resp r = expect(h.send("GET", next), 200, "GET " + next);
                    found += (int) names(r.text()).stream().filter(x -> x.startsWith("bench/repo-")).count();
                    String link = r.header("Link");
                    next = link == null ? null : link.substring(link.indexOf('<') + 1, link.indexOf('>'));
                }
            }
            return found;
        }

        void populate(Server s, int count, long deadline, IoTask<Integer> task, AtomicInteger next, AtomicInteger done)
                throws Exception {
            List<Integer> workers = new ArrayList<>();
            for (int i = 0; i < O.populateConns; i++) {
                workers.add(i);
            }
            long t0 = System.nanoTime();
            int tenth = Math.max(1, count / 10);
            AtomicLong at10 = new AtomicLong();
            AtomicLong at90 = new AtomicLong();
            parallel(s.port, O.populateConns, workers, (h, w) -> {
                for (int i; System.nanoTime() < deadline && (i = next.getAndIncrement()) < count; ) {
                    task.run(h, i);
                    int d = done.incrementAndGet();
                    if (d == tenth) {
                        at10.set(System.nanoTime());
                    } else if (d == count - tenth) {
                        at90.set(System.nanoTime());
                    }
                }
            });
            long t1 = System.nanoTime();
            // Requests per second over the first and the last tenth: does a PUT get slower as the data grows?
            populateRates = at10.get() == 0 || at90.get() == 0 || done.get() < count ? null
                    : new double[] {tenth / ((at10.get() - t0) / 1e9), tenth / ((t1 - at90.get()) / 1e9)};
        }

        double[] populateRates;

        /** Median and max latency (ms) of {@code samples} sequential GETs after two warm-up requests, and the entries returned. */
        double[] latency(Server s, String path, int samples) throws Exception {
            double[] ms = new double[samples];
            int entries = -1;
            long budget = System.nanoTime() + 60_000_000_000L;
            int taken = 0;
            try (Http h = new Http(s.port)) {
                for (int i = -2; i < samples; i++) {
                    long t0 = System.nanoTime();
                    Resp r = expect(h.send("GET", path, "Accept", ACCEPT), 200, "GET " + path);
                    double t = (System.nanoTime() - t0) / 1e6;
                    if (i >= 0) {
                        ms[taken++] = t;
                    }
                    entries = countEntries(r.text());
                    if (i >= 2 && System.nanoTime() > budget) {
                        break; // at least three samples, at most a minute per page
                    }
                }
            }
            double[] got = Arrays.copyOf(ms, taken);
            Arrays.sort(got);
            return new double[] {got[(got.length - 1) / 2], got[got.length - 1], entries};
        }

        // --- profiling --------------------------------------------------------------------------------------

        void jfr(Server s, String name, Step step) throws Exception {
            boolean on = O.jfr != null && s.kind.equals(BOLLARD);
            if (on) {
                jcmd(s, "JFR.start", "name=bench", "settings=profile");
            }
            Process perf = O.perf == null ? null : startPerf(s, name);
            try {
                step.run();
            } finally {
                if (on) {
                    Files.createDirectories(O.jfr);
                    jcmd(s, "JFR.stop", "name=bench", "filename=" + O.jfr.resolve("run" + number + "-" + name + ".jfr"));
                }
                if (perf != null) {
                    stopPerf(s, perf);
                }
            }
        }

        /**
         * perf record of one server during one workload, user and kernel stacks (what JFR does not see: the copies,
         * the page cache, fsync). For Bollard the JIT's symbols are written to /tmp/perf-PID.map for perf report.
         */
        Process startPerf(Server s, String name) throws Exception {
            Files.createDirectories(O.perf);
            Path file = O.perf.resolve("run" + number + "-" + s.kind + "-" + name + ".perf.data");
            Process p = new ProcessBuilder("perf", "record", "-q", "-g", "-F", "997", "-p", String.valueOf(s.pid),
                    "-o", file.toString()).redirectErrorStream(true).redirectOutput(O.perf.resolve("perf.log").toFile())
                    .start();
            Thread.sleep(300); // perf attaches asynchronously
            return p;
        }

        void stopPerf(Server s, Process perf) throws Exception {
            if (s.kind.equals(BOLLARD)) {
                jcmd(s, "Compiler.perfmap");
            }
            new ProcessBuilder("kill", "-INT", String.valueOf(perf.pid())).start().waitFor();
            perf.waitFor();
        }
    }

    /**
     * The AOT cache `./bollard build` trains beside the jar (JDK 25+), when it is newer than the jar: Bollard runs as
     * `./bollard serve` runs it. `--aot off` measures without it.
     */
    static Optional<Path> aotCache() {
        String name = O.jar.getFileName().toString().replaceFirst("\\.jar$", "") + ".aot";
        Path cache = O.jar.resolveSibling(name);
        try {
            boolean fresh = Files.isRegularFile(cache)
                    && Files.getLastModifiedTime(cache).compareTo(Files.getLastModifiedTime(O.jar)) > 0;
            return O.aot && fresh && Runtime.version().feature() >= 25 ? Optional.of(cache) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** A failed load: the server's threads as they are now, in the results directory (Bollard only). */
    static String threadDump(Server s, String name) {
        if (!s.kind.equals(BOLLARD) || !s.proc.isAlive()) {
            return "";
        }
        try {
            Path file = O.out.resolve("threads-" + name + "-" + s.pid + ".txt");
            jcmd(s, "Thread.dump_to_file", "-format=text", file.toString());
            Files.copy(s.log, O.out.resolve("server-" + s.pid + ".log"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            return "; the server's threads: " + file + ", its log beside";
        } catch (Exception e) {
            return "; no thread dump: " + e.getMessage();
        }
    }

    static String jcmd(Server s, String... args) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(O.java).resolveSibling("jcmd").toString());
        cmd.add(String.valueOf(s.pid));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new BenchException("jcmd " + String.join(" ", args) + " failed:\n" + out);
        }
        return out;
    }

    static String tagName(int i) {
        return String.format(Locale.ROOT, "tag-%06d", i);
    }

    static String repoName(int i) {
        return String.format(Locale.ROOT, "bench/repo-%05d", i);
    }

    /** Entries of the JSON array in a tags list or catalog answer. */
    static int countEntries(String json) {
        int open = json.indexOf('[');
        int close = json.lastIndexOf(']');
        if (open < 0 || close < open) {
            return 0;
        }
        String inner = json.substring(open + 1, close).trim();
        if (inner.isEmpty()) {
            return 0;
        }
        int n = 1;
        for (int i = 0; i < inner.length(); i++) {
            if (inner.charAt(i) == ',') {
                n++;
            }
        }
        return n;
    }

    /** The strings of the JSON array in a tags list or catalog answer. */
    static List<String> names(String json) {
        int open = json.indexOf('[');
        int close = json.lastIndexOf(']');
        List<String> out = new ArrayList<>();
        if (open < 0 || close < open) {
            return out;
        }
        for (String part : json.substring(open + 1, close).split(",")) {
            String t = part.trim();
            if (t.length() >= 2) {
                out.add(t.substring(1, t.length() - 1));
            }
        }
        return out;
    }

    static boolean wrkAvailable() {
        try {
            Process p = new ProcessBuilder("wrk", "--version").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            p.waitFor();
            return true;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    static double wrk(int port, String path, int conns, double seconds, String authorization) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("wrk", "-t", String.valueOf(Math.min(conns, O.loadThreads)), "-c",
                String.valueOf(conns), "-d", Math.max(1, Math.round(seconds)) + "s", "-H", "Accept: " + ACCEPT));
        if (authorization != null) {
            cmd.addAll(List.of("-H", "Authorization: " + authorization));
        }
        cmd.add("http://127.0.0.1:" + port + path);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor();
        if (out.contains("Non-2xx")) {
            throw new BenchException("wrk saw errors:\n" + out);
        }
        for (String l : out.split("\n")) {
            if (l.startsWith("Requests/sec:")) {
                return Double.parseDouble(l.substring(13).trim());
            }
        }
        throw new BenchException("cannot parse wrk output:\n" + out);
    }

    /**
     * Flushes dirty pages before a timed push (untimed): Bollard syncs each blob it stores, Distribution leaves
     * the kernel to write back later, which would otherwise land in the next registry's measurement.
     */
    static void syncDisks() throws Exception {
        new ProcessBuilder("sync").inheritIO().start().waitFor();
    }

    /** CPU time (user + system, 10 ms ticks) of this client's threads. */
    static long selfTicks() {
        try {
            String st = Files.readString(Path.of("/proc/self/stat"));
            String[] f = st.substring(st.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(f[11]) + Long.parseLong(f[12]);
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    static long du(Path p) throws IOException {
        Process proc = new ProcessBuilder("du", "-sb", p.toString()).redirectErrorStream(true).start();
        String out = new String(proc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            proc.waitFor();
            return Long.parseLong(out.trim().split("\\s+")[0]);
        } catch (InterruptedException | RuntimeException e) {
            return -1;
        }
    }

    static void deleteTree(Path p) {
        if (!Files.exists(p)) {
            return;
        }
        try {
            // rm is much faster than a Java walk on hundreds of thousands of small files.
            new ProcessBuilder("rm", "-rf", p.toString()).inheritIO().start().waitFor();
        } catch (IOException | InterruptedException e) {
            log("bench: cannot delete %s: %s", p, e);
        }
    }

    static double median(List<Double> xs) {
        List<Double> s = xs.stream().filter(x -> !x.isNaN()).sorted().toList();
        if (s.isEmpty()) {
            return Double.NaN;
        }
        int n = s.size();
        return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
    }

    // ---------------------------------------------------------------------------------------------------------
    // Environment and report.

    static final class Env {
        final String date = DateTimeFormatter.ISO_INSTANT.format(Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS));
        String cpu;
        int cores;
        String memory;
        String kernel;
        String serverJava;
        String clientJava = System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version");
        String distribution;
        String openssl;
        String wrk;
        String commit;
        String benchCommit;
        String loadAtStart = loadavg();
        String loadAtEnd;
        double totalSeconds;
        String disk;

        static Env collect() {
            Env e = new Env();
            e.cpu = grep("/proc/cpuinfo", "model name");
            e.cores = Runtime.getRuntime().availableProcessors();
            e.memory = grep("/proc/meminfo", "MemTotal");
            e.kernel = sh("uname", "-srm");
            e.serverJava = sh(O.java, "-version").lines().filter(l -> l.contains("Runtime") || l.contains("VM"))
                    .findFirst().orElse("?");
            e.distribution = sh(O.distribution, "--version");
            e.openssl = sh("openssl", "version");
            e.wrk = sh("wrk", "--version").lines().findFirst().orElse("absent");
            String head = sh("git", "-C", O.root.toString(), "log", "-1", "--format=%h %s", "--", "src", "pom.xml");
            e.benchCommit = sh("git", "-C", O.root.toString(), "log", "-1", "--format=%h", "--", "bench");
            String dirty = sh("git", "-C", O.root.toString(), "status", "--porcelain", "--untracked-files=no", "--", "src",
                    "pom.xml");
            e.commit = head + (dirty.isBlank() ? "" : " (with uncommitted changes in src/)");
            e.disk = sh("df", "-h", "--output=source,fstype,size", O.work.toString()).lines().skip(1).findFirst()
                    .orElse("?").trim();
            return e;
        }

        static String loadavg() {
            try {
                String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
                return f[0] + " " + f[1] + " " + f[2];
            } catch (IOException e) {
                return "?";
            }
        }

        static String grep(String file, String key) {
            try {
                return Files.readAllLines(Path.of(file)).stream().filter(l -> l.startsWith(key)).findFirst()
                        .map(l -> l.substring(l.indexOf(':') + 1).trim()).orElse("?");
            } catch (IOException e) {
                return "?";
            }
        }

        static String sh(String... cmd) {
            try {
                Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
                String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
                p.waitFor();
                return out;
            } catch (IOException | InterruptedException e) {
                return "?";
            }
        }
    }

    /** A row of the results table: how a metric is shown and which way is better. */
    record Metric(String key, String label, String unit, boolean higherIsBetter) {
    }

    static final class Report {
        final Env env;
        final List<Run> runs;
        final List<Metric> metrics = new ArrayList<>();

        Report(Env env, List<Run> runs) {
            this.env = env;
            this.runs = runs;
            m("startup.ms", "Start-up to first GET /v2/ 200 (fresh data dir)", "ms", false);
            m("startup.populated.ms", "Start-up on the populated data of the metadata workload (informative)", "ms", false);
            m("push.big.mono", "Push 1 image, 1 layer of " + size(O.bigBytes) + ", monolithic (POST+PUT)", "MB/s", true);
            m("push.big.chunked", "Push 1 image, 1 layer of " + size(O.bigBytes) + ", chunked (PATCH " + size(O.bigChunk)
                    + ")", "MB/s", true);
            m("push.layers.mono", "Push " + O.layers + " layers of " + size(O.layerBytes) + ", monolithic, "
                    + O.pushConns + " conns", "MB/s", true);
            m("push.layers.chunked", "Push " + O.layers + " layers of " + size(O.layerBytes) + ", chunked (PATCH "
                    + size(O.layerChunk) + "), " + O.pushConns + " conns", "MB/s", true);
            m("push.probe.mono", "Push 1 layer of " + size(O.probeBytes) + ", monolithic (informative)", "MB/s", true);
            m("pull.big", "Pull the " + size(O.bigBytes) + " image (median of " + O.pullReps + ")", "MB/s", true);
            m("pull.layers", "Pull the " + O.layers + "-layer image, " + O.pushConns + " conns (median of " + O.pullReps
                    + ")", "MB/s", true);
            m("pull.parallel", O.pullers + " parallel pullers of the " + size(O.bigBytes) + " layer (aggregate)", "MB/s",
                    true);
            for (int c : O.conns) {
                for (String k : List.of("head-tag", "get-tag", "get-digest")) {
                    String what = switch (k) {
                        case "head-tag" -> "HEAD manifest by tag (tag resolution)";
                        case "get-tag" -> "GET manifest by tag";
                        default -> "GET manifest by digest";
                    };
                    m("load." + k + ".c" + c + ".rps", what + ", " + c + " conn" + (c == 1 ? "" : "s"), "req/s", true);
                    m("load." + k + ".c" + c + ".p50", "  p50 latency", "ms", false);
                    m("load." + k + ".c" + c + ".p99", "  p99 latency", "ms", false);
                }
            }
            int wc = Math.min(32, Arrays.stream(O.conns).max().orElse(1));
            m("wrk.get-tag.c" + wc + ".rps", "GET manifest by tag, " + wc + " conns, measured by wrk (cross-check)",
                    "req/s", true);
            m("meta.tags.first.ms", "Tags list, first page (n=100), " + O.tags + " tags", "ms", false);
            m("meta.tags.middle.ms", "Tags list, middle page (n=100&last=)", "ms", false);
            m("meta.tags.all.ms", "Tags list, all " + O.tags + " tags (informative)", "ms", false);
            m("meta.catalog.first.ms", "Catalog, first page (n=100), " + O.repos + " repositories", "ms", false);
            m("meta.catalog.middle.ms", "Catalog, middle page (n=100&last=)", "ms", false);
            m("meta.tags.first.entries", "  entries returned for the first tags page", "", true);
            m("populate.tags.s", "Populate " + O.tags + " tags (" + O.populateConns + " conns, informative)", "s", false);
            m("populate.tags.rate.first10", "  tag PUTs/s over the first tenth", "req/s", true);
            m("populate.tags.rate.last10", "  tag PUTs/s over the last tenth", "req/s", true);
            m("populate.repos.s", "Populate " + O.repos + " repositories (informative)", "s", false);
            m("rss.push.probe", "Peak RSS during the " + size(O.probeBytes) + " push", "MiB", false);
            m("rss.push.big.mono", "Peak RSS during the " + size(O.bigBytes) + " monolithic push", "MiB", false);
            m("rss.push.big.chunked", "Peak RSS during the " + size(O.bigBytes) + " chunked push", "MiB", false);
            m("rss.load.max-conns", "Peak RSS under " + Arrays.stream(O.conns).max().orElse(1)
                    + "-connection manifest load", "MiB", false);
            m("disk.after-push.MiB", "Disk used after the pushes (informative)", "MiB", false);
            m("scan.backlog.s", "Background scans of the pushed images still running after the workloads (informative)",
                    "s", false);
            m("rss.idle", "RSS after the workloads and the background scans, idle for " + Math.round(O.idleWait) + " s",
                    "MiB", false);
            String fc = O.farmConns + " conns";
            m("farm.password.rps", "CI farm: token requests with a user password, " + fc
                    + " (Distribution: htpasswd, bcrypt)", "req/s", true);
            m("farm.password.p99", "  p99 latency (401 and token requests)", "ms", false);
            m("farm.app.rps", "CI farm: token requests with an application token, " + fc
                    + " (Distribution: htpasswd)", "req/s", true);
            m("farm.robot.rps", "CI farm: token requests with a robot token, " + fc + " (Distribution: htpasswd)",
                    "req/s", true);
            m("rss.farm.password", "Peak RSS during the password farm", "MiB", false);
            m("auth.get-tag.rps", "GET manifest by tag with authentication, " + fc
                    + " (Bollard: bearer token; Distribution: htpasswd Basic)", "req/s", true);
            m("auth.get-tag.p99", "  p99 latency", "ms", false);
            m("open.get-tag.rps", "GET manifest by tag without authentication, " + fc + " (both without access log)",
                    "req/s", true);
            m("open.get-tag.p99", "  p99 latency", "ms", false);
            String crowd = O.crowdLayers + " × " + size(O.crowdLayerBytes);
            m("crowd.push", O.crowdPushers + " clients at once, each pushing its own image of " + crowd + " (aggregate)",
                    "MB/s", true);
            m("crowd.push.manifest.p99", "  p99 of the manifest PUTs among them", "ms", false);
            m("crowd.pull", O.crowdPullers + " clients pulling one image of " + crowd + " over and over (aggregate)",
                    "MB/s", true);
            m("crowd.pull.manifest.p99", "  p99 of the manifest GETs among them", "ms", false);
            m("rss.crowd.push", "Peak RSS during the " + O.crowdPushers + " pushers", "MiB", false);
            m("rss.crowd.pull", "Peak RSS during the " + O.crowdPullers + " pullers", "MiB", false);
            m("background.idle.rps", "GET manifest, bearer token, " + fc + ", idle, beside a repository of "
                    + (O.backgroundTags > 0 ? O.backgroundTags : O.tags) + " tags (Bollard only)", "req/s", true);
            m("background.idle.p99", "  p99 latency", "ms", false);
            m("background.busy.rps", "The same while retention prunes those tags to 10 and GC collects them", "req/s",
                    true);
            m("background.busy.p99", "  p99 latency (worst window)", "ms", false);
            m("background.retention.s", "  retention apply took", "s", false);
            m("background.gc.s", "  gc took", "s", false);
            m("webhooks.push.none", "Webhooks: small pushes, " + O.pushConns + " conns, no webhook", "pushes/s", true);
            m("webhooks.push.ten", "  the same with 10 registry-wide webhooks to a loopback receiver", "pushes/s", true);
            m("webhooks.push.ratio", "  with 10 / without (target: at least 0.95)", "ratio", true);
            m("webhooks.paced.rate", "Webhooks: pushes paced at 1,000 a minute, 10 webhooks", "pushes/min", true);
            m("webhooks.latency.p50", "  push answered to tag.created received, p50", "ms", false);
            m("webhooks.latency.p99", "  p99 (target: reported)", "ms", false);
            m("webhooks.latency.max", "  max", "ms", false);
            m("webhooks.drain.s", "  the last delivery, after the last push", "s", false);
            m("webhooks.delivery.rate", "  deliveries received meanwhile (all events, 10 webhooks)", "per s", true);
            for (int n : O.scaleTags) {
                m("scale.tags." + n + ".first.ms", "Scale: tags list, first page (n=100), " + n + " tags", "ms", false);
                m("scale.tags." + n + ".middle.ms", "  middle page (n=100&last=)", "ms", false);
                m("scale.tags." + n + ".get.ms", "  GET manifest by tag", "ms", false);
            }
            for (int n : O.scaleRepos) {
                m("scale.repos." + n + ".first.ms", "Scale: catalog, first page (n=100), " + n + " repositories", "ms", false);
                m("scale.repos." + n + ".middle.ms", "  middle page (n=100&last=)", "ms", false);
            }
            String tls = "skopeo, one " + size(O.tlsBytes) + " layer, ";
            m("tls.http.push.MBps", "TLS group: push, " + tls + "plain HTTP", "MB/s", true);
            m("tls.https.push.MBps", "  push over TLS (CA verified)", "MB/s", true);
            m("tls.http.pull.MBps", "  pull, plain HTTP", "MB/s", true);
            m("tls.https.pull.MBps", "  pull over TLS (CA verified)", "MB/s", true);
            String proxied = "one image of " + size(O.proxyBytes) + " + " + O.proxySmall + " × " + size(O.proxySmallBytes);
            m("proxy.cold.s", "Proxy: cold pull through the proxy, " + proxied, "s", false);
            m("proxy.cold.vs-direct", "  / a pull straight from the upstream", "ratio", false);
            m("proxy.cold.ttfb.ms", "  time to first byte of the big layer, cold", "ms", false);
            m("proxy.cold.ttfb.vs-direct", "  / the same straight from the upstream (target: Bollard ≤ 1.2)", "ratio",
                    false);
            m("proxy.warm", "Proxy: warm pull, " + O.proxyClients + " clients at once, each the whole image (aggregate)",
                    "MB/s", true);
        }

        void m(String key, String label, String unit, boolean higher) {
            metrics.add(new Metric(key, label, unit, higher));
        }

        static String size(long b) {
            if (b >= 1L << 30 && b % (1L << 30) == 0) {
                return (b >> 30) + " GiB";
            }
            if (b >= MIB && b % MIB == 0) {
                return (b / MIB) + " MiB";
            }
            return (b / 1024) + " KiB";
        }

        List<Double> series(String registry, String key) {
            List<Double> xs = new ArrayList<>();
            for (Run r : runs) {
                Double v = r.values.getOrDefault(registry, Map.of()).get(key);
                if (v != null) {
                    xs.add(v);
                }
            }
            return xs;
        }

        double med(String registry, String key) {
            return median(series(registry, key));
        }

        /** Median over runs of the per-run ratio, oriented so that > 1 means Bollard is better. */
        double ratio(Metric m) {
            List<Double> rs = new ArrayList<>();
            for (Run r : runs) {
                Double b = r.values.getOrDefault(BOLLARD, Map.of()).get(m.key());
                Double d = r.values.getOrDefault(DISTRIBUTION, Map.of()).get(m.key());
                if (b != null && d != null && b > 0 && d > 0) {
                    rs.add(m.higherIsBetter() ? b / d : d / b);
                }
            }
            return median(rs);
        }

        double ratio(String key) {
            return metrics.stream().filter(m -> m.key().equals(key)).findFirst().map(this::ratio).orElse(Double.NaN);
        }

        static String fmt(double v) {
            if (Double.isNaN(v)) {
                return "–";
            }
            double a = Math.abs(v);
            if (a >= 100) {
                return String.format(Locale.ROOT, "%,.0f", v);
            }
            if (a >= 10) {
                return String.format(Locale.ROOT, "%.1f", v);
            }
            if (a >= 1) {
                return String.format(Locale.ROOT, "%.2f", v);
            }
            return String.format(Locale.ROOT, "%.3f", v);
        }

        static String x(double r) {
            return Double.isNaN(r) ? "–" : String.format(Locale.ROOT, "%.2fx", r);
        }

        record Target(String what, String measured, boolean met) {
        }

        List<Target> targets() {
            List<Target> t = new ArrayList<>();
            double sha = med(MACHINE, "bound.sha256.openssl");
            for (String k : List.of("pull.big", "pull.layers", "pull.parallel")) {
                ratioTarget(t, k, 1.2, "pull " + k.substring(5) + " ≥ 1.2x");
            }
            for (String k : List.of("push.big.mono", "push.big.chunked", "push.layers.mono", "push.layers.chunked")) {
                ratioTarget(t, k, 1.0, "push " + k.substring(5) + " ≥ 1.0x");
            }
            for (String k : List.of("push.big.mono", "push.big.chunked")) {
                double v = med(BOLLARD, k);
                if (!Double.isNaN(v) && !Double.isNaN(sha)) {
                    t.add(new Target("push " + k.substring(5) + " ≥ 70% of single-core SHA-256 (" + fmt(sha) + " MB/s)",
                            fmt(v) + " MB/s = " + Math.round(100 * v / sha) + "%", v >= 0.7 * sha));
                }
            }
            for (int c : O.conns) {
                for (String k : List.of("get-tag", "get-digest")) {
                    String key = "load." + k + ".c" + c;
                    double r = ratio(key + ".rps");
                    double p99 = ratio(key + ".p99");
                    if (!Double.isNaN(r)) {
                        t.add(new Target("manifest " + k + " at " + c + " conns ≥ 1.5x req/s, p99 no worse",
                                x(r) + " req/s, p99 " + fmt(med(BOLLARD, key + ".p99")) + " vs " + fmt(med(DISTRIBUTION,
                                        key + ".p99")) + " ms", r >= 1.5 && p99 >= 1.0));
                    }
                }
            }
            for (String k : List.of("meta.tags.first.ms", "meta.tags.middle.ms", "meta.catalog.first.ms",
                    "meta.catalog.middle.ms")) {
                ratioTarget(t, k, 10, k.substring(5, k.length() - 3).replace('.', ' ') + " ≥ 10x faster");
            }
            double big = med(BOLLARD, "rss.push.big.mono");
            double probe = med(BOLLARD, "rss.push.probe");
            if (!Double.isNaN(big)) {
                t.add(new Target("peak RSS during the " + size(O.bigBytes) + " push ≤ 256 MiB", fmt(big) + " MiB",
                        big <= 256));
            }
            if (!Double.isNaN(big) && !Double.isNaN(probe)) {
                t.add(new Target("peak RSS flat in the blob size (" + size(O.probeBytes) + " vs " + size(O.bigBytes)
                        + " push: ≤ 64 MiB more)", fmt(probe) + " → " + fmt(big) + " MiB", big - probe <= 64));
            }
            double pw = med(BOLLARD, "farm.password.rps");
            if (!Double.isNaN(pw)) {
                double r = ratio("farm.password.rps");
                t.add(new Target("token requests with a user password ≥ 1,000/s and ≥ 5x Distribution's htpasswd",
                        fmt(pw) + " req/s, " + x(r), pw >= 1000 && r >= 5));
            }
            double bearer = med(BOLLARD, "auth.get-tag.rps");
            double open = med(BOLLARD, "open.get-tag.rps");
            double distOpen = med(DISTRIBUTION, "open.get-tag.rps");
            if (!Double.isNaN(bearer) && !Double.isNaN(open)) {
                t.add(new Target("manifest GET with a bearer token (access log on) ≥ 80% of the same without "
                        + "authentication, at " + O.farmConns + " conns", fmt(bearer) + " vs " + fmt(open) + " req/s = "
                        + Math.round(100 * bearer / open) + "%", bearer >= 0.8 * open));
            }
            if (!Double.isNaN(bearer) && !Double.isNaN(distOpen)) {
                t.add(new Target("manifest GET with a bearer token ≥ 5x Distribution without authentication, at "
                        + O.farmConns + " conns", x(bearer / distOpen), bearer >= 5 * distOpen));
            }
            double idle = med(BOLLARD, "rss.idle");
            if (!Double.isNaN(idle)) {
                t.add(new Target("idle RSS after the workloads ≤ 256 MiB", fmt(idle) + " MiB", idle <= 256));
            }
            double underLoad = med(BOLLARD, "rss.load.max-conns");
            if (!Double.isNaN(underLoad)) {
                t.add(new Target("peak RSS under " + Arrays.stream(O.conns).max().orElse(1) + " connections ≤ 384 MiB",
                        fmt(underLoad) + " MiB", underLoad <= 384));
            }
            for (String k : List.of("crowd.push", "crowd.pull")) {
                double r = ratio(k);
                double p99 = med(BOLLARD, k + ".manifest.p99");
                if (!Double.isNaN(r)) {
                    t.add(new Target(k.replace('.', ' ') + " (" + (k.endsWith("push") ? O.crowdPushers : O.crowdPullers)
                            + " clients) ≥ 1.5x, manifest p99 ≤ 50 ms", x(r) + ", p99 " + fmt(p99) + " ms",
                            r >= 1.5 && p99 <= 50));
                }
            }
            double idleP99 = med(BOLLARD, "background.idle.p99");
            double busyP99 = med(BOLLARD, "background.busy.p99");
            if (!Double.isNaN(busyP99)) {
                t.add(new Target("manifest p99 under retention + GC within 2x of idle", fmt(busyP99) + " vs "
                        + fmt(idleP99) + " ms", busyP99 <= 2 * idleP99));
            }
            double warm = ratio("proxy.warm");
            if (!Double.isNaN(warm)) {
                t.add(new Target("warm proxy pulls ≥ 1.5x Distribution's pull-through cache", x(warm), warm >= 1.5));
            }
            double ttfb = med(BOLLARD, "proxy.cold.ttfb.vs-direct");
            if (!Double.isNaN(ttfb)) {
                t.add(new Target("cold proxy time to first byte ≤ 1.2x a direct upstream pull's", fmt(med(BOLLARD,
                        "proxy.cold.ttfb.ms")) + " vs " + fmt(med(MACHINE, "proxy.direct.ttfb.ms")) + " ms = " + x(ttfb),
                        ttfb <= 1.2));
            }
            double st = med(BOLLARD, "startup.ms");
            if (!Double.isNaN(st)) {
                t.add(new Target("start-up ≤ 2 s", fmt(st) + " ms", st <= 2000));
            }
            return t;
        }

        void ratioTarget(List<Target> t, String key, double min, String what) {
            double r = ratio(key);
            if (!Double.isNaN(r)) {
                t.add(new Target(what, x(r), r >= min));
            }
        }

        String markdown() {
            StringBuilder sb = new StringBuilder();
            sb.append("## Results: ").append(env.date).append(", ").append(O.mode).append(" mode, ").append(runs.size())
                    .append(" run(s)\n\n");
            sb.append("- Machine: ").append(env.cpu).append(", ").append(env.cores).append(" cores, ").append(env.memory)
                    .append(" RAM, ").append(env.kernel).append("; work dir on ").append(env.disk).append('\n');
            sb.append("- Bollard: last change to src/ ").append(env.commit).append(", ").append(env.serverJava).append(", ")
                    .append(O.bollardAuth ? "as users run it (access control on, access log on, the JVM options of "
                            + "./bollard serve: " + String.join(" ", jvmDefaultsOrEmpty()) + ")"
                            : "access control and access log off, -Xmx512m")
                    .append("; the auth group starts its own servers, ")
                    .append(aotCache().map(c -> "AOT cache " + c.getFileName() + " (trained by `bollard aot-train`)")
                            .orElse("no AOT cache")).append('\n');
            sb.append("- Distribution: ").append(env.distribution).append('\n');
            sb.append("- Client: bench/Bench.java (").append(env.benchCommit).append(") on ").append(env.clientJava).append("; ").append(env.openssl)
                    .append("; ").append(env.wrk).append('\n');
            sb.append("- Options: ").append(O.describe()).append('\n');
            sb.append("- Load average at start / end: ").append(env.loadAtStart).append(" / ").append(env.loadAtEnd)
                    .append("; total ").append(String.format(Locale.ROOT, "%.0f s", env.totalSeconds)).append('\n');
            double worst = runs.stream().flatMap(r -> r.foreign.values().stream()).mapToDouble(d -> d).max().orElse(0);
            sb.append("- Other processes' CPU use during the workload groups (cores, per run): ");
            sb.append(runs.stream().map(r -> r.foreign.entrySet().stream()
                            .map(e -> e.getKey() + " " + String.format(Locale.ROOT, "%.2f", e.getValue()))
                            .collect(Collectors.joining(", ", "run " + r.number + ": ", "")))
                    .collect(Collectors.joining("; "))).append('\n');
            if (worst > 0.25) {
                String which = runs.stream().flatMap(r -> r.foreign.entrySet().stream().filter(e -> e.getValue() > 0.25)
                                .map(e -> "run " + r.number + " " + e.getKey() + String.format(Locale.ROOT, " (%.2f)", e.getValue())))
                        .collect(Collectors.joining(", "));
                sb.append("- **Partly taken under load**: other processes kept more than a quarter of a core busy during ")
                        .append(which).append("; those figures are depressed and their ratios noisier.\n");
            }
            for (Run r : runs) {
                if (r.failure != null) {
                    sb.append("- **Run ").append(r.number).append(" failed**: ").append(r.failure).append('\n');
                }
                for (String n : r.notes) {
                    sb.append("- Run ").append(r.number).append(": ").append(n).append('\n');
                }
            }
            sb.append("\n### Physical bounds\n\n| bound | median | runs |\n|---|---:|---|\n");
            bound(sb, "bound.sha256.openssl", "SHA-256, one core (`openssl speed -evp sha256`, 1 MiB blocks)");
            bound(sb, "bound.sha256.java", "SHA-256, one core (JDK MessageDigest, 1 MiB blocks)");
            bound(sb, "bound.loopback", "Loopback TCP copy, 1 stream (1 writer + 1 reader thread, 1 MiB buffers)");
            bound(sb, "bound.loopback.parallel", "Loopback TCP copy, " + O.pullers + " streams at once (aggregate)");
            bound(sb, "bound.disk", "File write + fsync of " + size(O.diskBytes) + " in the work dir");
            bound(sb, "bound.store", "Receive " + size(O.diskBytes) + " over loopback, SHA-256 and file write on two more threads, fdatasync (no HTTP)");
            List<Double> fs = series(MACHINE, "bound.fsync.ms");
            if (!fs.isEmpty()) {
                sb.append("| Write + fsync of a new 1 MiB file and its directory (median of 20; latency) | ")
                        .append(fmt(median(fs))).append(" ms | ").append(fs.stream().map(Report::fmt)
                                .collect(Collectors.joining(", "))).append(" |\n");
            }
            double sha = med(MACHINE, "bound.sha256.openssl");
            double lo = med(MACHINE, "bound.loopback");
            double lop = med(MACHINE, "bound.loopback.parallel");
            if (!Double.isNaN(sha) || !Double.isNaN(lo)) {
                sb.append("\n| against the bounds | Bollard | Distribution |\n|---|---:|---:|\n");
                double store = med(MACHINE, "bound.store");
                for (String k : List.of("push.big.mono", "push.big.chunked")) {
                    against(sb, k, "of SHA-256", sha);
                    against(sb, k, "of receive + hash + store", store);
                }
                against(sb, "pull.big", "of loopback (1 stream)", lo);
                against(sb, "pull.parallel", "of loopback (" + O.pullers + " streams)", lop);
            }
            sb.append("\n### Workloads (medians of ").append(runs.size()).append(" run(s); ratio = median of per-run "
                    + "ratios, > 1 means Bollard is better)\n\n");
            sb.append("| workload | unit | Bollard | Distribution | ratio |\n|---|---|---:|---:|---:|\n");
            for (Metric m : metrics) {
                double b = med(BOLLARD, m.key());
                double d = med(DISTRIBUTION, m.key());
                if (Double.isNaN(b) && Double.isNaN(d)) {
                    continue;
                }
                String label = m.label().startsWith("  ") ? "&nbsp;&nbsp;" + m.label().trim() : m.label();
                boolean informative = m.key().startsWith("rss.") || m.key().startsWith("disk.") || m.key().endsWith(".entries")
                        || m.key().startsWith("populate.") || m.key().startsWith("background.");
                sb.append("| ").append(label).append(" | ").append(m.unit()).append(" | ").append(fmt(b)).append(" | ")
                        .append(fmt(d)).append(" | ").append(informative ? "" : x(ratio(m))).append(" |\n");
            }
            List<String> transfers = List.of("push.big.mono", "push.big.chunked", "push.layers.mono", "push.layers.chunked",
                    "pull.big", "pull.layers", "pull.parallel");
            if (transfers.stream().anyMatch(k -> !Double.isNaN(med(BOLLARD, k + ".cpu.server")))) {
                sb.append("\n### CPU seconds per transfer (median; 2 cores shared by client and server)\n\n")
                        .append("| transfer | Bollard: server / client / wall | Distribution: server / client / wall |\n")
                        .append("|---|---:|---:|\n");
                for (String k : transfers) {
                    sb.append("| ").append(k).append(" | ").append(cpu(BOLLARD, k)).append(" | ").append(cpu(DISTRIBUTION, k))
                            .append(" |\n");
                }
            }
            sb.append("\n### Targets\n\n| target | measured | |\n|---|---|---|\n");
            List<Target> ts = targets();
            for (Target t : ts) {
                sb.append("| ").append(t.what()).append(" | ").append(t.measured()).append(" | ")
                        .append(t.met() ? "met" : "**missed**").append(" |\n");
            }
            long met = ts.stream().filter(Target::met).count();
            sb.append("\n").append(met).append(" of ").append(ts.size()).append(" targets met.\n");
            return sb.toString();
        }

        /** Server CPU s / client CPU s / wall s of a transfer; wall time from its MB/s and the bytes moved. */
        String cpu(String registry, String key) {
            double server = med(registry, key + ".cpu.server");
            double client = med(registry, key + ".cpu.client");
            double mbps = med(registry, key);
            double bytes = switch (key) {
                case "push.big.mono", "push.big.chunked", "pull.big" -> O.bigBytes;
                case "pull.parallel" -> (double) O.bigBytes * O.pullers;
                default -> (double) O.layers * O.layerBytes;
            };
            if (Double.isNaN(server)) {
                return "–";
            }
            return fmt(server) + " / " + fmt(client) + " / " + fmt(bytes / MB / mbps);
        }

        void bound(StringBuilder sb, String key, String label) {
            List<Double> xs = series(MACHINE, key);
            if (xs.isEmpty()) {
                return;
            }
            sb.append("| ").append(label).append(" | ").append(fmt(median(xs))).append(" MB/s | ")
                    .append(xs.stream().map(Report::fmt).collect(Collectors.joining(", "))).append(" |\n");
        }

        void against(StringBuilder sb, String key, String what, double bound) {
            double b = med(BOLLARD, key);
            double d = med(DISTRIBUTION, key);
            if (Double.isNaN(bound) || (Double.isNaN(b) && Double.isNaN(d))) {
                return;
            }
            sb.append("| ").append(key).append(' ').append(what).append(" | ").append(pctOf(b, bound)).append(" | ")
                    .append(pctOf(d, bound)).append(" |\n");
        }

        static String pctOf(double v, double bound) {
            return Double.isNaN(v) ? "–" : Math.round(100 * v / bound) + "%";
        }

        String rawTsv() {
            StringBuilder sb = new StringBuilder("run\tregistry\tmetric\tvalue\n");
            for (Run r : runs) {
                r.values.forEach((reg, m) -> m.forEach((k, v) -> sb.append(r.number).append('\t').append(reg).append('\t')
                        .append(k).append('\t').append(v).append('\n')));
                r.foreign.forEach((g, v) -> sb.append(r.number).append("\tmachine\tforeign-cores.").append(g).append('\t')
                        .append(v).append('\n'));
            }
            return sb.toString();
        }
    }
}
