package dev.bollard.scan.results;

import dev.bollard.jobs.WorkQueue;
import dev.bollard.metadata.Database;
import dev.bollard.metadata.ScanDao;
import dev.bollard.oci.Manifest;
import dev.bollard.registry.PushListener;
import java.time.Duration;
import java.util.Map;
import org.jdbi.v3.core.Handle;

/**
 * The queue of image scans ({@code work_item} queue {@value #NAME}, one item per manifest, keyed by its id). A push
 * enqueues the scan of each image manifest it stores, in its own transaction ({@link #onPush()}), so that a pushed
 * image is scanned exactly when the push committed; what is scanned once is not scanned again when pushed again.
 * <p>Not scanned: an index (its platforms are image manifests pushed before it, each scanned on its own), a manifest
 * with a subject (a signature, an attestation, an SBOM: it is about another image — and so the SBOMs the scanner
 * stores as referrers never start scans of themselves), and a manifest the proxy cache stored before its layers.
 */
public final class ScanQueue {
    public static final String NAME = "scan";
    /**
     * A claim's lease: the scanner renews it while it works ({@link ScanWorker}), so a long index keeps its item and a
     * node that died lets it lapse within this, to be retried by another.
     */
    static final WorkQueue.Settings SETTINGS = new WorkQueue.Settings(Duration.ofMinutes(2), 5, Duration.ofSeconds(10),
            Duration.ofMinutes(10));

    private final Database db;
    private final WorkQueue queue;

    public ScanQueue(Database db) {
        this.db = db;
        this.queue = new WorkQueue(db, NAME, SETTINGS);
    }

    WorkQueue workQueue() {
        return queue;
    }

    /** What a push tells: each image manifest it stored is queued for a scan unless it has one. */
    public PushListener onPush() {
        return (h, pushed) -> {
            if (pushed.manifest() instanceof Manifest.Image image && image.subject().isEmpty() && pushed.complete()) {
                enqueue(h, pushed.manifestId(), pushed.repository().value(), pushed.digest().toString(), false);
            }
        };
    }

    /**
     * Queues a scan of manifest {@code manifestId}; with {@code again}, also when it was scanned before (its last
     * results stay until the new ones replace them). False when there was nothing to queue (a scan is queued or runs).
     */
    boolean enqueue(Handle h, long manifestId, String repository, String digest, boolean again) {
        long now = System.currentTimeMillis();
        boolean queued = ScanDao.insertQueued(h, manifestId, now) || (again && ScanDao.requeue(h, manifestId, now));
        if (queued) {
            queue.enqueue(h, Long.toString(manifestId), StoredScans.json(Map.of("repository", repository,
                    "digest", digest)));
        }
        return queued;
    }

    /** How many scans wait or run. */
    public long depth() {
        return db.read(h -> ScanDao.countsByState(h)).entrySet().stream()
                .filter(e -> e.getKey().equals("queued") || e.getKey().equals("indexing"))
                .mapToLong(Map.Entry::getValue).sum();
    }
}
