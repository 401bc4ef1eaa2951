package dev.bollard.events;

import dev.bollard.metadata.Database;
import dev.bollard.metadata.EventDao;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The published events as a live feed on this node, for the watch API ({@code GET /api/v1/events?watch=true}).
 * <p>One thread per node, not one per watcher, talks to the database, and only while someone watches on this node: it
 * publishes pending changes at once when a transaction on this node recorded some ({@link Nudge}, run after each such
 * commit, so a push is an event within milliseconds instead of at the publisher's next turn), and it looks for new
 * events every {@code events.watch.poll-interval} — also those another node published, since every node shares the
 * event table (a change made on a node without watchers is published by that node's {@link EventPublisher}, within
 * {@code events.poll-interval}). New
 * events go into a bounded window in memory; a watcher waits on it ({@link #next}) holding neither a database
 * connection nor a platform thread (the HTTP handlers run on virtual threads). A watcher whose cursor is older than the
 * window reads the events it missed from the database, a page per short read, then joins the window. The event
 * numbers have no gaps and follow commit order ({@link EventPublisher}), so a cursor alone says what a reader has seen:
 * resuming after it misses nothing.
 */
public final class EventFeed implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EventFeed.class);
    private static final int WINDOW = 2048;
    private static final int PAGE = 500;

    private final Database db;
    private final EventPublisher publisher;
    private final Duration pollInterval;
    private final Nudge nudged;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition arrived = lock.newCondition();
    /** The latest events, contiguous: seqs {@code head - window.size() + 1} to {@code head} (guarded by lock). */
    private final ArrayDeque<RegistryEvent> window = new ArrayDeque<>();
    private long head = -1; // the last event number this feed knows of; -1 until first read (guarded by lock)
    private final AtomicInteger watchers = new AtomicInteger();
    private final Thread thread;
    private volatile boolean closed;

    /**
     * What tells a feed that a transaction on this node recorded changes: the composition root makes one before the
     * outbox, runs it after each commit that recorded changes, and gives it to the feed. Many runs before the feed looks
     * make one look.
     */
    public static final class Nudge implements Runnable {
        private final Semaphore permit = new Semaphore(0);

        @Override
        public void run() {
            if (permit.availablePermits() == 0) {
                permit.release();
            }
        }

        /** Waits up to {@code wait} for a run; true when there was one (since the last look). */
        boolean await(Duration wait) throws InterruptedException {
            boolean run = permit.tryAcquire(wait.toMillis(), TimeUnit.MILLISECONDS);
            permit.drainPermits();
            return run;
        }
    }

    public EventFeed(Database db, EventPublisher publisher, Nudge nudge, Duration pollInterval, MeterRegistry meters) {
        this.db = db;
        this.nudged = nudge;
        this.publisher = publisher;
        this.pollInterval = pollInterval;
        Gauge.builder("bollard.event.watchers", watchers, AtomicInteger::get)
                .description("open watch streams (GET /api/v1/events?watch=true) on this node").register(meters);
        this.thread = Thread.ofVirtual().name("event-feed").start(this::run);
    }

    /** The number of the last event published: where a watcher that asked for nothing older starts. */
    public long latest() {
        return db.read(EventDao::head);
    }

    /** Up to {@code limit} events after {@code after}, oldest first, read from the database (the listing). */
    public List<RegistryEvent> after(long after, int limit) {
        return db.read(h -> EventDao.after(h, after, limit)).stream().map(r -> RegistryEvent.fromJson(r.body()))
                .toList();
    }

    /** A watcher's registration: counted while open, so the feed works only while someone watches. */
    public AutoCloseable watch() {
        if (watchers.incrementAndGet() == 1) {
            lock.lock();
            try { // not kept up to date while nobody watched: start afresh from the latest events
                head = -1;
                window.clear();
            } finally {
                lock.unlock();
            }
        }
        nudged.run(); // refresh the window now rather than one poll interval later
        return watchers::decrementAndGet;
    }

    /**
     * The events after {@code after}, oldest first: from the window when it reaches back that far, else a page read
     * from the database; when there is none yet, waits up to {@code wait} for one (an empty list then). Null once the
     * feed is closed (the registry is stopping).
     */
    public @Nullable List<RegistryEvent> next(long after, Duration wait) throws InterruptedException {
        long deadline = System.nanoTime() + wait.toNanos();
        lock.lock();
        try {
            while (!closed) {
                if (head >= 0 && after < head) {
                    long first = head - window.size() + 1;
                    if (after + 1 >= first) {
                        List<RegistryEvent> events = new ArrayList<>((int) (head - after));
                        for (RegistryEvent e : window) {
                            if (e.seq() > after) {
                                events.add(e);
                            }
                        }
                        return events;
                    }
                    break; // older than the window: read from the database, outside the lock
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return List.of();
                }
                arrived.awaitNanos(left);
            }
            if (closed) {
                return null;
            }
        } finally {
            lock.unlock();
        }
        return after(after, PAGE);
    }

    private void run() {
        while (!closed) {
            try {
                boolean wasNudged = nudged.await(pollInterval);
                if (closed) {
                    return;
                }
                if (watchers.get() > 0) {
                    if (wasNudged) {
                        while (publisher.publish() == EventPublisher.BATCH && !closed) {
                            // more were pending: keep going
                        }
                    }
                    refresh();
                }
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) { // the database away for a moment: look again next turn
                LOG.warn("event feed: {}", e.toString());
                sleepQuietly();
            }
        }
    }

    /** Reads the events published since the last look (by any node) into the window and wakes the watchers. */
    private void refresh() {
        long known;
        lock.lock();
        try {
            known = head;
        } finally {
            lock.unlock();
        }
        if (known < 0) {
            known = Math.max(0, latest() - WINDOW);
        }
        while (true) {
            List<RegistryEvent> page = after(known, PAGE);
            lock.lock();
            try {
                if (head < 0) {
                    head = known;
                }
                for (RegistryEvent e : page) {
                    if (e.seq() != head + 1) { // a gap: events pruned, or the window began late; start it afresh
                        window.clear();
                    }
                    window.addLast(e);
                    head = e.seq();
                    if (window.size() > WINDOW) {
                        window.removeFirst();
                    }
                }
                if (!page.isEmpty()) {
                    arrived.signalAll();
                }
            } finally {
                lock.unlock();
            }
            if (page.size() < PAGE) {
                return;
            }
            known = page.getLast().seq();
        }
    }

    private void sleepQuietly() {
        try {
            Thread.sleep(pollInterval);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Ends every watch (their streams end; clients reconnect with their cursor elsewhere or after the restart). */
    @Override
    public void close() {
        closed = true;
        thread.interrupt();
        lock.lock();
        try {
            arrived.signalAll();
        } finally {
            lock.unlock();
        }
    }
}
