package dev.bollard.proxy;

import dev.bollard.metadata.Database;
import dev.bollard.metadata.ProxyRateDao;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A proxy organization's budget of requests to one upstream (docs/proxy-and-mirroring.md): token buckets of
 * {@code perSecond} and {@code perMinute} requests (either may be absent), each full at the start and refilled
 * continuously, so a burst may use a whole second's or minute's budget at once and no more. A request takes a token of
 * each; when one is empty the request is not sent and the proxy answers as if the upstream had rate-limited it (served
 * stale when cached, else {@code 429 TOOMANYREQUESTS} with a {@code Retry-After}).
 * <p>The buckets are rows in the database ({@link ProxyRateDao}), so every node on it takes from the same budget:
 * the upstream's limit (Docker Hub's counts per account or address, not per node) is what they share. That costs one
 * short transaction per upstream request, next to a request over the network that costs more.
 */
final class RateLimit {
    private final Database db;
    private final String namespace;
    private final URI upstream;
    private final @Nullable Integer perSecond;
    private final @Nullable Integer perMinute;
    private final List<ProxyRateDao.Bucket> buckets = new ArrayList<>();

    /**
     * Null when neither limit is set. {@code version}: the proxy organization's updated_at, so that a change of its
     * limits starts from full buckets.
     */
    static @Nullable RateLimit of(Database db, String namespace, long version, URI upstream, @Nullable Integer perSecond,
                                  @Nullable Integer perMinute) {
        return perSecond == null && perMinute == null ? null
                : new RateLimit(db, namespace, version, upstream, perSecond, perMinute);
    }

    private RateLimit(Database db, String namespace, long version, URI upstream, @Nullable Integer perSecond,
                      @Nullable Integer perMinute) {
        this.db = db;
        this.namespace = namespace;
        this.upstream = upstream;
        this.perSecond = perSecond;
        this.perMinute = perMinute;
        String key = namespace + " " + version + " " + upstream + " ";
        if (perSecond != null) {
            buckets.add(new ProxyRateDao.Bucket(key + 1, perSecond, 1));
        }
        if (perMinute != null) {
            buckets.add(new ProxyRateDao.Bucket(key + 60, perMinute, 60));
        }
    }

    /** Takes a token of each bucket, or none when one is empty: RATE_LIMITED with the seconds until there is one. */
    void acquire(String what) throws UpstreamFailure {
        double waitSeconds = db.inTransaction(h -> ProxyRateDao.take(h, namespace, buckets, System.currentTimeMillis()));
        if (waitSeconds > 0) {
            long retry = Math.max(1, (long) Math.ceil(waitSeconds));
            throw new UpstreamFailure(UpstreamFailure.Reason.RATE_LIMITED, "the proxy's request budget for " + upstream
                    + " is used up (" + describe() + "); " + what + " was not sent, retry in " + retry + " s", retry,
                    null);
        }
    }

    private String describe() {
        return (perSecond == null ? "" : perSecond + " requests per second")
                + (perSecond != null && perMinute != null ? ", " : "")
                + (perMinute == null ? "" : perMinute + " requests per minute");
    }
}
