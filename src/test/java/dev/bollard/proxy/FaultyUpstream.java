package dev.bollard.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.bollard.auth.Identities;
import dev.bollard.testing.TestRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A registry upstream for the proxy cache's tests that misbehaves on demand: the JDK's HTTP server answering the
 * distribution API's manifest and blob reads (anonymously) from what the test put in, in the {@link Mode} the test
 * sets — rate limits, errors, slow bodies, bodies that break off, bodies of the wrong content. It counts each
 * request by path, so a test can tell how often the proxy asked.
 */
final class FaultyUpstream implements AutoCloseable {
    enum Mode { OK, RATE_LIMITED, EXHAUSTED, SERVER_ERROR, TRUNCATED, WRONG_CONTENT, SLOW, STALLED, DOWN }

    private record Content(String mediaType, byte[] bytes) {
    }

    private final HttpServer server;
    private final Map<String, Content> manifests = new ConcurrentHashMap<>();
    private final Map<String, Content> blobs = new ConcurrentHashMap<>();
    private final Map<String, Generated> generated = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> requests = new ConcurrentHashMap<>();
    private final Map<String, Long> finishedAt = new ConcurrentHashMap<>();
    volatile Mode mode = Mode.OK;
    /** In SLOW mode: bytes per piece and the pause after each. */
    volatile int slowPiece = 256 * 1024;
    volatile long slowPauseMillis = 20;
    /** Blob GETs honour {@code Range: bytes=N-} with a 206 when set (off by default: the whole blob, as before). */
    volatile boolean ranges;
    /** When not negative: the next blob body sent breaks off after this many bytes (then it is -1 again). */
    final AtomicLong dropAfter = new AtomicLong(-1);
    /** The {@code Range} headers of blob GETs, in order. */
    final List<String> rangesAsked = new CopyOnWriteArrayList<>();

    FaultyUpstream() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/", this::handle);
        server.start();
    }

    /**
     * Makes {@code org} of {@code proxy} (access control off; the organization owned by a new user "owner") a proxy
     * organization of this upstream that checks tags upstream on every pull.
     */
    void proxiedBy(TestRegistry proxy, String org) throws Exception {
        Identities ids = new Identities(proxy.server().database());
        ids.users().create("owner", "owner-password-1", false);
        ids.organizations().create(org, "owner");
        try (HttpClient http = HttpClient.newHttpClient()) {
            HttpResponse<String> set = http.send(HttpRequest.newBuilder(proxy.uri("/api/v1/organizations/" + org
                            + "/proxy")).header("Content-Type", "application/json")
                    .PUT(HttpRequest.BodyPublishers.ofString("{\"url\":\"" + uri() + "\",\"tag_check_seconds\":0}"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertThat(set.statusCode()).as(set.body()).isEqualTo(200);
        }
    }

    URI uri() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    static String sha256(byte[] content) {
        try {
            return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    /** Serves a blob in {@code repository}; returns its digest. */
    String putBlob(String repository, byte[] content) {
        String digest = sha256(content);
        blobs.put("/v2/" + repository + "/blobs/" + digest, new Content("application/octet-stream", content));
        return digest;
    }

    /** Serves {@code content} as the blob {@code digest}, whatever its bytes (a broken upstream). */
    void putBlobAt(String repository, String digest, byte[] content) {
        blobs.put("/v2/" + repository + "/blobs/" + digest, new Content("application/octet-stream", content));
    }

    /**
     * Content too large to hold (a 256 MiB layer): {@code size} bytes made on the fly from {@code seed}, 1 MiB blocks of
     * one random pattern each stamped with the seed and its index, so every block differs.
     */
    record Generated(long size, long seed) {
        private static final int BLOCK = 1 << 20;

        /** Writes bytes {@code [0, size)} to {@code out} in pieces of {@code piece} bytes, calling {@code after} after each. */
        void write(OutputStream out, int piece, Runnable after) throws IOException {
            byte[] block = new byte[BLOCK];
            new Random(seed).nextBytes(block);
            for (long off = 0; off < size; ) {
                long index = off / BLOCK;
                ByteBuffer.wrap(block).putLong(0, seed).putLong(8, index);
                int n = (int) Math.min(BLOCK, size - off);
                for (int at = 0; at < n; at += piece) {
                    out.write(block, at, Math.min(piece, n - at));
                    after.run();
                }
                off += n;
            }
        }

        String digest() {
            try {
                MessageDigest sha = MessageDigest.getInstance("SHA-256");
                write(new OutputStream() {
                    @Override
                    public void write(int b) {
                        sha.update((byte) b);
                    }

                    @Override
                    public void write(byte[] b, int off, int len) {
                        sha.update(b, off, len);
                    }
                }, BLOCK, () -> { });
                return "sha256:" + HexFormat.of().formatHex(sha.digest());
            } catch (NoSuchAlgorithmException | IOException e) {
                throw new AssertionError(e);
            }
        }
    }

    /** Serves a {@link Generated} blob of {@code size} bytes in {@code repository} (never held whole); its digest. */
    String putGeneratedBlob(String repository, long size, long seed) {
        Generated g = new Generated(size, seed);
        String digest = g.digest();
        generated.put("/v2/" + repository + "/blobs/" + digest, g);
        return digest;
    }

    /** Serves a manifest under its digest and, when {@code tag} is not null, the tag; returns its digest. */
    String putManifest(String repository, String tag, String mediaType, String json) {
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        String digest = sha256(bytes);
        manifests.put("/v2/" + repository + "/manifests/" + digest, new Content(mediaType, bytes));
        if (tag != null) {
            manifests.put("/v2/" + repository + "/manifests/" + tag, new Content(mediaType, bytes));
        }
        return digest;
    }

    /** How many requests (any method) reached {@code path}. */
    int requests(String method, String path) {
        AtomicInteger n = requests.get(method + " " + path);
        return n == null ? 0 : n.get();
    }

    /** When the last body sent for {@code path} was complete (System.nanoTime), if one was. */
    Long finishedAt(String path) {
        return finishedAt.get(path);
    }

    private void handle(HttpExchange ex) throws IOException {
        String path = ex.getRequestURI().getPath();
        requests.computeIfAbsent(ex.getRequestMethod() + " " + path, k -> new AtomicInteger()).incrementAndGet();
        try (ex) {
            Mode m = mode;
            if (m == Mode.DOWN) {
                return; // closed without an answer: the client sees the connection end
            }
            if (path.equals("/v2/")) {
                send(ex, 200, "application/json", "{}".getBytes(StandardCharsets.UTF_8), Mode.OK, path);
                return;
            }
            if (m == Mode.RATE_LIMITED) {
                ex.getResponseHeaders().add("ratelimit-limit", "100;w=21600");
                ex.getResponseHeaders().add("ratelimit-remaining", "0;w=21600");
                ex.getResponseHeaders().add("Retry-After", "120");
                send(ex, 429, "application/json", error("TOOMANYREQUESTS"), Mode.OK, path);
                return;
            }
            if (m == Mode.SERVER_ERROR) {
                send(ex, 500, "text/plain", "boom".getBytes(StandardCharsets.UTF_8), Mode.OK, path);
                return;
            }
            if (m == Mode.EXHAUSTED) {
                ex.getResponseHeaders().add("ratelimit-limit", "100;w=21600");
                ex.getResponseHeaders().add("ratelimit-remaining", "0;w=21600");
            }
            Generated g = generated.get(path);
            if (g != null) {
                sendGenerated(ex, g, m, path);
                return;
            }
            Content c = path.contains("/manifests/") ? manifests.get(path) : blobs.get(path);
            if (c == null) {
                send(ex, 404, "application/json", error(path.contains("/manifests/") ? "MANIFEST_UNKNOWN"
                        : "BLOB_UNKNOWN"), Mode.OK, path);
                return;
            }
            if (path.contains("/manifests/")) {
                ex.getResponseHeaders().add("Docker-Content-Digest", sha256(c.bytes()));
            } else if (ex.getRequestMethod().equals("GET") && sendPart(ex, c.bytes(), path)) {
                return;
            }
            send(ex, 200, c.mediaType(), c.bytes(), path.contains("/blobs/") ? m : Mode.OK, path);
        }
    }

    /**
     * A blob GET with a Range this upstream honours, or with {@link #dropAfter} set: sends the part (206) or the
     * whole, breaking off after {@code dropAfter} bytes. False when neither applies (sent as usual).
     */
    private boolean sendPart(HttpExchange ex, byte[] body, String path) throws IOException {
        String range = ex.getRequestHeaders().getFirst("Range");
        if (range != null) {
            rangesAsked.add(range);
        }
        int from = ranges && range != null && range.matches("bytes=\\d+-")
                ? Integer.parseInt(range.substring("bytes=".length(), range.length() - 1)) : 0;
        if (from == 0 && dropAfter.get() < 0) {
            return false;
        }
        if (from >= body.length) {
            ex.getResponseHeaders().add("Content-Range", "bytes */" + body.length);
            ex.sendResponseHeaders(416, -1);
            return true;
        }
        ex.getResponseHeaders().add("Content-Type", "application/octet-stream");
        if (from > 0) {
            ex.getResponseHeaders().add("Content-Range", "bytes " + from + "-" + (body.length - 1) + "/" + body.length);
        }
        ex.sendResponseHeaders(from > 0 ? 206 : 200, body.length - from);
        OutputStream out = ex.getResponseBody();
        long drop = dropAfter.getAndSet(-1);
        if (drop >= 0 && drop < body.length - from) {
            out.write(body, from, (int) drop);
            out.flush();
            throw new IOException("dropping the connection on purpose");
        }
        out.write(body, from, body.length - from);
        out.flush();
        finishedAt.put(path, System.nanoTime());
        return true;
    }

    private static byte[] error(String code) {
        return ("{\"errors\":[{\"code\":\"" + code + "\",\"message\":\"" + code + "\"}]}")
                .getBytes(StandardCharsets.UTF_8);
    }

    private void send(HttpExchange ex, int status, String type, byte[] body, Mode m, String path) throws IOException {
        ex.getResponseHeaders().add("Content-Type", type);
        boolean head = ex.getRequestMethod().equals("HEAD");
        ex.sendResponseHeaders(status, head ? -1 : body.length == 0 ? -1 : body.length);
        if (head || body.length == 0) {
            return;
        }
        OutputStream out = ex.getResponseBody();
        switch (m) {
            case TRUNCATED -> {
                out.write(body, 0, body.length / 2);
                out.flush();
                // Ends the exchange without the rest: the client sees the connection close early.
                throw new IOException("truncating on purpose");
            }
            case STALLED -> {
                out.write(body, 0, body.length / 2);
                out.flush();
                try {
                    Thread.sleep(120_000); // sends nothing more while the connection stays open
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                throw new IOException("stalled on purpose");
            }
            case WRONG_CONTENT -> {
                byte[] other = body.clone();
                other[other.length - 1] ^= 1;
                out.write(other);
            }
            case SLOW -> {
                for (int off = 0; off < body.length; off += slowPiece) {
                    out.write(body, off, Math.min(slowPiece, body.length - off));
                    out.flush();
                    try {
                        Thread.sleep(slowPauseMillis);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new IOException(e);
                    }
                }
            }
            default -> out.write(body);
        }
        out.flush();
        finishedAt.put(path, System.nanoTime());
    }

    /** A generated blob, whole or (SLOW) in {@link #slowPiece}s with a pause after each; other faults do not apply. */
    private void sendGenerated(HttpExchange ex, Generated g, Mode m, String path) throws IOException {
        ex.getResponseHeaders().add("Content-Type", "application/octet-stream");
        boolean head = ex.getRequestMethod().equals("HEAD");
        ex.sendResponseHeaders(200, head ? -1 : g.size());
        if (head) {
            return;
        }
        OutputStream out = ex.getResponseBody();
        boolean slow = m == Mode.SLOW;
        g.write(out, slow ? Math.min(slowPiece, 1 << 20) : 1 << 20, () -> {
            if (slow) {
                try {
                    out.flush();
                    Thread.sleep(slowPauseMillis);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        });
        out.flush();
        finishedAt.put(path, System.nanoTime());
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
