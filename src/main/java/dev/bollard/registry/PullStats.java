package dev.bollard.registry;

import dev.bollard.metadata.Database;
import dev.bollard.metadata.PullStatsDao;
import dev.bollard.metadata.RepositoryDao;
import dev.bollard.oci.RepositoryName;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pull counts: how often each repository, tag and manifest was pulled, when last, and per day. A pull is counted in
 * memory ({@link #record}, no database write on the pull's path); {@link #flush} adds what was counted to the
 * database, as increments, so that every node sharing it counts: {@link PullStatsWorker} runs it every
 * {@code registry.pull-stats-flush-interval}, and {@link #close} once more when the node stops. What a node counted
 * and had not flushed when it died is lost (a few seconds' worth of counts, never a pull).
 */
public final class PullStats implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PullStats.class);
    /** Days the usage chart shows. */
    public static final int DAYS = 30;

    /** What is counted: a repository's total ({@code kind} "repository", {@code key} ""), a tag, a manifest, a day. */
    private record Key(String repository, String kind, String key) {
    }

    /** Pulls counted since the last flush and the time of the latest; immutable, merged per key atomically. */
    private record Tally(long pulls, Instant last) {
        Tally plus(Tally other) {
            return new Tally(pulls + other.pulls, last.isAfter(other.last) ? last : other.last);
        }
    }

    /** A count as shown: {@code lastPulledAt} null when never pulled. */
    public record Count(long pulls, @Nullable Instant lastPulledAt) {
        public static final Count NONE = new Count(0, null);
    }

    /** A day's pulls (UTC). */
    public record Day(LocalDate day, long pulls) {
    }

    private final Database db;
    private final ConcurrentHashMap<Key, Tally> pending = new ConcurrentHashMap<>();

    PullStats(Database db) {
        this.db = db;
    }

    /** Counts one manifest pull: of {@code digest}, by {@code tag} when the pull named one. */
    public void record(RepositoryName repository, @Nullable String tag, String digest, Instant at) {
        String name = repository.value();
        Tally one = new Tally(1, at);
        pending.merge(new Key(name, "repository", ""), one, Tally::plus);
        pending.merge(new Key(name, "manifest", digest), one, Tally::plus);
        if (tag != null) {
            pending.merge(new Key(name, "tag", tag), one, Tally::plus);
        }
        pending.merge(new Key(name, "day", LocalDate.ofInstant(at, ZoneOffset.UTC).toString()), one, Tally::plus);
    }

    /**
     * Adds what was counted since the last flush to the database, one transaction per repository; returns the
     * pulls flushed. Counts a failed transaction could not write are kept for the next flush.
     */
    public synchronized long flush() {
        Map<String, Map<Key, Tally>> byRepository = new LinkedHashMap<>();
        for (Key k : List.copyOf(pending.keySet())) {
            Tally t = pending.remove(k); // atomic: a pull counted after this goes into a new tally
            if (t != null) {
                byRepository.computeIfAbsent(k.repository(), r -> new LinkedHashMap<>()).put(k, t);
            }
        }
        long flushed = 0;
        for (Map.Entry<String, Map<Key, Tally>> e : byRepository.entrySet()) {
            try {
                db.inTransaction(h -> {
                    Optional<Long> id = RepositoryDao.findId(h, e.getKey());
                    if (id.isEmpty()) {
                        return null; // deleted since: its counts went with it
                    }
                    for (Map.Entry<Key, Tally> c : e.getValue().entrySet()) {
                        Key k = c.getKey();
                        Tally t = c.getValue();
                        switch (k.kind()) {
                            case "repository" -> PullStatsDao.addToRepository(h, id.get(), t.pulls(), t.last());
                            case "manifest" -> PullStatsDao.addToManifest(h, id.get(), k.key(), t.pulls(), t.last());
                            case "tag" -> PullStatsDao.addToTag(h, id.get(), k.key(), t.pulls(), t.last());
                            default -> PullStatsDao.addToDay(h, id.get(), LocalDate.parse(k.key()), t.pulls());
                        }
                    }
                    return null;
                });
                flushed += e.getValue().getOrDefault(new Key(e.getKey(), "repository", ""), new Tally(0, Instant.EPOCH))
                        .pulls();
            } catch (RuntimeException failure) {
                e.getValue().forEach((k, t) -> pending.merge(k, t, Tally::plus));
                LOG.warn("could not add the pull counts of {} to the database (kept for the next flush): {}",
                        e.getKey(), failure.toString());
            }
        }
        return flushed;
    }

    /** Flushes what is left (the node stops). */
    @Override
    public void close() {
        long flushed = flush();
        if (!pending.isEmpty()) {
            LOG.warn("stopping with {} pull count(s) not written to the database", pending.size());
        } else if (flushed > 0) {
            LOG.debug("flushed {} pull(s) on stop", flushed);
        }
    }

    // ---- reading (what was flushed) ----

    /** The repository's count. */
    public Count ofRepository(String repository) {
        return db.read(h -> RepositoryDao.findId(h, repository).flatMap(id -> PullStatsDao.ofRepository(h, id)))
                .map(PullStats::count).orElse(Count.NONE);
    }

    /** The counts of the named repositories, by name (absent: never pulled). */
    public Map<String, Count> ofRepositories(List<String> repositories) {
        Map<String, Count> counts = new LinkedHashMap<>();
        db.read(h -> PullStatsDao.ofRepositories(h, repositories)).forEach((k, v) -> counts.put(k, count(v)));
        return counts;
    }

    /** The counts of the repository's tags that were pulled, by tag. */
    public Map<String, Count> ofTags(String repository) {
        Map<String, Count> counts = new LinkedHashMap<>();
        db.read(h -> RepositoryDao.findId(h, repository).map(id -> PullStatsDao.ofTags(h, id)).orElse(Map.of()))
                .forEach((k, v) -> counts.put(k, count(v)));
        return counts;
    }

    /** The count of one manifest. */
    public Count ofManifest(String repository, String digest) {
        return db.read(h -> RepositoryDao.findId(h, repository).flatMap(id -> PullStatsDao.ofManifest(h, id, digest)))
                .map(PullStats::count).orElse(Count.NONE);
    }

    /** The pulls of each of the last {@link #DAYS} days up to {@code today}, oldest first, days without pulls at 0. */
    public List<Day> daily(String repository, LocalDate today) {
        LocalDate first = today.minusDays(DAYS - 1L);
        Map<LocalDate, Long> stored = new LinkedHashMap<>();
        db.read(h -> RepositoryDao.findId(h, repository).map(id -> PullStatsDao.daily(h, id, first)).orElse(List.of()))
                .forEach(d -> stored.put(d.day(), d.pulls()));
        List<Day> days = new ArrayList<>(DAYS);
        for (LocalDate d = first; !d.isAfter(today); d = d.plusDays(1)) {
            days.add(new Day(d, stored.getOrDefault(d, 0L)));
        }
        return days;
    }

    private static Count count(PullStatsDao.Count c) {
        return new Count(c.pulls(), c.lastPulledAt());
    }
}
