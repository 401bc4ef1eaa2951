package dev.bollard.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bollard.metadata.BlobDao;
import dev.bollard.metadata.UploadDao;
import dev.bollard.testing.TestRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The proxy cache's blob fetch path against {@link FaultyUpstream}: a {@code Range} request for a blob being fetched is
 * answered from the bytes fetched so far (206, the right bytes, waiting for those not there yet), and a fetch that
 * breaks off — the upstream drops the connection mid-blob, or the node restarts — is resumed with a {@code Range}
 * request upstream from what was stored, verified whole at the end; an upstream that ignores ranges is fetched again
 * from the start.
 */
class ProxyBlobFetchTest {
    private static final int MIB = 1024 * 1024;

    @TempDir
    Path dir;

    private FaultyUpstream upstream;
    private TestRegistry proxy;
    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeEach
    void start() throws Exception {
        upstream = new FaultyUpstream();
        proxy = TestRegistry.start(dir.resolve("proxy"));
        upstream.proxiedBy(proxy, "hub");
    }

    @AfterEach
    void stop() {
        if (proxy != null) {
            proxy.close();
        }
        if (upstream != null) {
            upstream.close();
        }
    }

    private static byte[] random(int size, long seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    private boolean stored(String digest) {
        return proxy.server().database().read(h -> BlobDao.link(h, "hub/app", digest)).isPresent();
    }

    private HttpResponse<byte[]> get(String path, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(proxy.uri(path));
        if (headers.length > 0) {
            b.headers(headers);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    /** A GET whose body the upstream breaks off: the client never gets it whole, and nothing is stored. */
    private void brokenPull(String path, byte[] layer, String digest) throws Exception {
        HttpResponse<InputStream> r = http.send(HttpRequest.newBuilder(proxy.uri(path)).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        byte[] received = new byte[0];
        boolean broke = false;
        try (InputStream in = r.body()) {
            received = in.readAllBytes();
        } catch (IOException e) {
            broke = true;
        }
        assertThat(broke || received.length < layer.length).as("the client never gets the whole body").isTrue();
        assertThat(stored(digest)).isFalse();
    }

    @Test
    void rangesOfABlobBeingFetchedAreAnsweredFromItsBytesAndOnlyTheWholeVerifiedBlobEnds() throws Exception {
        byte[] layer = random(4 * MIB, 11);
        String digest = upstream.putBlob("app", layer);
        String path = "/v2/hub/app/blobs/" + digest;
        upstream.mode = FaultyUpstream.Mode.SLOW;
        upstream.slowPiece = 128 * 1024;
        upstream.slowPauseMillis = 60; // about 2 s for the whole blob

        // The first client starts the fetch; it has bytes long before the upstream sent them all.
        HttpResponse<InputStream> whole = http.send(HttpRequest.newBuilder(proxy.uri(path)).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        assertThat(whole.statusCode()).isEqualTo(200);
        InputStream wholeBody = whole.body();
        byte[] head = wholeBody.readNBytes(1000);
        assertThat(head).isEqualTo(Arrays.copyOf(layer, 1000));
        assertThat(upstream.finishedAt("/v2/app/blobs/" + digest)).as("still being fetched").isNull();

        // Bytes already there, bytes still to come, the last bytes (only once verified), a range outside the blob.
        HttpResponse<byte[]> early = get(path, "Range", "bytes=100-199");
        assertThat(early.statusCode()).isEqualTo(206);
        assertThat(early.headers().firstValue("Content-Range")).hasValue("bytes 100-199/" + layer.length);
        assertThat(early.body()).isEqualTo(Arrays.copyOfRange(layer, 100, 200));
        HttpResponse<byte[]> later = get(path, "Range", "bytes=" + 3 * MIB + "-" + (3 * MIB + 9999));
        assertThat(later.statusCode()).isEqualTo(206);
        assertThat(later.body()).isEqualTo(Arrays.copyOfRange(layer, 3 * MIB, 3 * MIB + 10000));
        HttpResponse<byte[]> tail = get(path, "Range", "bytes=-10");
        assertThat(tail.statusCode()).isEqualTo(206);
        assertThat(tail.headers().firstValue("Content-Range"))
                .hasValue("bytes " + (layer.length - 10) + "-" + (layer.length - 1) + "/" + layer.length);
        assertThat(tail.body()).isEqualTo(Arrays.copyOfRange(layer, layer.length - 10, layer.length));
        assertThat(stored(digest)).as("the last byte is served only once the blob is verified and stored").isTrue();

        byte[] rest = wholeBody.readAllBytes();
        wholeBody.close();
        assertThat(FaultyUpstream.sha256(concat(head, rest))).isEqualTo(digest);
        assertThat(upstream.requests("GET", "/v2/app/blobs/" + digest)).as("one upstream fetch").isEqualTo(1);
        assertThat(upstream.rangesAsked).isEmpty();

        // Stored: ranges as for any blob.
        HttpResponse<byte[]> outside = get(path, "Range", "bytes=" + layer.length + "-");
        assertThat(outside.statusCode()).isEqualTo(416);
        assertThat(get(path, "Range", "bytes=5-9").body()).isEqualTo(Arrays.copyOfRange(layer, 5, 10));
    }

    @Test
    void aRangeOutsideABlobBeingFetchedIs416() throws Exception {
        byte[] layer = random(2 * MIB, 12);
        String digest = upstream.putBlob("app", layer);
        String path = "/v2/hub/app/blobs/" + digest;
        upstream.mode = FaultyUpstream.Mode.SLOW;
        upstream.slowPiece = 64 * 1024;
        upstream.slowPauseMillis = 50;
        HttpResponse<byte[]> outside = get(path, "Range", "bytes=" + layer.length + "-");
        assertThat(outside.statusCode()).isEqualTo(416);
        assertThat(outside.headers().firstValue("Content-Range")).hasValue("bytes */" + layer.length);
        // The fetch it started goes on, and the blob is stored whole.
        HttpResponse<byte[]> whole = get(path);
        assertThat(FaultyUpstream.sha256(whole.body())).isEqualTo(digest);
        assertThat(upstream.requests("GET", "/v2/app/blobs/" + digest)).isEqualTo(1);
    }

    /**
     * 20 MiB, broken off after 5 MiB, then (resumed from 5 MiB) after 12 MiB, then the node restarts: the third fetch
     * asks only for the last 8 MiB, and the client gets the whole blob, verified. Three upstream GETs, two of ranges.
     */
    @Test
    void aFetchThatBreaksOffResumesWithARangeUpstreamAlsoAfterARestart() throws Exception {
        byte[] layer = random(20 * MIB, 13);
        String digest = upstream.putBlob("app", layer);
        String path = "/v2/hub/app/blobs/" + digest;
        upstream.ranges = true;

        upstream.dropAfter.set(5L * MIB);
        brokenPull(path, layer, digest);
        upstream.dropAfter.set(7L * MIB);
        brokenPull(path, layer, digest);
        assertResumedFrom(upstream.rangesAsked, 5 * MIB);

        proxy.close();
        proxy = TestRegistry.start(dir.resolve("proxy"));
        HttpResponse<byte[]> whole = get(path);
        assertThat(whole.statusCode()).isEqualTo(200);
        assertThat(whole.body().length).isEqualTo(layer.length);
        assertThat(FaultyUpstream.sha256(whole.body())).isEqualTo(digest);
        assertThat(stored(digest)).isTrue();
        assertResumedFrom(upstream.rangesAsked, 5 * MIB, 12 * MIB);
        assertThat(upstream.requests("GET", "/v2/app/blobs/" + digest)).isEqualTo(3);
        assertThat(proxy.server().database().read(UploadDao::all).size())
                .as("no upload session left behind").isZero();
    }

    /** An upstream that answers a range with the whole blob (200): the fetch starts over, and the blob is right. */
    @Test
    void anUpstreamWithoutRangesIsFetchedAgainFromTheStart() throws Exception {
        byte[] layer = random(10 * MIB, 14);
        String digest = upstream.putBlob("app", layer);
        String path = "/v2/hub/app/blobs/" + digest;
        upstream.dropAfter.set(3L * MIB);
        brokenPull(path, layer, digest);
        HttpResponse<byte[]> whole = get(path);
        assertThat(FaultyUpstream.sha256(whole.body())).isEqualTo(digest);
        assertResumedFrom(upstream.rangesAsked, 3 * MIB);
        assertThat(stored(digest)).isTrue();
        assertThat(proxy.server().database().read(UploadDao::all).size()).isZero();
    }

    /** A resumed fetch whose whole has the wrong digest stores nothing, and the next fetch starts over and succeeds. */
    @Test
    void aResumedFetchOfTheWrongContentIsDroppedAndFetchedAgain() throws Exception {
        byte[] layer = random(10 * MIB, 15);
        String digest = upstream.putBlob("app", layer);
        String path = "/v2/hub/app/blobs/" + digest;
        upstream.ranges = true;
        upstream.dropAfter.set(3L * MIB);
        brokenPull(path, layer, digest);
        // The upstream's content changes under the same digest (a broken mirror): the resumed whole does not verify.
        byte[] other = random(10 * MIB, 16);
        upstream.putBlobAt("app", digest, other);
        brokenPull(path, layer, digest);
        upstream.putBlobAt("app", digest, layer);
        HttpResponse<byte[]> whole = get(path);
        assertThat(FaultyUpstream.sha256(whole.body())).isEqualTo(digest);
        assertResumedFrom(upstream.rangesAsked, 3 * MIB);
        assertThat(stored(digest)).isTrue();
    }

    /**
     * Each resumed fetch asked for the rest from where the bytes stored before its drop end: at the drop, or a little
     * before it when the connection's reset discarded bytes still in flight (seen once in CI: 122 bytes short of
     * 3 MiB). Never from the start, never beyond the drop.
     */
    private static void assertResumedFrom(List<String> asked, long... drops) {
        assertThat(asked).hasSize(drops.length);
        for (int i = 0; i < drops.length; i++) {
            assertThat(asked.get(i)).matches("bytes=\\d+-");
            long from = Long.parseLong(asked.get(i).substring("bytes=".length(), asked.get(i).length() - 1));
            assertThat(from).as(asked.get(i)).isBetween(drops[i] - MIB / 2, drops[i]);
        }
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] all = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }
}
