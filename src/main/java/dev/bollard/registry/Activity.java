package dev.bollard.registry;

import dev.bollard.metadata.ActivityDao;
import dev.bollard.metadata.Database;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The usage charts' figures: tags pushed and pulls per day over the last {@link PullStats#DAYS} days, for one
 * repository, one namespace or the whole registry, and the storage of each namespace.
 * <p>Pushes come from the tag history, which every tag assignment writes anyway (so this costs the push nothing):
 * a push that sets or moves a tag counts, as do restores and the mirror's and proxy's stores; a push by digest alone,
 * or of what a tag points at already, does not. Pulls are the daily counts {@link PullStats} flushes.
 */
public final class Activity {
    private final Database db;

    Activity(Database db) {
        this.db = db;
    }

    /** One UTC day's tags pushed and pulls. */
    public record Day(LocalDate day, long pushes, long pulls) {
    }

    /** What is counted: a repository, a namespace's repositories, or (both null) the whole registry. */
    public record Scope(@Nullable String repository, @Nullable String namespace) {
        public static final Scope REGISTRY = new Scope(null, null);

        public static Scope repository(String name) {
            return new Scope(name, null);
        }

        public static Scope namespace(String name) {
            return new Scope(null, name);
        }
    }

    /** The last {@link PullStats#DAYS} days up to {@code today}, oldest first, days without either at 0. */
    public List<Day> daily(Scope scope, LocalDate today) {
        LocalDate first = today.minusDays(PullStats.DAYS - 1L);
        String repository = scope.repository() == null ? "" : scope.repository();
        String namespace = scope.namespace() == null ? "" : scope.namespace();
        record Series(Map<LocalDate, Long> pushes, Map<LocalDate, Long> pulls) {
        }
        Series s = db.read(h -> new Series(
                ActivityDao.tagsPushedPerDay(h, repository, namespace, first.atStartOfDay(ZoneOffset.UTC).toInstant()),
                ActivityDao.pullsPerDay(h, repository, namespace, first)));
        List<Day> days = new ArrayList<>(PullStats.DAYS);
        for (LocalDate d = first; !d.isAfter(today); d = d.plusDays(1)) {
            days.add(new Day(d, s.pushes().getOrDefault(d, 0L), s.pulls().getOrDefault(d, 0L)));
        }
        return days;
    }

    /** As {@link #daily(Scope, LocalDate)} up to today (UTC). */
    public List<Day> daily(Scope scope) {
        return daily(scope, LocalDate.now(ZoneOffset.UTC));
    }

    /** A namespace's storage (the bytes its quota counts) and its number of repositories. */
    public record NamespaceStorage(String namespace, long bytes, int repositories) {
    }

    /** Every namespace with a repository, largest first. */
    public List<NamespaceStorage> storageByNamespace() {
        return db.read(ActivityDao::storageByNamespace).stream()
                .map(n -> new NamespaceStorage(n.namespace(), n.bytes(), n.repositories())).toList();
    }
}
