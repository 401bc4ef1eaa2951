package dev.bollard.registry;

import dev.bollard.audit.Actor;
import dev.bollard.audit.AuditActions;
import dev.bollard.audit.AuditEvent;
import dev.bollard.error.BollardException;
import dev.bollard.error.ErrorCode;
import dev.bollard.events.Outbox;
import dev.bollard.metadata.Database;
import dev.bollard.metadata.ImmutableTagDao;
import dev.bollard.metadata.RepositoryDao;
import dev.bollard.oci.RepositoryName;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jdbi.v3.core.Handle;

/**
 * Immutable tags: per repository, tag patterns whose tags cannot be moved to another manifest nor deleted once
 * pushed (pushing the same manifest again is fine). A refused change is {@code DENIED} (403), which docker, podman
 * and skopeo print as "denied: " followed by the message, and the message names the rule; MANIFEST_INVALID would
 * blame the manifest, which is valid.
 */
public final class ImmutableTags {
    private final Database db;
    private final Outbox outbox;

    ImmutableTags(Database db, Outbox outbox) {
        this.db = db;
        this.outbox = outbox;
    }

    /** The repository's rules (none when the repository does not exist). */
    public List<TagPattern> rules(RepositoryName repository) {
        return db.read(h -> RepositoryDao.findId(h, repository.value())
                .map(id -> ImmutableTagDao.patterns(h, id).stream().map(TagPattern::new).toList()).orElse(List.of()));
    }

    /** Adds a rule (creating the repository when it is new); false when it existed. */
    public boolean add(Actor actor, RepositoryName repository, TagPattern pattern) {
        return db.inTransaction(h -> {
            boolean added = ImmutableTagDao.add(h, RepositoryDao.findOrCreate(h, repository.value()), pattern.glob());
            if (added) {
                outbox.record(h, AuditEvent.onRepository(actor, AuditActions.IMMUTABLE_RULE_ADD, repository.value(),
                        Map.of("pattern", pattern.glob())));
            }
            return added;
        });
    }

    /** Removes a rule; false when there was none. */
    public boolean remove(Actor actor, RepositoryName repository, TagPattern pattern) {
        return db.inTransaction(h -> {
            boolean removed = RepositoryDao.findId(h, repository.value())
                    .map(id -> ImmutableTagDao.remove(h, id, pattern.glob())).orElse(false);
            if (removed) {
                outbox.record(h, AuditEvent.onRepository(actor, AuditActions.IMMUTABLE_RULE_REMOVE, repository.value(),
                        Map.of("pattern", pattern.glob())));
            }
            return removed;
        });
    }

    /** The first of the repository's rules that {@code tag} matches. */
    static Optional<TagPattern> ruleFor(Handle h, long repositoryId, String tag) {
        return ImmutableTagDao.patterns(h, repositoryId).stream().map(TagPattern::new)
                .filter(p -> p.matches(tag)).findFirst();
    }

    /**
     * The error for a refused change of {@code tag}, naming the rule: the spec's DENIED, of the kind CONFLICT
     * because it is the tag's state, not the caller's rights, that forbids the change.
     */
    static BollardException refused(RepositoryName repository, String tag, TagPattern rule, String change) {
        return new BollardException(ErrorCode.DENIED, ErrorCode.Kind.CONFLICT, "tag " + tag + " of " + repository + " is immutable (rule '"
                + rule.glob() + "'): it cannot be " + change + " once pushed",
                Map.of("tag", tag, "rule", rule.glob()));
    }

    /** Refuses the deletion of {@code tag} when a rule makes it immutable. */
    static void requireDeletable(Handle h, long repositoryId, RepositoryName repository, String tag) {
        Optional<TagPattern> rule = ruleFor(h, repositoryId, tag);
        if (rule.isPresent()) {
            throw refused(repository, tag, rule.get(), "deleted");
        }
    }
}
