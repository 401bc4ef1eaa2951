package dev.bollard.proxy;

import java.net.URI;
import org.jspecify.annotations.Nullable;

/**
 * A proxy organization's budget of requests to one upstream (docs/proxy-and-mirroring.md): token buckets of
 * {@code perSecond} and {@code perMinute} requests (either may be absent), each full at the start and refilled
 * continuously, so a burst may use a whole second's or minute's budget at once and no more. A request takes a token of
 * each; when one is empty the request is not sent and the proxy answers as if the upstream had rate-limited it (served
 * stale when cached, else {@code 429 TOOMANYREQUESTS} with a {@code Retry-After}). Per node: {@code n} nodes may send
 * {@code n} times the budget.
 */
final class RateLimit {
    private final URI upstream;
    private final @Nullable Bucket second;
    private final @Nullable Bucket minute;

    /** Null when neither limit is set. */
    static @Nullable RateLimit of(URI upstream, @Nullable Integer perSecond, @Nullable Integer perMinute) {
        return perSecond == null && perMinute == null ? null : new RateLimit(upstream, perSecond, perMinute);
    }

    private RateLimit(URI upstream, @Nullable Integer perSecond, @Nullable Integer perMinute) {
        this.upstream = upstream;
        this.second = perSecond == null ? null : new Bucket(perSecond, 1);
        this.minute = perMinute == null ? null : new Bucket(perMinute, 60);
    }

    /** Takes a token of each bucket, or none when one is empty: RATE_LIMITED with the seconds until there is one. */
    synchronized void acquire(String what) throws UpstreamFailure {
        long now = System.nanoTime();
        double waitSeconds = Math.max(second == null ? 0 : second.secondsUntilToken(now), minute == null ? 0 : minute.secondsUntilToken(now));
        if (waitSeconds > 0) {
            long retry = Math.max(1, (long) Math.ceil(waitSeconds));
            throw new UpstreamFailure(UpstreamFailure.Reason.RATE_LIMITED, "the proxy's request budget for " + upstream
                    + " is used up (" + describe() + "); " + what + " was not sent, retry in " + retry + " s", retry,
                    null);
        }
        if (second != null) {
            second.take();
        }
        if (minute != null) {
            minute.take();
        }
    }

    private String describe() {
        return (second == null ? "" : second.capacity + " requests per second")
                + (second != null && minute != null ? ", " : "")
                + (minute == null ? "" : minute.capacity + " requests per minute");
    }

    /** {@code capacity} tokens, refilled at {@code capacity} per {@code periodSeconds}. */
    private static final class Bucket {
        private final int capacity;
        private final double perNano;
        private double tokens;
        private long at = System.nanoTime();

        Bucket(int capacity, int periodSeconds) {
            this.capacity = capacity;
            this.perNano = capacity / (periodSeconds * 1e9);
            this.tokens = capacity;
        }

        /** Refills up to now; the seconds until a token is there (0: there is one). */
        double secondsUntilToken(long now) {
            tokens = Math.min(capacity, tokens + (now - at) * perNano);
            at = now;
            return tokens >= 1 ? 0 : (1 - tokens) / perNano / 1e9;
        }

        void take() {
            tokens -= 1;
        }
    }
}
