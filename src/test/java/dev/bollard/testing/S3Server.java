package dev.bollard.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.nio2blob.FilesystemNio2BlobStore;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * A real S3-compatible server for the tests of this JVM: S3Proxy (Maven Central, {@code org.gaul:s3proxy}) in process,
 * keeping objects as files in a temporary directory, on a free loopback port, with AWS signature checking on. One
 * server, started on first use and stopped when the JVM exits; each test asks it for a fresh bucket.
 * <pre>
 * S3Server s3 = S3Server.shared();
 * String bucket = s3.createBucket();
 * ... s3.settings(bucket) → storage.type=s3, storage.s3.endpoint=..., as configuration keys
 * </pre>
 * Bollard processes started by {@link ServerProcess} reach it over loopback like any S3 endpoint.
 */
public final class S3Server {
    public static final String ACCESS_KEY = "bollard-test-access";
    public static final String SECRET_KEY = "bollard-test-secret-key-0123456789";
    public static final String REGION = "us-east-1";

    private static S3Server shared;

    private S3Proxy proxy;
    private final URI endpoint;
    private final Path dir;
    private final S3Client client;
    private final AtomicInteger buckets = new AtomicInteger();

    private S3Server(S3Proxy proxy, URI endpoint, Path dir) {
        this.proxy = proxy;
        this.endpoint = endpoint;
        this.dir = dir;
        this.client = S3Client.builder().endpointOverride(endpoint).region(Region.of(REGION)).forcePathStyle(true)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY, SECRET_KEY)))
                .build();
    }

    /** The server of this JVM, started on first use. */
    public static synchronized S3Server shared() {
        if (shared == null) {
            shared = start();
            Runtime.getRuntime().addShutdownHook(new Thread(shared::stop, "stop s3proxy"));
        }
        return shared;
    }

    /**
     * A server of the calling test's own (stopped when the JVM exits), for a test that takes it down
     * ({@link #stopForFaultTest()}) and brings it back ({@link #startAgain()}) without disturbing the shared one.
     */
    public static S3Server startPrivate() {
        S3Server server = start();
        Runtime.getRuntime().addShutdownHook(new Thread(server::stop, "stop private s3proxy"));
        return server;
    }

    /** Stops serving: connections are refused at its endpoint until {@link #startAgain()}. The objects stay. */
    public synchronized void stopForFaultTest() {
        try {
            proxy.stop();
        } catch (Exception e) {
            throw new IllegalStateException("could not stop s3proxy", e);
        }
    }

    /** Serves again on the same endpoint, with the objects it had. */
    public synchronized void startAgain() {
        S3Proxy again = S3Proxy.builder().blobStore(new FilesystemNio2BlobStore(dir.toString())).endpoint(endpoint)
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY).build();
        try {
            startAndAwait(again);
        } catch (Exception e) {
            throw new IllegalStateException("could not start s3proxy again on " + endpoint, e);
        }
        proxy = again;
    }

    private static S3Server start() {
        try {
            Path dir = Files.createTempDirectory("bollard-s3-");
            for (int attempt = 1; ; attempt++) {
                URI endpoint = URI.create("http://127.0.0.1:" + freePort());
                S3Proxy proxy = S3Proxy.builder()
                        .blobStore(new FilesystemNio2BlobStore(dir.toString()))
                        .endpoint(endpoint)
                        .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY)
                        .build();
                try {
                    startAndAwait(proxy);
                    return new S3Server(proxy, endpoint, dir);
                } catch (Exception e) {
                    proxy.stop();
                    if (attempt >= 3) {
                        throw e;
                    }
                }
            }
        } catch (Exception e) {
            throw new IllegalStateException("could not start s3proxy", e);
        }
    }

    private static void startAndAwait(S3Proxy proxy) throws Exception {
        proxy.start();
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (!proxy.getState().equals("STARTED")) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("s3proxy did not start: " + proxy.getState());
            }
            Thread.sleep(10);
        }
    }

    /** A new, empty bucket. */
    public String createBucket() {
        String name = "bollard-test-" + buckets.incrementAndGet();
        client.createBucket(b -> b.bucket(name));
        return name;
    }

    /** {@code http://127.0.0.1:PORT} */
    public URI endpoint() {
        return endpoint;
    }

    /** A client of this server, for looking at what a test left in a bucket. */
    public S3Client client() {
        return client;
    }

    /** Bollard's configuration keys (and values) for blobs in {@code bucket} on this server. */
    public Map<String, String> settings(String bucket) {
        Map<String, String> s = new LinkedHashMap<>();
        s.put("storage.type", "s3");
        s.put("storage.s3.bucket", bucket);
        s.put("storage.s3.endpoint", endpoint.toString());
        s.put("storage.s3.region", REGION);
        s.put("storage.s3.path-style", "true");
        s.put("storage.s3.access-key", ACCESS_KEY);
        s.put("storage.s3.secret-key", SECRET_KEY);
        s.put("storage.s3.part-size", Long.toString(5L << 20));
        return s;
    }

    private void stop() {
        try {
            client.close();
            proxy.stop();
        } catch (Exception e) {
            // exiting anyway
        }
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}
