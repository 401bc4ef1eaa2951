package dev.bollard.mirror;

import dev.bollard.audit.Actor;
import dev.bollard.audit.AuditActions;
import dev.bollard.audit.AuditEvent;
import dev.bollard.config.ConfigLoader;
import dev.bollard.error.BollardException;
import dev.bollard.error.ErrorCode;
import dev.bollard.events.Outbox;
import dev.bollard.metadata.Database;
import dev.bollard.metadata.MirrorDao;
import dev.bollard.oci.RepositoryName;
import dev.bollard.proxy.ProxyOrganizations;
import dev.bollard.proxy.UpstreamClient;
import dev.bollard.proxy.UpstreamPasswords;
import dev.bollard.secrets.KeyEncryption;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Repository mirrors (docs/proxy-and-mirroring.md, "Repository mirroring"): their administration — each change
 * recorded in the outbox, so audited; the password sealed at rest with the key-encryption key like a proxy
 * organization's, never shown — "sync now", the history of syncs, and the rule that a mirrored repository takes no
 * pushes (its content comes from its upstream only). The syncs themselves are {@link MirrorSync}, run by
 * {@link MirrorWorker}.
 */
public final class Mirrors {
    /** Who stores what a sync copies, in the audit log. */
    public static final Actor ACTOR = Actor.system("mirror");
    public static final Duration DEFAULT_INTERVAL = Duration.ofHours(1);
    static final Duration MIN_INTERVAL = Duration.ofSeconds(60);
    static final Duration MAX_INTERVAL = Duration.ofDays(31);
    public static final int DEFAULT_CONCURRENCY = 4;
    static final int MAX_CONCURRENCY = 32;
    /** How long a node trusts what it read about a repository being a mirror before reading it again. */
    private static final Duration REFRESH = Duration.ofSeconds(5);
    private static final String PASSWORD = "mirror upstream password";
    private static final Pattern ARCHITECTURE = Pattern.compile("[a-z0-9_]{1,32}(/[a-z0-9_]{1,16})?");

    /**
     * What a mirror is to be. {@code password}: null with a username keeps the stored password when the username is
     * unchanged; {@code interval} null: the default (an hour); {@code cron}: a cron expression (UTC) that schedules the
     * syncs instead of the interval (null: the interval); {@code tagSemver}: a semantic-version range tags must be in.
     */
    public record Spec(String url, String upstreamRepository, @Nullable String username, @Nullable String password,
                       @Nullable String caBundle, @Nullable Duration interval, List<String> tagGlobs,
                       @Nullable String tagRegex, @Nullable Integer newest, List<String> architectures,
                       boolean mirrorDeletions, @Nullable Integer concurrency, boolean enabled,
                       @Nullable String cron, @Nullable String tagSemver) {
        public Spec {
            tagGlobs = List.copyOf(tagGlobs);
            architectures = List.copyOf(architectures);
        }
    }

    private record Cached(boolean mirrored, Instant read) {
    }

    private final Database db;
    private final Outbox outbox;
    private final KeyEncryption sealing;
    private final Duration timeout;
    private final long maxManifestBytes;
    private final Map<String, Cached> mirrored = new ConcurrentHashMap<>();
    /** Told when a mirror became due at once (created, changed, "sync now"): this node's worker looks at once. */
    private volatile Runnable due = () -> { };

    public Mirrors(Database db, Outbox outbox, KeyEncryption sealing, Duration timeout, long maxManifestBytes) {
        this.db = db;
        this.outbox = outbox;
        this.sealing = sealing;
        this.timeout = timeout;
        this.maxManifestBytes = maxManifestBytes;
    }

    /** {@code wake} runs after a mirror became due at once on this node (the worker's {@link MirrorWorker#wake}). */
    public void whenDue(Runnable wake) {
        this.due = wake;
    }

    public List<Mirror> list() {
        return db.read(h -> MirrorDao.all(h)).stream().map(Mirrors::mirrorOf).toList();
    }

    /** NOT_FOUND when the repository is no mirror. */
    public Mirror get(RepositoryName repository) {
        return mirrorOf(row(repository));
    }

    private MirrorDao.Row row(RepositoryName repository) {
        return db.read(h -> MirrorDao.find(h, repository.value()))
                .orElseThrow(() -> BollardException.notFound("repository " + repository + " is no mirror"));
    }

    /** Makes the repository a mirror of {@code spec}'s upstream, or changes it, as {@code actor}; due at once. */
    public Mirror set(Actor actor, RepositoryName repository, Spec spec) {
        URI url = ProxyOrganizations.checkedUrl(spec.url(), "url");
        String upstream = spec.upstreamRepository().strip();
        if (!RepositoryName.isValid(upstream)) {
            throw BollardException.invalid("upstream_repository '" + upstream + "' is not a valid repository name");
        }
        Duration interval = spec.interval() == null ? DEFAULT_INTERVAL : spec.interval();
        if (interval.compareTo(MIN_INTERVAL) < 0 || interval.compareTo(MAX_INTERVAL) > 0) {
            throw BollardException.invalid("the interval between syncs must be from "
                    + ConfigLoader.formatDuration(MIN_INTERVAL) + " to " + ConfigLoader.formatDuration(MAX_INTERVAL)
                    + ", not " + ConfigLoader.formatDuration(interval) + " (interval_seconds "
                    + MIN_INTERVAL.toSeconds() + " to " + MAX_INTERVAL.toSeconds() + " in the API)");
        }
        String cron = spec.cron() == null || spec.cron().isBlank() ? null : CronSchedule.parse(spec.cron()).expression();
        TagFilter filter = TagFilter.of(spec.tagGlobs(), spec.tagRegex(), spec.newest(), spec.tagSemver()); // refuses bad ones
        String semver = filter.semver() == null ? null : filter.semver().text();
        for (String a : spec.architectures()) {
            if (!ARCHITECTURE.matcher(a).matches()) {
                throw BollardException.invalid("architecture '" + a + "' is not an architecture such as amd64, arm64 "
                        + "or arm/v7");
            }
        }
        int concurrency = spec.concurrency() == null ? DEFAULT_CONCURRENCY : spec.concurrency();
        if (concurrency < 1 || concurrency > MAX_CONCURRENCY) {
            throw BollardException.invalid("concurrency must be between 1 and " + MAX_CONCURRENCY);
        }
        if (spec.caBundle() != null) {
            new UpstreamClient(url, null, null, spec.caBundle(), timeout, maxManifestBytes); // refuses a bad bundle
        }
        if (spec.username() != null && spec.username().isBlank()) {
            throw BollardException.invalid("username must not be empty (leave it out for anonymous pulls)");
        }
        long now = System.currentTimeMillis();
        db.inTransaction(h -> {
            Optional<MirrorDao.Row> before = MirrorDao.find(h, repository.value());
            String password = UpstreamPasswords.toStore(sealing, PASSWORD, spec.username(), spec.password(),
                    before.map(MirrorDao.Row::username).orElse(null), before.map(MirrorDao.Row::password).orElse(null));
            MirrorDao.Row row = new MirrorDao.Row(before.map(MirrorDao.Row::id).orElse(0L), repository.value(),
                    url.toString(), upstream, spec.username(), password, spec.caBundle(), (int) interval.toSeconds(),
                    String.join("\n", spec.tagGlobs().stream().map(String::strip).toList()),
                    spec.tagRegex() == null || spec.tagRegex().isEmpty() ? null : spec.tagRegex(), spec.newest(),
                    String.join(",", spec.architectures()), spec.mirrorDeletions(), concurrency, spec.enabled(), now,
                    actor.name(), before.map(MirrorDao.Row::createdAt).orElse(now), now, cron, semver);
            if (before.isPresent()) {
                MirrorDao.update(h, row);
            } else {
                MirrorDao.insert(h, row);
            }
            Map<String, Object> details = new LinkedHashMap<>();
            details.put("url", url.toString());
            details.put("upstream_repository", upstream);
            details.put("created", before.isEmpty());
            details.put("credentials", spec.username() == null ? "anonymous"
                    : spec.password() != null ? "set" : "kept");
            details.put("tag_globs", spec.tagGlobs());
            details.put("tag_regex", spec.tagRegex());
            details.put("tag_semver", semver);
            details.put("newest", spec.newest());
            details.put("architectures", spec.architectures());
            details.put("mirror_deletions", spec.mirrorDeletions());
            details.put("interval_seconds", interval.toSeconds());
            details.put("cron", cron);
            details.put("enabled", spec.enabled());
            outbox.record(h, AuditEvent.onRepository(actor, AuditActions.MIRROR_SET, repository.value(), details));
            return null;
        });
        mirrored.remove(repository.value());
        due.run();
        return get(repository);
    }

    /** Makes a mirror an ordinary repository again: what it copied stays, and may be pushed to now. */
    public void delete(Actor actor, RepositoryName repository) {
        boolean deleted = db.inTransaction(h -> {
            boolean gone = MirrorDao.delete(h, repository.value());
            if (gone) {
                outbox.record(h, AuditEvent.onRepository(actor, AuditActions.MIRROR_DELETE, repository.value(),
                        Map.of()));
            }
            return gone;
        });
        mirrored.remove(repository.value());
        if (!deleted) {
            throw BollardException.notFound("repository " + repository + " is no mirror");
        }
    }

    /** "Sync now": the mirror is due at once (the next turn of a node's {@link MirrorWorker} runs it). */
    public Mirror syncNow(Actor actor, RepositoryName repository) {
        MirrorDao.Row row = row(repository);
        db.inTransaction(h -> {
            MirrorDao.scheduleAt(h, row.id(), System.currentTimeMillis(), true);
            outbox.record(h, AuditEvent.onRepository(actor, AuditActions.MIRROR_SYNC_REQUEST, repository.value(),
                    Map.of()));
            return null;
        });
        due.run();
        return get(repository);
    }

    /** The mirror's syncs, the newest first. */
    public List<MirrorRun> runs(RepositoryName repository, int limit) {
        MirrorDao.Row row = row(repository);
        return db.read(h -> MirrorDao.runs(h, row.id(), Math.max(1, Math.min(limit, 1000)))).stream()
                .map(MirrorRun::new).toList();
    }

    /** DENIED for a push or deletion in a mirrored repository: its content comes from its upstream only. */
    public void requireWritable(RepositoryName repository) {
        if (isMirror(repository)) {
            throw new BollardException(ErrorCode.DENIED, "repository " + repository + " is a mirror, whose content "
                    + "comes from its upstream only: push to another repository (or stop mirroring it first)");
        }
    }

    public boolean isMirror(RepositoryName repository) {
        Instant now = Instant.now();
        Cached c = mirrored.get(repository.value());
        if (c != null && !c.read().plus(REFRESH).isBefore(now)) {
            return c.mirrored();
        }
        boolean is = db.read(h -> MirrorDao.find(h, repository.value())).isPresent();
        mirrored.put(repository.value(), new Cached(is, now));
        return is;
    }

    /** Re-seals stored passwords under the current key-encryption key (after a rotation); run at start. */
    public void sealAtRest() {
        for (MirrorDao.Row r : db.read(h -> MirrorDao.all(h))) {
            if (r.password() == null || sealing.isCurrent(r.password())) {
                continue;
            }
            String sealed = sealing.resealed(PASSWORD, r.password(), passwordOf(r.repository()));
            db.inTransaction(h -> {
                MirrorDao.update(h, new MirrorDao.Row(r.id(), r.repository(), r.url(), r.upstreamRepository(),
                        r.username(), sealed, r.caBundle(), r.intervalSeconds(), r.tagGlobs(), r.tagRegex(), r.newest(),
                        r.architectures(), r.mirrorDeletions(), r.concurrency(), r.enabled(), r.nextRunAt(),
                        r.createdBy(), r.createdAt(), r.updatedAt(), r.cron(), r.tagSemver()));
                return null;
            });
        }
    }

    /** A client of the mirror's upstream with its credentials opened. */
    UpstreamClient clientOf(MirrorDao.Row r) {
        String password = r.password() == null ? null : sealing.open(PASSWORD, r.password(), passwordOf(r.repository()));
        return new UpstreamClient(URI.create(r.url()), r.username(), password, r.caBundle(), timeout, maxManifestBytes);
    }

    long maxManifestBytes() {
        return maxManifestBytes;
    }

    private static String passwordOf(String repository) {
        return "the upstream password of mirror " + repository;
    }

    static Mirror mirrorOf(MirrorDao.Row r) {
        return new Mirror(r.id(), r.repository(), URI.create(r.url()), r.upstreamRepository(), r.username(),
                r.password() != null, r.caBundle(), Duration.ofSeconds(r.intervalSeconds()), filterOf(r),
                r.architectures().isBlank() ? List.of() : Arrays.asList(r.architectures().split(",")),
                r.mirrorDeletions(), r.concurrency(), r.enabled(), Instant.ofEpochMilli(r.nextRunAt()), r.createdBy(),
                Instant.ofEpochMilli(r.createdAt()), Instant.ofEpochMilli(r.updatedAt()), r.cron());
    }

    /** When a mirror that ended a sync at {@code end} syncs next: its cron expression's next time, or its interval after. */
    static long nextRun(MirrorDao.Row r, long end) {
        return r.cron() == null ? end + r.intervalSeconds() * 1000L
                : CronSchedule.parse(r.cron()).next(Instant.ofEpochMilli(end)).toEpochMilli();
    }

    static TagFilter filterOf(MirrorDao.Row r) {
        List<String> globs = r.tagGlobs().isBlank() ? List.of() : r.tagGlobs().lines().filter(l -> !l.isBlank()).toList();
        return TagFilter.of(globs, r.tagRegex(), r.newest(), r.tagSemver());
    }
}
