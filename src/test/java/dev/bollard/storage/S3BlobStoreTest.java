package dev.bollard.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import dev.bollard.config.ConfigLoader;
import dev.bollard.oci.Digest;
import dev.bollard.testing.S3Server;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3Configuration;
import software.amazon.awssdk.services.s3.model.ObjectIdentifier;
import software.amazon.awssdk.services.s3.model.S3Object;
import software.amazon.awssdk.services.s3.presigner.S3Presigner;

/** The blob store contract against a real S3-compatible server (s3proxy, in process), and what is S3's own. */
class S3BlobStoreTest extends BlobStoreContract {
    private static final long PART = S3BlobStore.MIN_PART;

    @TempDir
    Path dir;

    private final S3Server server = S3Server.shared();
    private String bucket;
    private final List<S3BlobStore> opened = new ArrayList<>();

    @Override
    protected BlobStore newStore() throws Exception {
        bucket = server.createBucket();
        return storeOn(bucket, "registry/", S3BlobStore.MAX_COPY, 1L << 30, dir.resolve("buffers-a"));
    }

    @Override
    protected BlobStore openAgain() throws Exception {
        return storeOn(bucket, "registry/", S3BlobStore.MAX_COPY, 1L << 30, dir.resolve("buffers-a"));
    }

    /** Every object and unfinished multipart upload in the bucket, and every part buffer on the local disk. */
    @Override
    protected List<String> leftovers() throws Exception {
        List<String> left = new ArrayList<>(keys());
        server.client().listMultipartUploadsPaginator(b -> b.bucket(bucket)).uploads()
                .forEach(m -> left.add("multipart upload of " + m.key()));
        left.addAll(filesUnder(dir));
        return left;
    }

    /** A store on {@code bucket} of the shared test server, with its own client, as a node would open it. */
    static S3BlobStore storeOn(String bucket, String prefix, long copyLimit, long copyPartSize, Path buffers)
            throws IOException {
        S3Server server = S3Server.shared();
        var credentials = StaticCredentialsProvider.create(
                AwsBasicCredentials.create(S3Server.ACCESS_KEY, S3Server.SECRET_KEY));
        S3Client client = S3Client.builder().endpointOverride(server.endpoint()).region(Region.of(S3Server.REGION))
                .forcePathStyle(true).credentialsProvider(credentials).build();
        S3Presigner presigner = S3Presigner.builder().endpointOverride(server.endpoint())
                .region(Region.of(S3Server.REGION)).credentialsProvider(credentials)
                .serviceConfiguration(S3Configuration.builder().pathStyleAccessEnabled(true).build()).build();
        return new S3BlobStore(client, presigner, bucket, prefix, buffers, PART, copyLimit, copyPartSize,
                Duration.ofMinutes(5));
    }

    /** Another node on this test's bucket (own client, own buffer directory), closed after the test. */
    private S3BlobStore node(long copyLimit, long copyPartSize, String buffers) throws IOException {
        S3BlobStore s = storeOn(bucket, "registry/", copyLimit, copyPartSize, dir.resolve(buffers));
        opened.add(s);
        return s;
    }

    @AfterEach
    void closeNodes() {
        opened.forEach(S3BlobStore::close);
    }

    private List<String> keys() {
        return server.client().listObjectsV2Paginator(b -> b.bucket(bucket)).contents().stream().map(S3Object::key)
                .toList();
    }

    private int openMultipartUploads() {
        return server.client().listMultipartUploads(b -> b.bucket(bucket)).uploads().size();
    }

    @Test
    void blobsLiveUnderThePrefixByAlgorithmAndHexPrefix() throws Exception {
        byte[] content = {1, 2, 3};
        Digest d = Digest.sha256(content);
        store.commitUpload("u1", stage("u1", content), d, 3);
        assertThat(keys()).containsExactly("registry/blobs/sha256/" + d.hex().substring(0, 2) + "/" + d.hex());
        assertThat(openMultipartUploads()).isZero();
    }

    @Test
    void anUploadContinuesOnAnotherNodeFromItsStateAlone() throws Exception {
        byte[] content = random((int) (2 * PART + 777), 5);
        S3BlobStore other = node(S3BlobStore.MAX_COPY, 1L << 30, "buffers-b");
        String id = UUID.randomUUID().toString();
        String state = store.createUpload(id);
        int[] cuts = {100, (int) PART + 3, (int) PART + 4000, content.length};
        int offset = 0;
        for (int i = 0; i < cuts.length; i++) {
            BlobStore node = i % 2 == 0 ? store : other;
            BlobStore.Append out = node.appendUpload(id, offset, state);
            try (out) {
                out.write(ByteBuffer.wrap(Arrays.copyOfRange(content, offset, cuts[i])));
            }
            state = out.state();
            offset = cuts[i];
        }
        Digest d = Digest.sha256(content);
        other.commitUpload(id, state, d, content.length);
        assertThat(readAll(store.open(d))).isEqualTo(content);
        assertThat(keys()).as("staging objects are gone").allMatch(k -> k.startsWith("registry/blobs/"));
        assertThat(openMultipartUploads()).isZero();
    }

    @Test
    void aPartLeftByAnInterruptedAppendIsReplaced() throws Exception {
        byte[] first = random((int) PART + 10, 1);
        byte[] lost = random((int) PART + 20, 2);
        byte[] second = random((int) PART + 30, 3);
        String id = UUID.randomUUID().toString();
        String committed = stage(id, first);
        append(id, first.length, committed, lost); // its part 2 reached S3, its state never reached the metadata
        String state = append(id, first.length, committed, second);
        byte[] content = concat(first, second);
        Digest d = Digest.sha256(content);
        store.commitUpload(id, state, d, content.length);
        assertThat(readAll(store.open(d))).isEqualTo(content);
    }

    @Test
    void aPartThatARacingAppendReplacedIsNeverCommitted() throws Exception {
        byte[] first = random((int) PART + 10, 1);
        String id = UUID.randomUUID().toString();
        String committed = stage(id, first);
        // Two requests of one session from the same committed state, on two nodes: both write part 2.
        String winner = append(id, first.length, committed, random((int) PART + 20, 2));
        append(id, first.length, committed, random((int) PART + 30, 3));
        byte[] expected = concat(first, random((int) PART + 20, 2));
        assertThatThrownBy(() -> store.commitUpload(id, winner, Digest.sha256(expected), expected.length))
                .isInstanceOf(StagedBytesLostException.class);
        assertThat(store.size(Digest.sha256(expected))).isEmpty();
    }

    @Test
    void readingAnUploadBackSealsItAndItStillCommits() throws Exception {
        byte[] content = random((int) PART + 12_345, 8);
        String id = UUID.randomUUID().toString();
        String state = stage(id, content);
        MessageDigest sha512 = MessageDigest.getInstance("SHA-512");
        sha512.update(readAll(store.readUpload(id, state, content.length)));
        Digest d = Digest.parse("sha512:" + HexFormat.of().formatHex(sha512.digest()));
        store.commitUpload(id, state, d, content.length);
        assertThat(readAll(store.open(d))).isEqualTo(content);
    }

    @Test
    void largeBlobsAreCopiedInRanges() throws Exception {
        // With a copy limit of 6 MiB the commit takes the path AWS needs above 5 GiB: UploadPartCopy by range.
        S3BlobStore small = node(6L << 20, PART, "buffers-c");
        byte[] content = random((int) (2 * PART + 99), 11);
        Digest d = Digest.sha256(content);
        String id = UUID.randomUUID().toString();
        BlobStore.Append out = small.appendUpload(id, 0, small.createUpload(id));
        try (out) {
            out.write(ByteBuffer.wrap(content));
        }
        small.commitUpload(id, out.state(), d, content.length);
        assertThat(readAll(small.open(d))).isEqualTo(content);
        assertThat(openMultipartUploads()).isZero();
    }

    @Test
    void deletingAnUploadAbortsItsMultipartUpload() throws Exception {
        String id = UUID.randomUUID().toString();
        stage(id, random((int) PART + 1, 4));
        assertThat(openMultipartUploads()).isEqualTo(1);
        assertThat(store.listUploads()).extracting(BlobStore.StagedUpload::uploadId).containsExactly(id);
        store.deleteUpload(id);
        assertThat(openMultipartUploads()).isZero();
        assertThat(keys()).isEmpty();
        assertThat(store.listUploads()).isEmpty();
    }

    @Test
    void aPresignedUrlServesTheBlob() throws Exception {
        byte[] content = random(1000, 6);
        Digest d = Digest.sha256(content);
        store.commitUpload("u1", stage("u1", content), d, content.length);
        assertThat(fetch(store.directUrl(d).orElseThrow())).isEqualTo(content);
    }

    @Test
    void addressingIsPathStyleOrVirtualHostAsConfigured() throws Exception {
        Digest d = Digest.sha256(new byte[] {1});
        for (boolean pathStyle : new boolean[] {true, false}) {
            var config = ConfigLoader.builder().set("storage.type", "s3")
                    .set("storage.s3.bucket", "blobs").set("storage.s3.endpoint", "https://s3.example.internal:9000")
                    .set("storage.s3.path-style", Boolean.toString(pathStyle)).set("storage.s3.access-key", "a")
                    .set("storage.s3.secret-key", "b").set("storage.s3.redirect", "true").load().storage().s3();
            try (S3BlobStore s = S3BlobStore.open(config, dir.resolve("addressing"))) {
                URI url = s.directUrl(d).orElseThrow();
                String key = "blobs/sha256/" + d.hex().substring(0, 2) + "/" + d.hex();
                if (pathStyle) {
                    assertThat(url.getHost()).isEqualTo("s3.example.internal");
                    assertThat(url.getPath()).isEqualTo("/blobs/" + key);
                } else {
                    assertThat(url.getHost()).isEqualTo("blobs.s3.example.internal");
                    assertThat(url.getPath()).isEqualTo("/" + key);
                }
            }
        }
    }

    @Test
    void partsGrowEveryThousandSoTenThousandHoldLargeBlobs() {
        S3BlobStore s3 = (S3BlobStore) store;
        assertThat(s3.partSizeAfter(0)).isEqualTo(PART);
        assertThat(s3.partSizeAfter(999)).isEqualTo(PART);
        assertThat(s3.partSizeAfter(1000)).isEqualTo(2 * PART);
        assertThat(s3.partSizeAfter(9999)).isEqualTo(10 * PART);
        long capacity = 0;
        for (int i = 0; i < 10_000; i++) {
            capacity += s3.partSizeAfter(i);
        }
        assertThat(capacity).isEqualTo(55_000 * PART);
    }

    @Test
    void storedBlobsAreListedForTheCollector() throws Exception {
        byte[] a = random(10, 1);
        byte[] b = random((int) PART + 1, 2);
        store.commitUpload("u1", stage("u1", a), Digest.sha256(a), a.length);
        store.commitUpload("u2", stage("u2", b), Digest.sha256(b), b.length);
        stage("u3", random(5, 3)); // staging objects are not blobs
        server.client().putObject(r -> r.bucket(bucket).key("registry/blobs/sha256/zz/not-a-digest"),
                RequestBody.fromString("x"));
        List<BlobStore.StoredBlob> listed = new ArrayList<>();
        store.listBlobs(listed::add);
        assertThat(listed).extracting(BlobStore.StoredBlob::digest, BlobStore.StoredBlob::size)
                .containsExactlyInAnyOrder(tuple(Digest.sha256(a), (long) a.length),
                        tuple(Digest.sha256(b), (long) b.length));
        assertThat(listed).allSatisfy(blob -> assertThat(blob.lastModified())
                .isAfter(Instant.now().minusSeconds(600)));
        server.client().deleteObject(r -> r.bucket(bucket).key("registry/blobs/sha256/zz/not-a-digest"));
    }

    @Test
    void theListingContinuesAcrossPages() throws Exception {
        // S3 lists 1,000 keys a page; the objects are put directly, as committing 1,001 blobs would take long.
        S3BlobStore s3 = (S3BlobStore) store;
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < 1_001; i++) {
            keys.add(s3.blobKey(Digest.sha256(Integer.toString(i).getBytes(StandardCharsets.UTF_8))));
        }
        List<Future<?>> puts = new ArrayList<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(8)) {
            keys.forEach(key -> puts.add(pool.submit(() -> server.client().putObject(r -> r.bucket(bucket).key(key),
                    RequestBody.empty()))));
        }
        for (Future<?> put : puts) {
            put.get();
        }
        assertThat(server.client().listObjectsV2(r -> r.bucket(bucket)).isTruncated()).as("two pages").isTrue();
        List<String> listed = new ArrayList<>();
        store.listBlobs(b -> listed.add(s3.blobKey(b.digest())));
        assertThat(listed).doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(keys);
        for (int i = 0; i < keys.size(); i += 1000) {
            List<ObjectIdentifier> batch = keys.subList(i, Math.min(keys.size(), i + 1000)).stream()
                    .map(key -> ObjectIdentifier.builder().key(key).build()).toList();
            server.client().deleteObjects(r -> r.bucket(bucket).delete(o -> o.objects(batch).quiet(true)));
        }
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
