package dev.bollard.proxy;

import dev.bollard.error.BollardException;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * A proxy organization's limits (docs/proxy-and-mirroring.md), each optional: {@code cacheMaxBytes}, the size its
 * cached images may take before the least recently pulled are evicted; {@code cacheExpiryDays}, an image not pulled for
 * that many days is evicted; {@code ratePerSecond} / {@code ratePerMinute}, the requests it sends to each upstream.
 */
public record ProxyLimits(@Nullable Long cacheMaxBytes, @Nullable Integer cacheExpiryDays,
                          @Nullable Integer ratePerSecond, @Nullable Integer ratePerMinute) {
    public static final ProxyLimits NONE = new ProxyLimits(null, null, null, null);

    /** INVALID for a limit that is not positive (or absurd). */
    public ProxyLimits {
        if (cacheMaxBytes != null && cacheMaxBytes < 1) {
            throw BollardException.invalid("cache_max_bytes must be a positive number of bytes");
        }
        if (cacheExpiryDays != null && (cacheExpiryDays < 1 || cacheExpiryDays > 36_500)) {
            throw BollardException.invalid("cache_expiry_days must be between 1 and 36500");
        }
        if (ratePerSecond != null && (ratePerSecond < 1 || ratePerSecond > 1_000_000)) {
            throw BollardException.invalid("rate_limit_per_second must be between 1 and 1000000");
        }
        if (ratePerMinute != null && (ratePerMinute < 1 || ratePerMinute > 60_000_000)) {
            throw BollardException.invalid("rate_limit_per_minute must be between 1 and 60000000");
        }
    }

    /** True when the cache may have to evict. */
    public boolean evicts() {
        return cacheMaxBytes != null || cacheExpiryDays != null;
    }

    /** The API's fields, and the audit details of a change. */
    void describeInto(Map<String, Object> m) {
        m.put("cache_max_bytes", cacheMaxBytes);
        m.put("cache_expiry_days", cacheExpiryDays);
        m.put("rate_limit_per_second", ratePerSecond);
        m.put("rate_limit_per_minute", ratePerMinute);
    }
}
