package dev.bollard.jobs;

import java.time.Duration;

/** The online garbage collector every {@code lifecycle.gc-interval}, on one node at a time. */
public final class GcWorker extends Worker {

    private final GarbageCollector collector;

    public GcWorker(GarbageCollector collector, Duration every) {
        super("gc", Schedule.every(every).onOneNode());
        this.collector = collector;
    }

    @Override
    protected void turn(Runnable heartbeat) {
        collector.collect(false, heartbeat);
    }
}
