package dev.bollard.registry;

import dev.bollard.audit.Actor;
import dev.bollard.audit.AuditActions;
import dev.bollard.audit.AuditEvent;
import dev.bollard.error.BollardException;
import dev.bollard.error.ErrorCode;
import dev.bollard.events.Outbox;
import dev.bollard.metadata.Database;
import dev.bollard.metadata.NamespaceSettingsDao;
import dev.bollard.oci.Digest;
import dev.bollard.oci.RepositoryName;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Storage quotas per namespace (organization or user): the bytes of the distinct blobs its repositories link, a
 * blob shared by several of them counted once. Past the warning threshold pushes go on and a warning is logged;
 * a push that would take the usage past the quota is refused with {@code DENIED} (403) naming the namespace,
 * its usage and its quota: before any byte is accepted when the request announces its size, else once the blob's
 * size is known, before it becomes visible. Concurrent pushes are each checked against the usage they saw, so
 * together they can pass the quota by what they pushed at the same moment.
 */
public final class Quotas {

    private static final Logger LOG = LoggerFactory.getLogger(Quotas.class);
    static final int DEFAULT_WARN_PERCENT = 80;

    private final Database db;
    private final Outbox outbox;
    private final MeterRegistry meters;
    private final Map<String, AtomicLong[]> gauges = new ConcurrentHashMap<>();

    Quotas(Database db, Outbox outbox, MeterRegistry meters) {
        this.db = db;
        this.outbox = outbox;
        this.meters = meters;
    }

    /** A namespace's quota (null: none) and usage. */
    public record Usage(String namespace, long usedBytes, @Nullable Long quotaBytes, int warnPercent) {
        /** {@code ok}, {@code warning} (at or past the warning threshold) or {@code exceeded}. */
        public String state() {
            if (quotaBytes == null) {
                return "ok";
            }
            if (usedBytes > quotaBytes) {
                return "exceeded";
            }
            return usedBytes * 100 >= (long) warnPercent * quotaBytes ? "warning" : "ok";
        }
    }

    public Usage usage(String namespace) {
        Usage usage = db.read(h -> {
            NamespaceSettingsDao.Settings s = NamespaceSettingsDao.find(h, namespace)
                    .orElse(new NamespaceSettingsDao.Settings(namespace, null, null, null));
            return new Usage(namespace, NamespaceSettingsDao.usage(h, namespace), s.quotaBytes(),
                    s.quotaWarnPercent() == null ? DEFAULT_WARN_PERCENT : s.quotaWarnPercent());
        });
        publish(usage);
        return usage;
    }

    /** Sets (or, with null, removes) the namespace's quota and warning threshold in percent of it. */
    public void set(Actor actor, String namespace, @Nullable Long quotaBytes, @Nullable Integer warnPercent) {
        if (quotaBytes != null && quotaBytes < 0) {
            throw BollardException.invalid("a quota must not be negative");
        }
        if (warnPercent != null && (warnPercent < 1 || warnPercent > 100)) {
            throw BollardException.invalid("the warning threshold is a percentage from 1 to 100");
        }
        db.inTransaction(h -> {
            NamespaceSettingsDao.Settings s = NamespaceSettingsDao.find(h, namespace)
                    .orElse(new NamespaceSettingsDao.Settings(namespace, null, null, null));
            NamespaceSettingsDao.put(h, new NamespaceSettingsDao.Settings(namespace, s.historyWindowSeconds(),
                    quotaBytes, warnPercent));
            Map<String, Object> details = new LinkedHashMap<>();
            details.put("quotaBytes", quotaBytes);
            details.put("warnPercent", warnPercent == null ? DEFAULT_WARN_PERCENT : warnPercent);
            outbox.record(h, AuditEvent.onNamespace(actor, AuditActions.QUOTA_SET, namespace, details));
            return null;
        });
    }

    /** Every namespace with a quota, with its usage (and refreshes the usage metrics). */
    public List<Usage> all() {
        return db.read(NamespaceSettingsDao::withQuota).stream().map(s -> usage(s.namespace())).toList();
    }

    /**
     * Refuses a push of {@code bytes} more into {@code repository}'s namespace when it would pass the quota;
     * {@code digest}, when known, is free if the namespace links that blob already. The bytes other unfinished
     * uploads of the namespace hold count too (else many chunked uploads could each stay under the quota), but not
     * those of {@code uploadId}, the session {@code bytes} already includes (empty for none).
     */
    void check(RepositoryName repository, @Nullable Digest digest, long bytes, String uploadId) {
        String namespace = RepositoryName.namespaceOf(repository.value());
        if (namespace == null) {
            return;
        }
        var settings = db.read(h -> NamespaceSettingsDao.find(h, namespace));
        if (settings.isEmpty() || settings.get().quotaBytes() == null) {
            return;
        }
        if (digest != null && db.read(h -> NamespaceSettingsDao.linksBlob(h, namespace, digest.toString()))) {
            return;
        }
        Usage usage = usage(namespace);
        // Read again: a quota removed since the check above fails here, as it always has (an unboxed null).
        long quota = Objects.requireNonNull(usage.quotaBytes(), "the namespace's quota was removed meanwhile");
        long staged = db.read(h -> NamespaceSettingsDao.stagedBytes(h, namespace, uploadId));
        long after = usage.usedBytes() + staged + bytes;
        if (after > quota) {
            // The namespace's state, not the caller's rights, refuses the push: a conflict (see ImmutableTags.refused).
            throw new BollardException(ErrorCode.DENIED, ErrorCode.Kind.CONFLICT, "storage quota of namespace "
                    + namespace + " exceeded: " + usage.usedBytes() + " bytes used + "
                    + (staged == 0 ? "" : staged + " bytes in unfinished uploads + ") + bytes + " pushed > quota of "
                    + quota + " bytes; delete images, finish or cancel other uploads, or ask for a larger quota",
                    Map.of("namespace", namespace, "usedBytes", usage.usedBytes(), "stagedBytes", staged,
                            "quotaBytes", quota));
        }
        if (after * 100 >= (long) usage.warnPercent() * quota) {
            LOG.warn("namespace {} uses {} of its {} bytes quota ({}% warning threshold)", namespace, after,
                    quota, usage.warnPercent());
        }
    }

    private void publish(Usage usage) {
        if (usage.quotaBytes() == null) {
            return;
        }
        AtomicLong[] values = gauges.computeIfAbsent(usage.namespace(), ns -> {
            AtomicLong[] v = {new AtomicLong(), new AtomicLong()};
            Gauge.builder("bollard.quota.used", v[0], AtomicLong::get).baseUnit("bytes").tag("namespace", ns)
                    .description("bytes of distinct blobs the namespace's repositories link").register(meters);
            Gauge.builder("bollard.quota.limit", v[1], AtomicLong::get).baseUnit("bytes").tag("namespace", ns)
                    .description("the namespace's storage quota").register(meters);
            return v;
        });
        values[0].set(usage.usedBytes());
        values[1].set(usage.quotaBytes());
    }
}
