package dev.bollard.mirror;

import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * A mirrored repository as the API shows it (the password never: only whether there is one). {@code url} and
 * {@code upstreamRepository}: what it copies; {@code architectures}: the platforms of an index it keeps (empty:
 * all); {@code mirrorDeletions}: a local tag the upstream no longer has (or that no longer passes the filters) is
 * deleted; {@code concurrency}: tags copied at once; {@code cron}: the schedule as a cron expression (UTC), which
 * replaces the {@code interval} when set.
 */
public record Mirror(long id, String repository, URI url, String upstreamRepository, @Nullable String username,
                     boolean hasPassword, @Nullable String caBundle, Duration interval, TagFilter filter,
                     List<String> architectures, boolean mirrorDeletions, int concurrency, boolean enabled,
                     Instant nextRun, String createdBy, Instant createdAt, Instant updatedAt, @Nullable String cron) {
    public Mirror {
        architectures = List.copyOf(architectures);
    }

    public Map<String, Object> describe() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("repository", repository);
        m.put("url", url.toString());
        m.put("upstream_repository", upstreamRepository);
        m.put("username", username);
        m.put("has_password", hasPassword);
        m.put("ca_bundle", caBundle);
        m.put("interval_seconds", interval.toSeconds());
        m.put("cron", cron);
        m.put("tag_globs", filter.globs().stream().map(g -> g.glob()).toList());
        m.put("tag_regex", filter.regex() == null ? null : filter.regex().pattern());
        m.put("tag_semver", filter.semver() == null ? null : filter.semver().text());
        m.put("newest", filter.newest());
        m.put("architectures", architectures);
        m.put("mirror_deletions", mirrorDeletions);
        m.put("concurrency", concurrency);
        m.put("enabled", enabled);
        m.put("next_run", nextRun.toString());
        m.put("created_by", createdBy);
        m.put("created_at", createdAt.toString());
        m.put("updated_at", updatedAt.toString());
        return m;
    }
}
