package dev.bollard.lifecycle;

import dev.bollard.config.BollardConfig;
import dev.bollard.config.ConfigLoader;
import dev.bollard.jobs.GarbageCollector;
import dev.bollard.metadata.Database;
import dev.bollard.oci.Digest;
import dev.bollard.oci.Reference;
import dev.bollard.oci.RepositoryName;
import dev.bollard.oci.Tag;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.bollard.audit.Actor;
import dev.bollard.audit.AuditEvent;
import dev.bollard.events.Outbox;
import dev.bollard.metadata.OutboxDao;
import dev.bollard.registry.Registry;
import dev.bollard.storage.FilesystemBlobStore;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The registry's use cases in this JVM on embedded defaults under a temporary directory, without HTTP: the changes
 * they record, taken from the outbox as the audit log takes them, the metrics the collector reports, and helpers that push blobs and
 * images the way the distribution API does.
 */
public final class LifecycleFixture implements AutoCloseable {
    public static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
    public static final String OCI_INDEX = "application/vnd.oci.image.index.v1+json";
    private static final AtomicInteger UNIQUE = new AtomicInteger();
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Who the fixture's own pushes and the tests' direct deletions are recorded as made by. */
    public static final Actor TESTER = Actor.system("test");

    public final BollardConfig config;
    public final Database db;
    public final FilesystemBlobStore store;
    public final Registry registry;
    public final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    public final List<AuditEvent> audit = Collections.synchronizedList(new ArrayList<>());

    private final boolean ownsDatabase;

    public LifecycleFixture(Path dataDir, String... overrides) throws Exception {
        this(config(dataDir, overrides), null);
    }

    /** The use cases on {@code db} when given (a running server's), else on a database of their own. */
    public LifecycleFixture(BollardConfig config, Database db) throws Exception {
        this.config = config;
        Files.createDirectories(config.dataDir());
        this.ownsDatabase = db == null;
        this.db = db == null ? Database.open(config.database()) : db;
        store = new FilesystemBlobStore(config.storage().path(), config.uploads().stagingPath());
        registry = new Registry(this.db, store, config.registry(), config.lifecycle(), new Outbox(this::collectChanges),
                meters);
    }

    /** Takes the changes committed to the outbox into {@link #audit}, as the audit log takes them into its chain. */
    private void collectChanges() {
        db.inTransaction(h -> {
            List<OutboxDao.Row> rows = OutboxDao.pendingAudit(h, 1000);
            for (OutboxDao.Row r : rows) {
                Map<String, Object> details;
                try {
                    details = JSON.readValue(r.details(), new TypeReference<>() { });
                } catch (JsonProcessingException e) {
                    throw new IllegalStateException(e);
                }
                audit.add(new AuditEvent(Instant.ofEpochMilli(r.occurredAt()),
                        new Actor(Actor.Kind.valueOf(r.actorKind().toUpperCase(Locale.ROOT)), r.actor(), r.ip(),
                                r.userAgent()), r.type(), r.namespace(), r.repository(), details));
            }
            if (!rows.isEmpty()) {
                OutboxDao.markAudited(h, rows.stream().map(OutboxDao.Row::id).toList());
            }
            return null;
        });
    }

    /** Embedded defaults under {@code dataDir}, without access control, with {@code key, value} overrides. */
    public static BollardConfig config(Path dataDir, String... overrides) {
        ConfigLoader.Builder builder = ConfigLoader.builder().set("data-dir", dataDir.toString())
                .set("server.listen", "127.0.0.1:0").set("auth.enabled", "false");
        for (int i = 0; i < overrides.length; i += 2) {
            builder.set(overrides[i], overrides[i + 1]);
        }
        return builder.load();
    }

    public GarbageCollector collector(Duration grace, Duration window) {
        return new GarbageCollector(db, store, new GarbageCollector.Settings(grace, window), meters);
    }

    /** Random-looking bytes no other call returns. */
    public static byte[] bytes(String label, int size) {
        byte[] data = new byte[size];
        new java.util.Random(label.hashCode() * 31L + UNIQUE.incrementAndGet()).nextBytes(data);
        return data;
    }

    /** Uploads a blob in one request (POST ?digest=), as a client does. */
    public Digest blob(String repository, byte[] content) {
        Digest digest = Digest.sha256(content);
        registry.uploads().uploadWhole(new RepositoryName(repository), digest, new ByteArrayInputStream(content),
                (long) content.length);
        return digest;
    }

    /** An image manifest referencing {@code config} and {@code layers} (digest and size), optionally a subject. */
    public static byte[] imageManifest(Digest config, long configSize, List<Digest> layers, List<Long> sizes, Digest subject,
                                long subjectSize) {
        StringBuilder json = new StringBuilder("{\"schemaVersion\":2,\"mediaType\":\"" + OCI_MANIFEST + "\","
                + "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"" + config
                + "\",\"size\":" + configSize + "},\"layers\":[");
        for (int i = 0; i < layers.size(); i++) {
            json.append(i == 0 ? "" : ",").append("{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",")
                    .append("\"digest\":\"").append(layers.get(i)).append("\",\"size\":").append(sizes.get(i)).append('}');
        }
        json.append(']');
        if (subject != null) {
            json.append(",\"subject\":{\"mediaType\":\"").append(OCI_MANIFEST).append("\",\"digest\":\"")
                    .append(subject).append("\",\"size\":").append(subjectSize).append('}');
        }
        return json.append('}').toString().getBytes(StandardCharsets.UTF_8);
    }

    /** An image: a unique config, the given layers (pushed too); pushed by tag, or by digest when tag is null. */
    public Image image(String repository, String tag, byte[]... layers) {
        byte[] config = ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"n\":" + UNIQUE.incrementAndGet() + "}")
                .getBytes(StandardCharsets.UTF_8);
        Digest configDigest = blob(repository, config);
        List<Digest> digests = new ArrayList<>();
        List<Long> sizes = new ArrayList<>();
        for (byte[] layer : layers) {
            digests.add(blob(repository, layer));
            sizes.add((long) layer.length);
        }
        byte[] manifest = imageManifest(configDigest, config.length, digests, sizes, null, 0);
        Digest digest = put(repository, tag, OCI_MANIFEST, manifest);
        List<Digest> blobs = new ArrayList<>(digests);
        blobs.add(configDigest);
        return new Image(digest, manifest, blobs);
    }

    /** Pushes a manifest by tag, or by digest when {@code tag} is null. */
    public Digest put(String repository, String tag, String mediaType, byte[] manifest) {
        Reference reference = tag == null ? new Reference.ByDigest(Digest.sha256(manifest))
                : new Reference.ByTag(new Tag(tag));
        return registry.manifests().put(new RepositoryName(repository), reference, mediaType, manifest, TESTER).digest();
    }

    /** A pushed image: its manifest's digest and bytes, and its blobs (layers and config). */
    public record Image(Digest digest, byte[] manifest, List<Digest> blobs) {
    }

    /** True when the store holds the blob's bytes. */
    public boolean stored(Digest blob) throws Exception {
        return store.size(blob).isPresent();
    }

    @Override
    public void close() {
        if (ownsDatabase) {
            db.close();
        }
    }
}
