package dev.bollard.scan.results;

import dev.bollard.jobs.QueueWorker;
import dev.bollard.jobs.WorkQueue;
import dev.bollard.metadata.WorkItemDao;
import java.time.Duration;

/**
 * Drains the scan queue on every node: one image at a time per node (indexing is bound by one core's gzip), its
 * claim's lease renewed while it is scanned, so that only a node that died lets it lapse and be retried elsewhere.
 */
final class ScanWorker extends QueueWorker {
    private final WorkQueue queue;
    private final ImageScanner scanner;

    ScanWorker(WorkQueue queue, ImageScanner scanner, Duration poll) {
        super("scan", poll, queue, 1);
        this.queue = queue;
        this.scanner = scanner;
    }

    @Override
    protected void process(WorkItemDao.Item item) {
        try (WorkQueue.Renewal renewal = queue.renewing(item)) {
            scanner.scan(item, ScanQueue.SETTINGS.maxAttempts());
        }
    }
}
