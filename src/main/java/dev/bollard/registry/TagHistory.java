package dev.bollard.registry;

import dev.bollard.audit.Actor;
import dev.bollard.audit.AuditActions;
import dev.bollard.audit.AuditEvent;
import dev.bollard.config.ConfigLoader;
import dev.bollard.error.BollardException;
import dev.bollard.error.ErrorCode;
import dev.bollard.events.Outbox;
import dev.bollard.metadata.Database;
import dev.bollard.metadata.ManifestDao;
import dev.bollard.metadata.NamespaceSettingsDao;
import dev.bollard.metadata.TagDao;
import dev.bollard.oci.Digest;
import dev.bollard.oci.RepositoryName;
import dev.bollard.oci.Tag;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The time machine: every assignment of a tag is kept with its lifetime; within the namespace's window (the
 * registry's {@code history.window} unless the namespace sets its own) a tag can be restored to any manifest it
 * pointed at, and the garbage collector keeps those manifests and their blobs. Restores are audit-logged.
 */
public final class TagHistory {

    private final Database db;
    private final Duration defaultWindow;
    private final Outbox outbox;

    TagHistory(Database db, Duration defaultWindow, Outbox outbox) {
        this.db = db;
        this.defaultWindow = defaultWindow;
        this.outbox = outbox;
    }

    /**
     * One assignment: {@code tag} pointed at {@code digest} from {@code start} until {@code end} (null: still does).
     * {@code restorable}: the manifest is stored and the assignment lies within the window.
     */
    public record Entry(String tag, Digest digest, Instant start, @Nullable Instant end, boolean restorable) {
    }

    /** A tag's history, newest first: at most {@code limit} entries that started before {@code before} (null: any). */
    public List<Entry> ofTag(RepositoryName repository, Tag tag, @Nullable Instant before, int limit) {
        return entries(repository, tag.value(), before, limit);
    }

    /** Every tag's history in the repository, newest first. */
    public List<Entry> ofRepository(RepositoryName repository, @Nullable Instant before, int limit) {
        return entries(repository, null, before, limit);
    }

    private List<Entry> entries(RepositoryName repository, @Nullable String tag, @Nullable Instant before,
                                int limit) {
        Instant windowStart = Instant.now().minus(window(RepositoryName.namespaceOf(repository.value())));
        return db.read(h -> {
            long repositoryId = Repositories.require(h, repository);
            List<TagDao.HistoryEntry> rows = TagDao.history(h, repositoryId, tag, before, limit);
            Set<String> digests = new HashSet<>();
            rows.forEach(r -> digests.add(r.digest()));
            Set<String> stored = ManifestDao.storedAmong(h, repositoryId, digests);
            List<Entry> entries = new ArrayList<>();
            for (TagDao.HistoryEntry r : rows) {
                boolean inWindow = r.end() == null || !r.end().isBefore(windowStart);
                entries.add(new Entry(r.tag(), Digest.parse(r.digest()), r.start(), r.end(),
                        inWindow && stored.contains(r.digest())));
            }
            return entries;
        });
    }

    /** The window of {@code namespace} (null: a repository outside any namespace). */
    public Duration window(@Nullable String namespace) {
        if (namespace == null) {
            return defaultWindow;
        }
        return db.read(h -> NamespaceSettingsDao.find(h, namespace)).map(NamespaceSettingsDao.Settings::historyWindowSeconds)
                .map(Duration::ofSeconds).orElse(defaultWindow);
    }

    /** Sets the namespace's window (null: back to the registry's default). */
    public void setWindow(Actor actor, String namespace, @Nullable Duration window) {
        if (window != null && window.isNegative()) {
            throw BollardException.invalid("the history window must not be negative");
        }
        db.inTransaction(h -> {
            NamespaceSettingsDao.Settings s = NamespaceSettingsDao.find(h, namespace)
                    .orElse(new NamespaceSettingsDao.Settings(namespace, null, null, null));
            NamespaceSettingsDao.put(h, new NamespaceSettingsDao.Settings(namespace,
                    window == null ? null : window.toSeconds(), s.quotaBytes(), s.quotaWarnPercent()));
            Map<String, Object> details = new LinkedHashMap<>();
            details.put("window", window == null ? "default" : ConfigLoader.formatDuration(window));
            outbox.record(h, AuditEvent.onNamespace(actor, AuditActions.HISTORY_WINDOW_SET, namespace, details));
            return null;
        });
    }

    /**
     * Points {@code tag} at {@code digest} again, which it pointed at within the window (or points at now). Refused
     * when the assignment is older than the window (MANIFEST_UNKNOWN), when the manifest is no longer stored
     * (deleted by digest), and when an immutable-tag rule protects the tag (DENIED).
     */
    public void restore(Actor actor, RepositoryName repository, Tag tag, Digest digest) {
        Duration window = window(RepositoryName.namespaceOf(repository.value()));
        db.inTransaction(h -> {
            long repositoryId = Repositories.require(h, repository);
            Instant windowStart = Instant.now().minus(window);
            if (!TagDao.pointedAtSince(h, repositoryId, tag.value(), digest.toString(), windowStart)) {
                throw new BollardException(ErrorCode.MANIFEST_UNKNOWN, "tag " + tag + " of " + repository
                        + " did not point at " + digest + " within the time machine's window of " + ConfigLoader.formatDuration(window),
                        Map.of("tag", tag.value(), "digest", digest.toString()));
            }
            // Locked like a push locks what it tags, so the collector cannot delete it under the restored tag.
            if (ManifestDao.presentAmong(h, repositoryId, List.of(digest.toString())).isEmpty()) {
                throw new BollardException(ErrorCode.MANIFEST_UNKNOWN, "manifest " + digest + " is no longer stored in "
                        + repository + " (it was deleted by digest)", Map.of("digest", digest.toString()));
            }
            Optional<String> before = TagDao.digestOf(h, repositoryId, tag.value());
            Optional<TagPattern> rule = ImmutableTags.ruleFor(h, repositoryId, tag.value());
            if (!TagDao.set(h, repositoryId, tag.value(), digest.toString(), rule.isPresent())) {
                throw ImmutableTags.refused(repository, tag.value(), rule.orElseThrow(), "moved");
            }
            // The restored assignment is theirs: a user's, a robot's, or an administration command's ("cli:alice").
            if (actor.kind() != Actor.Kind.ANONYMOUS && !actor.name().isEmpty()) {
                TagDao.recordPusher(h, repositoryId, tag.value(), actor.name());
            }
            Map<String, Object> details = new LinkedHashMap<>();
            details.put("tag", tag.value());
            details.put("digest", digest.toString());
            details.put("previous", before.orElse(null));
            outbox.record(h, AuditEvent.onRepository(actor, AuditActions.TAG_RESTORE, repository.value(), details));
            return null;
        });
    }

}
