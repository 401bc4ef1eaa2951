package dev.bollard.cli;

import dev.bollard.app.Bollard;
import dev.bollard.audit.Actor;
import dev.bollard.auth.Identities;
import dev.bollard.auth.Users;
import dev.bollard.config.BollardConfig;
import dev.bollard.config.ConfigLoader;
import dev.bollard.events.Outbox;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code bollard aot-train}: the training run of an ahead-of-time cache (JDK 25+, {@code -XX:AOTCacheOutput}). It
 * starts a registry in this process on a temporary directory and a free loopback port, drives the paths every
 * deployment serves all day (token login, blob uploads monolithic and chunked, mounts, manifests, pulls, tag lists,
 * the catalog, the management API, metrics), once without and once with authentication, then stops and deletes
 * everything. The JVM writes the classes it loaded and linked and the methods' profiles when it exits, and a registry
 * started with {@code -XX:AOTCache} begins where this run ended: it starts faster and its first pushes run compiled
 * code instead of paying for the JIT (docs/benchmarks.md, finding 9). Any unexpected answer fails the run, so a
 * cache is never trained on a broken build.
 */
@Command(name = "aot-train",
        description = "Exercise a temporary registry in this process: the training run of an AOT cache "
                + "(java -XX:AOTCacheOutput=bollard.aot -jar bollard.jar aot-train).")
final class AotTraining implements Callable<Integer> {

    private static final String MANIFEST_TYPE = "application/vnd.oci.image.manifest.v1+json";
    private static final String ACCEPT = MANIFEST_TYPE + ", application/vnd.oci.image.index.v1+json, "
            + "application/vnd.docker.distribution.manifest.v2+json, application/vnd.docker.distribution.manifest.list.v2+json";
    private static final String OCTET_STREAM = "application/octet-stream";
    private static final HttpRequest.BodyPublisher NO_BODY = BodyPublishers.noBody();
    private static final HttpRequest.BodyPublisher EMPTY = BodyPublishers.ofByteArray(new byte[0]);
    private static final Pattern TOKEN = Pattern.compile("\"token\"\\s*:\\s*\"([^\"]+)\"");

    @Option(names = "--rounds", paramLabel = "N", defaultValue = "120",
            description = "images pushed and pulled per pass (default ${DEFAULT-VALUE})")
    int rounds;

    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private final Random random = new Random(42);

    @Override
    public Integer call() throws Exception {
        Path dir = Files.createTempDirectory("bollard-aot-train-");
        try {
            long t0 = System.nanoTime();
            pass(dir.resolve("open"), false);
            pass(dir.resolve("auth"), true);
            System.out.printf("aot-train: %d images pushed and pulled twice in %.1f s%n", rounds,
                    (System.nanoTime() - t0) / 1e9);
            return 0;
        } catch (TrainingFailed e) {
            System.err.println("aot-train: " + e.getMessage());
            return 1;
        } finally {
            deleteTree(dir);
        }
    }

    private void pass(Path data, boolean auth) throws Exception {
        BollardConfig config = ConfigLoader.builder()
                .set("data-dir", data.toString())
                .set("server.listen", "127.0.0.1:0")
                .set("auth.enabled", String.valueOf(auth))
                .set("gc.enabled", "false")
                .load();
        try (Bollard server = Bollard.start(config)) {
            Session s = new Session(server.baseUri(), null);
            if (auth) {
                String password = Users.generatePassword();
                new Identities(server.database(), new Outbox(server.audit()::catchUp)).as(Actor.system("aot-train"))
                        .users().create("trainer", password, true);
                String basic = "Basic " + Base64.getEncoder().encodeToString(
                        ("trainer:" + password).getBytes(StandardCharsets.UTF_8));
                s.expect(s.send("GET", "/v2/"), 401);
                s = new Session(server.baseUri(), basic);
                s.expect(s.send("GET", "/api/v1/repositories", NO_BODY, "Authorization", basic), 200);
            }
            for (int i = 0; i < 3; i++) {
                if (auth) {
                    s.login("repository:aot/big:pull,push");
                }
                pushBig(s, "/v2/aot/big", i, false);
                pushBig(s, "/v2/aot/big", i, true);
            }
            String previous = null;
            for (int i = 0; i < rounds; i++) {
                String repository = "aot/train-" + (i % 7);
                if (auth) {
                    s.login("repository:" + repository + ":pull,push,delete");
                }
                previous = pushAndPull(s, repository, i, previous);
            }
            if (auth) {
                s.login("registry:catalog:*");
            }
            s.expect(s.send("GET", "/v2/_catalog?n=3"), 200);
            // With access control on, /metrics answers superusers (the trainer is one).
            s.expect(auth ? s.send("GET", "/metrics", NO_BODY, "Authorization", Objects.requireNonNull(s.basic))
                    : s.send("GET", "/metrics"), 200);
            s.expect(s.send("GET", "/readyz"), 200);
        }
    }

    /** One image: two layers (one monolithic, one chunked, one of them mounted when possible), a config, a tag. */
    private String pushAndPull(Session s, String repository, int round, @Nullable String mountable) throws Exception {
        String base = "/v2/" + repository;
        byte[] layer = bytes(round % 10 == 0 ? 1024 * 1024 : 16 * 1024 + round);
        String layerDigest = sha256(layer);
        s.expect(s.send("HEAD", base + "/blobs/" + layerDigest), 404);
        uploadWhole(s, base, layerDigest, BodyPublishers.ofByteArray(layer));

        byte[] chunked = bytes(8 * 1024 + round);
        String chunkedDigest = sha256(chunked);
        String location = startUpload(s, base);
        int half = chunked.length / 2;
        location = s.header(s.expect(s.send("PATCH", location, BodyPublishers.ofByteArray(chunked, 0, half),
                "Content-Range", "0-" + (half - 1), "Content-Type", OCTET_STREAM), 202), "Location");
        location = s.header(s.expect(s.send("PATCH", location, BodyPublishers.ofByteArray(chunked, half,
                chunked.length - half), "Content-Range", half + "-" + (chunked.length - 1), "Content-Type",
                OCTET_STREAM), 202), "Location");
        s.expect(s.send("PUT", withDigest(location, chunkedDigest), EMPTY), 201);

        List<String> layers = new ArrayList<>(List.of(descriptor("application/vnd.oci.image.layer.v1.tar+gzip",
                layerDigest, layer.length), descriptor("application/vnd.oci.image.layer.v1.tar+gzip", chunkedDigest,
                chunked.length)));
        if (mountable != null) {
            String[] from = mountable.split(" ", -1);
            s.expect(s.send("POST", base + "/blobs/uploads/?mount=" + from[1] + "&from=" + from[0], EMPTY), 201, 202);
        }
        byte[] config = ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]},"
                + "\"config\":{\"Cmd\":[\"/bin/sh\",\"-c\",\"echo " + round + "\"]}}").getBytes(StandardCharsets.UTF_8);
        String configDigest = sha256(config);
        uploadWhole(s, base, configDigest, BodyPublishers.ofByteArray(config));
        byte[] manifest = ("{\"schemaVersion\":2,\"mediaType\":\"" + MANIFEST_TYPE + "\",\"config\":"
                + descriptor("application/vnd.oci.image.config.v1+json", configDigest, config.length)
                + ",\"layers\":[" + String.join(",", layers) + "]}").getBytes(StandardCharsets.UTF_8);
        String tag = "v" + round;
        s.expect(s.send("PUT", base + "/manifests/" + tag, BodyPublishers.ofByteArray(manifest),
                "Content-Type", MANIFEST_TYPE), 201);
        String manifestDigest = sha256(manifest);

        for (int i = 0; i < 10; i++) {
            s.expect(s.send("HEAD", base + "/manifests/" + tag), 200);
            s.expect(s.send("GET", base + "/manifests/" + tag), 200);
            s.expect(s.send("GET", base + "/manifests/" + manifestDigest), 200);
        }
        s.expect(s.send("HEAD", base + "/blobs/" + layerDigest), 200);
        s.expect(s.send("GET", base + "/blobs/" + configDigest), 200);
        s.expect(s.send("GET", base + "/blobs/" + layerDigest), 200);
        s.expect(s.send("GET", base + "/blobs/" + chunkedDigest, NO_BODY, "Range", "bytes=0-99"), 206);
        s.expect(s.send("GET", base + "/tags/list?n=10"), 200);
        s.expect(s.send("GET", base + "/blobs/sha256:" + "0".repeat(64)), 404);
        if (round % 5 == 4) {
            s.expect(s.send("DELETE", base + "/manifests/" + tag), 202);
        }
        return repository + " " + layerDigest;
    }

    /**
     * A 32 MiB blob, in one request or in 8 MiB chunks: the streaming loops of large uploads (the hashing pipeline, the
     * file writes and syncs) are otherwise compiled during the first real push.
     */
    private void pushBig(Session s, String base, int seed, boolean chunked) throws Exception {
        byte[] block = bytes(1024 * 1024);
        block[0] = (byte) seed;
        block[1] = (byte) (chunked ? 1 : 0);
        int blocks = 32;
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        for (int i = 0; i < blocks; i++) {
            md.update(block);
        }
        String digest = "sha256:" + HexFormat.of().formatHex(md.digest());
        if (chunked) {
            String location = startUpload(s, base);
            int per = 8;
            for (int i = 0; i < blocks; i += per) {
                long from = (long) i * block.length;
                long to = from + (long) per * block.length - 1;
                location = s.header(s.expect(s.send("PATCH", location, repeated(block, per), "Content-Range",
                        from + "-" + to, "Content-Type", OCTET_STREAM), 202), "Location");
            }
            s.expect(s.send("PUT", withDigest(location, digest), EMPTY), 201);
        } else {
            uploadWhole(s, base, digest, repeated(block, blocks));
        }
        s.expect(s.send("GET", base + "/blobs/" + digest), 200);
    }

    /** Opens an upload session; returns its location. */
    private static String startUpload(Session s, String base) throws Exception {
        return s.header(s.expect(s.send("POST", base + "/blobs/uploads/", EMPTY), 202), "Location");
    }

    /** A monolithic upload: a session opened, then closed with the whole blob. */
    private static void uploadWhole(Session s, String base, String digest, HttpRequest.BodyPublisher blob)
            throws Exception {
        s.expect(s.send("PUT", withDigest(startUpload(s, base), digest), blob, "Content-Type", OCTET_STREAM), 201);
    }

    private static String withDigest(String location, String digest) {
        return location + (location.contains("?") ? "&" : "?") + "digest=" + digest;
    }

    /** A body of {@code count} times {@code block}, streamed. */
    private static HttpRequest.BodyPublisher repeated(byte[] block, int count) {
        return BodyPublishers.ofByteArrays(Collections.nCopies(count, block));
    }

    private static String descriptor(String mediaType, String digest, long size) {
        return "{\"mediaType\":\"" + mediaType + "\",\"digest\":\"" + digest + "\",\"size\":" + size + "}";
    }

    private byte[] bytes(int size) {
        byte[] b = new byte[size];
        random.nextBytes(b);
        return b;
    }

    private static String sha256(byte[] bytes) {
        try {
            return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A client of one registry; with credentials it logs in per repository through the token endpoint. */
    private final class Session {
        private final URI base;
        private final @Nullable String basic;
        private final Map<String, String> tokens = new HashMap<>();
        private @Nullable String bearer;

        Session(URI base, @Nullable String basic) {
            this.base = base;
            this.basic = basic;
        }

        /** Takes a bearer token for {@code scope}, kept for the next calls with the same scope (as clients do). */
        void login(String scope) throws Exception {
            String cached = tokens.get(scope);
            if (cached != null) {
                bearer = cached;
                return;
            }
            String credentials = Objects.requireNonNull(basic, "logging in needs the session's credentials");
            HttpResponse<byte[]> r = expect(send("GET", "/v2/auth?service=bollard&scope=" + scope, NO_BODY,
                    "Authorization", credentials), 200);
            Matcher m = TOKEN.matcher(new String(r.body(), StandardCharsets.UTF_8));
            if (!m.find()) {
                throw new TrainingFailed("the token endpoint answered without a token");
            }
            bearer = "Bearer " + m.group(1);
            tokens.put(scope, bearer);
        }

        /**
         * Sends a request with {@code headers} (name, value, ...); inside the distribution API also with the bearer
         * token of the last login, and for manifests with the Accept header clients send.
         */
        HttpResponse<byte[]> send(String method, String path, HttpRequest.BodyPublisher body, String... headers)
                throws Exception {
            HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path)).method(method, body);
            if (bearer != null && path.startsWith("/v2/") && !path.startsWith("/v2/auth")) {
                b.header("Authorization", bearer);
            }
            if (path.contains("/manifests/")) {
                b.header("Accept", ACCEPT);
            }
            for (int i = 0; i < headers.length; i += 2) {
                b.header(headers[i], headers[i + 1]);
            }
            return client.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
        }

        HttpResponse<byte[]> send(String method, String path) throws Exception {
            return send(method, path, NO_BODY);
        }

        HttpResponse<byte[]> expect(HttpResponse<byte[]> r, int... statuses) {
            for (int status : statuses) {
                if (r.statusCode() == status) {
                    return r;
                }
            }
            throw new TrainingFailed(r.request().method() + " " + r.uri().getPath() + " answered " + r.statusCode()
                    + ": " + new String(r.body(), StandardCharsets.UTF_8));
        }

        String header(HttpResponse<byte[]> r, String name) {
            return r.headers().firstValue(name).orElseThrow(() -> new TrainingFailed(
                    r.request().method() + " " + r.uri().getPath() + " answered without " + name));
        }
    }

    private static final class TrainingFailed extends RuntimeException {
        TrainingFailed(String message) {
            super(message);
        }
    }
}
