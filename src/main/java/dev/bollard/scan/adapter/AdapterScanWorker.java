package dev.bollard.scan.adapter;

import dev.bollard.jobs.QueueWorker;
import dev.bollard.jobs.WorkQueue;
import dev.bollard.metadata.WorkItemDao;
import java.time.Duration;

/**
 * Drains the external scanners' queue on every node, up to four scans side by side (each mostly waits for its
 * adapter); the scans of one adapter run one at a time, so a slow adapter holds up only its own. A claim's lease is
 * renewed while its adapter is polled.
 */
final class AdapterScanWorker extends QueueWorker {
    private final WorkQueue queue;
    private final ScannerAdapters adapters;

    AdapterScanWorker(WorkQueue queue, ScannerAdapters adapters, Duration poll) {
        super(ScannerAdapters.QUEUE, poll, queue, 8, 4);
        this.queue = queue;
        this.adapters = adapters;
    }

    @Override
    protected void process(WorkItemDao.Item item) throws Exception {
        try (WorkQueue.Renewal renewal = queue.renewing(item)) {
            adapters.scan(item);
        }
    }
}
