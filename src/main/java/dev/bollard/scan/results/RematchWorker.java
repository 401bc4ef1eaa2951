package dev.bollard.scan.results;

import dev.bollard.jobs.Worker;
import java.time.Duration;

/**
 * Checks every {@code scan.rematch-interval} whether vulnerability data was imported since the stored results were
 * matched (by any node or by {@code bollard vulndb import}), and re-matches what it changed; one node at a time.
 */
final class RematchWorker extends Worker {
    private final Rematcher rematcher;

    RematchWorker(Rematcher rematcher, Duration every) {
        super("scan-rematch", Schedule.every(every).onOneNode());
        this.rematcher = rematcher;
    }

    @Override
    protected void turn(Runnable heartbeat) {
        rematcher.run(heartbeat);
    }
}
