package dev.bollard.metadata;

import java.util.List;
import org.jdbi.v3.core.Handle;

/**
 * The proxy's request budgets in the database ({@code V27__proxy_rate_buckets.sql}): token buckets every node takes
 * from, so that {@code n} nodes together send no more than the budget.
 */
public final class ProxyRateDao {
    private ProxyRateDao() {
    }

    /** A bucket: {@code capacity} tokens refilled over {@code periodSeconds}. */
    public record Bucket(String key, int capacity, int periodSeconds) {
    }

    /**
     * Takes a token of each bucket at {@code now} (epoch ms), or none when one is empty; 0 when taken, else the
     * seconds until each has a token. Missing buckets start full. Must run in a transaction: the rows are locked
     * (in key order, so that two nodes never wait for each other in a circle) until it ends.
     */
    public static double take(Handle h, String namespace, List<Bucket> buckets, long now) {
        List<Bucket> ordered = buckets.stream().sorted(java.util.Comparator.comparing(Bucket::key)).toList();
        double wait = 0;
        double[] left = new double[ordered.size()];
        long[] at = new long[ordered.size()];
        for (int i = 0; i < ordered.size(); i++) {
            Bucket b = ordered.get(i);
            h.createUpdate("""
                            INSERT INTO proxy_rate_bucket (bucket, namespace, tokens, at_millis)
                            VALUES (:b, :n, :tokens, :now) ON CONFLICT DO NOTHING""")
                    .bind("b", b.key()).bind("n", namespace).bind("tokens", (double) b.capacity()).bind("now", now)
                    .execute();
            record Stored(double tokens, long at) {
            }
            Stored s = h.createQuery("SELECT tokens, at_millis FROM proxy_rate_bucket WHERE bucket = :b FOR UPDATE")
                    .bind("b", b.key()).map((rs, ctx) -> new Stored(rs.getDouble(1), rs.getLong(2))).one();
            double perMilli = b.capacity() / (b.periodSeconds() * 1000.0);
            // Another node's clock may be ahead: time never runs backwards for a bucket.
            at[i] = Math.max(now, s.at());
            left[i] = Math.min(b.capacity(), s.tokens() + Math.max(0, now - s.at()) * perMilli);
            if (left[i] < 1) {
                wait = Math.max(wait, (1 - left[i]) / perMilli / 1000.0);
            }
        }
        for (int i = 0; i < ordered.size(); i++) {
            h.createUpdate("UPDATE proxy_rate_bucket SET tokens = :t, at_millis = :at WHERE bucket = :b")
                    .bind("t", wait > 0 ? left[i] : left[i] - 1).bind("at", at[i]).bind("b", ordered.get(i).key())
                    .execute();
        }
        return wait;
    }

    /** Forgets a proxy organization's buckets (its limits changed or it is a proxy no more). */
    public static void forget(Handle h, String namespace) {
        h.createUpdate("DELETE FROM proxy_rate_bucket WHERE namespace = :n").bind("n", namespace).execute();
    }
}
