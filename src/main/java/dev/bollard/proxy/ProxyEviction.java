package dev.bollard.proxy;

import dev.bollard.audit.Actor;
import dev.bollard.audit.AuditActions;
import dev.bollard.audit.AuditEvent;
import dev.bollard.error.BollardException;
import dev.bollard.jobs.Worker;
import dev.bollard.metadata.Database;
import dev.bollard.metadata.ProxyDao;
import dev.bollard.oci.Digest;
import dev.bollard.oci.Reference;
import dev.bollard.oci.RepositoryName;
import dev.bollard.registry.Registry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Eviction from the proxy cache (docs/proxy-and-mirroring.md#limits): per proxy organization with limits, the images
 * not pulled for {@code cache_expiry_days}, then, while its cached images take more than {@code cache_max_bytes}, the
 * least recently pulled. An image is a manifest with its blobs (its size: the manifest's and its blobs'); evicting it
 * deletes the manifest and its tags as an administrator's delete would (events, tag history, the time machine), and
 * garbage collection frees the blobs no manifest references any more. An image pulled within {@link #GUARD} is never
 * evicted: a client may be pulling its layers. Each eviction is audited ({@code proxy.evict}).
 */
public final class ProxyEviction {
    private static final Logger LOG = LoggerFactory.getLogger(ProxyEviction.class);
    /** How often the eviction job runs by default ({@code proxy.eviction-interval}). */
    public static final Duration EVERY = Duration.ofMinutes(5);
    /**
     * An image pulled this recently is being pulled, perhaps: it stays. The default of
     * {@code proxy.eviction-recently-pulled}.
     */
    public static final Duration GUARD = Duration.ofMinutes(10);
    private static final Actor ACTOR = Actor.system("proxy-eviction");

    private final Database db;
    private final Registry registry;

    private final Duration every;
    private final Duration guard;

    public ProxyEviction(Database db, Registry registry, Duration every, Duration guard) {
        this.db = db;
        this.registry = registry;
        this.every = every;
        this.guard = guard;
    }

    /** The leased job: one node at a time evicts. */
    public Worker worker() {
        return new Worker("proxy-eviction", Worker.Schedule.every(every).onOneNode()) {
            @Override
            protected void turn(Runnable heartbeat) {
                run(heartbeat, guard);
            }
        };
    }

    /**
     * One pass over every proxy organization with limits, sparing images pulled within {@code guard} (the job's is
     * {@code proxy.eviction-recently-pulled}); the number of images evicted.
     */
    public int run(Runnable heartbeat, Duration guard) {
        int evicted = 0;
        for (ProxyDao.Row row : db.read(ProxyDao::all)) {
            ProxyLimits limits = new ProxyLimits(row.cacheMaxBytes(), row.cacheExpiryDays(), null, null);
            if (limits.evicts()) {
                evicted += evict(row.namespace(), limits, heartbeat, guard);
            }
        }
        return evicted;
    }

    private int evict(String namespace, ProxyLimits limits, Runnable heartbeat, Duration guard) {
        long now = System.currentTimeMillis();
        // Least recently pulled first.
        List<ProxyDao.Cached> cached = db.read(h -> ProxyDao.cachedImages(h, namespace));
        long total = cached.stream().mapToLong(ProxyDao.Cached::bytes).sum();
        long expiredBefore = limits.cacheExpiryDays() == null ? Long.MIN_VALUE
                : now - Duration.ofDays(limits.cacheExpiryDays()).toMillis();
        long guardedAfter = now - guard.toMillis();
        List<ProxyDao.Cached> evicted = new ArrayList<>();
        for (ProxyDao.Cached c : cached) {
            boolean expired = c.pulledAt() < expiredBefore;
            boolean over = limits.cacheMaxBytes() != null && total > limits.cacheMaxBytes();
            if (!expired && !over) {
                break; // the rest were pulled later and the cache is within its size
            }
            if (c.pulledAt() >= guardedAfter) {
                continue;
            }
            if (evict(namespace, c, expired ? "expired" : "size")) {
                total -= c.bytes();
                evicted.add(c);
            }
            heartbeat.run();
        }
        if (!evicted.isEmpty()) {
            LOG.info("proxy organization {}: evicted {} images; {} bytes cached now", namespace, evicted.size(), total);
        }
        return evicted.size();
    }

    private boolean evict(String namespace, ProxyDao.Cached c, String reason) {
        RepositoryName repository = RepositoryName.parse(c.repository());
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("repository", c.repository());
        details.put("digest", c.digest());
        details.put("reason", reason);
        details.put("bytes", c.bytes());
        details.put("pulled_at", c.pulledAt());
        try {
            registry.manifests().delete(repository, new Reference.ByDigest(Digest.parse(c.digest())), ACTOR,
                    List.of(AuditEvent.onNamespace(ACTOR, AuditActions.PROXY_EVICT, namespace, details)));
        } catch (BollardException e) {
            // Gone meanwhile (an administrator deleted it), or deleting is disabled: nothing to evict.
            LOG.info("not evicting {}@{}: {}", repository, c.digest(), e.getMessage());
            return false;
        }
        return true;
    }
}
