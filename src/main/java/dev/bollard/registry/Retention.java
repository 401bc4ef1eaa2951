package dev.bollard.registry;

import dev.bollard.audit.Actor;
import dev.bollard.audit.AuditActions;
import dev.bollard.audit.AuditEvent;
import dev.bollard.error.BollardException;
import dev.bollard.events.Outbox;
import dev.bollard.metadata.Database;
import dev.bollard.metadata.GcDao;
import dev.bollard.metadata.RepositoryDao;
import dev.bollard.metadata.RetentionPolicyDao;
import dev.bollard.metadata.TagDao;
import dev.bollard.oci.RepositoryName;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * Retention policies (auto-prune): for a namespace or a repository, tags matching a pattern are kept while among
 * the newest {@code keepLast} (by when they were last pushed) or younger than {@code keepDays}; the others are
 * deleted by the retention job. A tag that several policies match is kept when any of them keeps it; immutable
 * tags are never pruned. Deleting a tag only ends its lifetime: the time machine can restore it within its window,
 * after which the garbage collector reclaims what nothing else references. Every deletion is audit-logged.
 */
public final class Retention {

    /** Tags deleted per transaction. */
    private static final int DELETE_BATCH = 500;

    private final Database db;
    private final Outbox outbox;

    Retention(Database db, Outbox outbox) {
        this.db = db;
        this.outbox = outbox;
    }

    /** Where a policy applies. */
    public enum Scope {
        NAMESPACE, REPOSITORY;

        String column() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** A policy; at least one of {@code keepLast} and {@code keepDays} is set. */
    public record Policy(long id, Scope scope, String target, TagPattern tagPattern, @Nullable Integer keepLast,
                         @Nullable Integer keepDays) {
        boolean keeps(int newestRank, Instant pushed, Instant now) {
            return (keepLast != null && newestRank < keepLast)
                    || (keepDays != null && pushed.isAfter(now.minus(Duration.ofDays(keepDays))));
        }

        boolean appliesTo(String repository) {
            return scope == Scope.REPOSITORY ? repository.equals(target) : repository.startsWith(target + "/");
        }

        public String describe() {
            return scope.column() + " " + target + " tags " + tagPattern + ": keep "
                    + (keepLast == null ? "" : "the last " + keepLast) + (keepLast != null && keepDays != null ? " or " : "")
                    + (keepDays == null ? "" : "those younger than " + keepDays + " days");
        }
    }

    /** A tag the job deleted (or, dry, would delete), with the manifest it pointed at. */
    public record Pruned(String repository, String tag, String digest) {
    }

    public List<Policy> policies() {
        return db.read(RetentionPolicyDao::all).stream().map(Retention::policy).toList();
    }

    private static Policy policy(RetentionPolicyDao.Policy p) {
        return new Policy(p.id(), Scope.valueOf(p.scopeKind().toUpperCase(Locale.ROOT)), p.scope(),
                new TagPattern(p.tagPattern()), p.keepLast(), p.keepDays());
    }

    /** Adds a policy, or changes the limits of the one with the same scope and pattern; returns it. */
    public Policy put(Actor actor, Scope scope, String target, TagPattern pattern, @Nullable Integer keepLast,
                      @Nullable Integer keepDays) {
        if (keepLast == null && keepDays == null) {
            throw BollardException.invalid("a retention policy needs keep-last, keep-days or both");
        }
        if ((keepLast != null && keepLast < 0) || (keepDays != null && keepDays < 0)) {
            throw BollardException.invalid("keep-last and keep-days must not be negative");
        }
        String problem = scope == Scope.REPOSITORY ? RepositoryName.problemWith(target)
                : (target.contains("/") ? "a namespace is one name component, not '" + target + "'"
                : RepositoryName.problemWith(target));
        if (problem != null) {
            throw BollardException.invalid(problem);
        }
        long id = db.inTransaction(h -> {
            long stored = RetentionPolicyDao.put(h, scope.column(), target, pattern.glob(), keepLast, keepDays);
            Map<String, Object> details = new LinkedHashMap<>();
            details.put("id", stored);
            details.put("tagPattern", pattern.glob());
            details.put("keepLast", keepLast);
            details.put("keepDays", keepDays);
            outbox.record(h, scope == Scope.REPOSITORY
                    ? AuditEvent.onRepository(actor, AuditActions.RETENTION_POLICY_SET, target, details)
                    : AuditEvent.onNamespace(actor, AuditActions.RETENTION_POLICY_SET, target, details));
            return stored;
        });
        return new Policy(id, scope, target, pattern, keepLast, keepDays);
    }

    public boolean delete(Actor actor, long id) {
        return db.inTransaction(h -> {
            Optional<RetentionPolicyDao.Policy> existing = RetentionPolicyDao.find(h, id);
            if (existing.isEmpty() || !RetentionPolicyDao.delete(h, id)) {
                return false;
            }
            RetentionPolicyDao.Policy p = existing.get();
            outbox.record(h, p.scopeKind().equals("repository")
                    ? AuditEvent.onRepository(actor, AuditActions.RETENTION_POLICY_DELETE, p.scope(), Map.of("id", id))
                    : AuditEvent.onNamespace(actor, AuditActions.RETENTION_POLICY_DELETE, p.scope(), Map.of("id", id)));
            return true;
        });
    }

    /**
     * Applies every policy: deletes (or, {@code dryRun}, lists) the tags no policy that matches them keeps. A tag
     * re-pushed since it was judged is left alone (deleted only while it still points at the same manifest).
     */
    public List<Pruned> apply(Actor actor, boolean dryRun) {
        List<Policy> policies = policies();
        List<Pruned> pruned = new ArrayList<>();
        if (policies.isEmpty()) {
            return pruned;
        }
        Instant now = Instant.now();
        for (GcDao.RepositoryRef repository : db.read(GcDao::repositories)) {
            List<Policy> applicable = policies.stream().filter(p -> p.appliesTo(repository.name())).toList();
            if (applicable.isEmpty()) {
                continue;
            }
            List<TagDao.TagRow> tags = new ArrayList<>(db.read(h -> TagDao.all(h, repository.id())));
            tags.sort(Comparator.comparing(TagDao.TagRow::updatedAt).reversed().thenComparing(TagDao.TagRow::name));
            List<TagPattern> immutable = new ImmutableTags(db, outbox).rules(new RepositoryName(repository.name()));
            Map<Policy, Integer> ranks = new LinkedHashMap<>();
            List<TagDao.TagRow> doomed = new ArrayList<>();
            for (TagDao.TagRow tag : tags) {
                boolean matched = false;
                boolean kept = false;
                for (Policy p : applicable) {
                    if (p.tagPattern().matches(tag.name())) {
                        int rank = ranks.merge(p, 1, Integer::sum) - 1;
                        matched = true;
                        kept |= p.keeps(rank, tag.updatedAt(), now);
                    }
                }
                if (matched && !kept && immutable.stream().noneMatch(r -> r.matches(tag.name()))) {
                    doomed.add(tag);
                }
            }
            if (dryRun) {
                doomed.forEach(tag -> pruned.add(new Pruned(repository.name(), tag.name(), tag.digest())));
                continue;
            }
            // Many deletions per transaction: one commit per tag made pruning 100,000 tags take hours (bench/run's
            // background group). Small enough batches that pushes to the repository are not held up for long.
            for (int from = 0; from < doomed.size(); from += DELETE_BATCH) {
                List<TagDao.TagRow> batch = doomed.subList(from, Math.min(doomed.size(), from + DELETE_BATCH));
                pruned.addAll(db.inTransaction(h -> {
                    List<Pruned> gone = new ArrayList<>();
                    Optional<Long> id = RepositoryDao.findId(h, repository.name());
                    if (id.isEmpty()) {
                        return gone;
                    }
                    for (TagDao.TagRow tag : batch) {
                        if (ImmutableTags.ruleFor(h, id.get(), tag.name()).isEmpty()
                                && TagDao.deleteIfPointsAt(h, id.get(), tag.name(), tag.digest()).isPresent()) {
                            outbox.record(h, AuditEvent.onRepository(actor, AuditActions.TAG_DELETE, repository.name(),
                                    Map.of("tag", tag.name(), "digest", tag.digest(), "reason", "retention policy")));
                            gone.add(new Pruned(repository.name(), tag.name(), tag.digest()));
                        }
                    }
                    return gone;
                }));
            }
        }
        return pruned;
    }
}
