package dev.bollard.proxy;

import dev.bollard.audit.Actor;
import dev.bollard.audit.AuditActions;
import dev.bollard.audit.AuditEvent;
import dev.bollard.error.BollardException;
import dev.bollard.events.Outbox;
import dev.bollard.metadata.AccountDao;
import dev.bollard.metadata.Database;
import dev.bollard.metadata.ProxyDao;
import dev.bollard.metadata.ProxyRateDao;
import dev.bollard.oci.RepositoryName;
import dev.bollard.secrets.KeyEncryption;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

/**
 * Proxy organizations: an organization with an upstream registry (docs/proxy-and-mirroring.md). Their administration
 * — each change recorded in the outbox, so audited; the password sealed at rest with the key-encryption key, like
 * webhook secrets, and never shown — and, for the cache, the upstream of a repository with its clients, held in memory
 * for a few seconds (another node's change is seen after at most {@link #REFRESH}).
 */
public final class ProxyOrganizations {
    /** How long a node trusts what it read about a namespace before reading it again. */
    static final Duration REFRESH = Duration.ofSeconds(5);
    /** How often a tag is compared with the upstream unless the organization says otherwise. */
    public static final Duration DEFAULT_TAG_CHECK = Duration.ofMinutes(5);
    private static final String PASSWORD = "proxy upstream password";
    private static final int MAX_FALLBACKS = 5;

    /**
     * What an upstream is to be. {@code password}: null with a username keeps the stored password when the username
     * is unchanged; {@code libraryNames} null: on for Docker Hub.
     */
    public record Spec(String url, String prefix, @Nullable Boolean libraryNames, @Nullable String username,
                       @Nullable String password, @Nullable String caBundle, Duration tagCheckInterval,
                       List<String> fallbacks, ProxyLimits limits) {
        public Spec {
            fallbacks = List.copyOf(fallbacks);
        }
    }

    /** A proxy organization's upstream with a client per URL (the primary, then the fallbacks). */
    record Resolved(Upstream upstream, List<UpstreamClient> clients) {
    }

    private record Cached(Optional<Resolved> resolved, Instant read) {
    }

    private final Database db;
    private final Outbox outbox;
    private final KeyEncryption sealing;
    private final Duration timeout;
    private final long maxManifestBytes;
    private final Map<String, Cached> byNamespace = new ConcurrentHashMap<>();

    public ProxyOrganizations(Database db, Outbox outbox, KeyEncryption sealing, Duration timeout,
                              long maxManifestBytes) {
        this.db = db;
        this.outbox = outbox;
        this.sealing = sealing;
        this.timeout = timeout;
        this.maxManifestBytes = maxManifestBytes;
    }

    public List<Upstream> list() {
        return db.read(h -> ProxyDao.all(h)).stream().map(ProxyOrganizations::upstreamOf).toList();
    }

    /** NOT_FOUND when the organization is no proxy organization. */
    public Upstream get(String namespace) {
        return db.read(h -> ProxyDao.find(h, namespace)).map(ProxyOrganizations::upstreamOf)
                .orElseThrow(() -> BollardException.notFound("organization " + namespace + " is no proxy organization"));
    }

    /**
     * What a proxy organization caches, as eviction counts it: its images (each manifest it stored), their bytes (a
     * manifest's and its blobs', a layer two images share counted in each) and the oldest last pull (null: none).
     */
    public record CacheUse(int images, long bytes, @Nullable Instant oldestPull) {
    }

    /** What the organization's repositories cache now (for the UI; the eviction job reads the same rows). */
    public CacheUse cacheUse(String namespace) {
        List<ProxyDao.Cached> cached = db.read(h -> ProxyDao.cachedImages(h, namespace));
        long oldest = cached.stream().mapToLong(ProxyDao.Cached::pulledAt).filter(t -> t > 0).min().orElse(0);
        return new CacheUse(cached.size(), cached.stream().mapToLong(ProxyDao.Cached::bytes).sum(),
                oldest == 0 ? null : Instant.ofEpochMilli(oldest));
    }

    /** Makes the organization a proxy of {@code spec}'s upstream, or replaces its upstream, as {@code actor}. */
    public Upstream set(Actor actor, String namespace, Spec spec) {
        URI url = checkedUrl(spec.url(), "url");
        List<URI> fallbacks = new ArrayList<>();
        for (String f : spec.fallbacks()) {
            fallbacks.add(checkedUrl(f, "fallback_urls"));
        }
        if (fallbacks.size() > MAX_FALLBACKS) {
            throw BollardException.invalid("at most " + MAX_FALLBACKS + " fallback_urls");
        }
        String prefix = spec.prefix().strip();
        if (!prefix.isEmpty() && !RepositoryName.isValid(prefix)) {
            throw BollardException.invalid("prefix '" + prefix + "' is not a valid repository namespace");
        }
        if (spec.tagCheckInterval().isNegative() || spec.tagCheckInterval().compareTo(Duration.ofDays(7)) > 0) {
            throw BollardException.invalid("tag_check_seconds must be between 0 and 604800 (a week)");
        }
        if (spec.caBundle() != null) {
            UpstreamClient.trusting(spec.caBundle()); // refuses a bundle that holds no certificate
        }
        if (spec.username() != null && spec.username().isBlank()) {
            throw BollardException.invalid("username must not be empty (leave it out for anonymous pulls)");
        }
        boolean library = spec.libraryNames() != null ? spec.libraryNames()
                : Upstream.DOCKER_HUB.contains(url.getHost().toLowerCase(Locale.ROOT));
        long now = System.currentTimeMillis();
        db.inTransaction(h -> {
            AccountDao.Account account = AccountDao.find(h, namespace).filter(a -> !a.isUser())
                    .orElseThrow(() -> BollardException.notFound("no organization '" + namespace + "'"));
            Optional<ProxyDao.Row> before = ProxyDao.find(h, account.name());
            String password = UpstreamPasswords.toStore(sealing, PASSWORD, spec.username(), spec.password(),
                    before.map(ProxyDao.Row::username).orElse(null), before.map(ProxyDao.Row::password).orElse(null));
            boolean created = ProxyDao.upsert(h, new ProxyDao.Row(namespace, url.toString(), prefix, library,
                    spec.username(), password, spec.caBundle(), (int) spec.tagCheckInterval().toSeconds(),
                    String.join("\n", fallbacks.stream().map(URI::toString).toList()), actor.name(),
                    before.map(ProxyDao.Row::createdAt).orElse(now), now, spec.limits().cacheMaxBytes(),
                    spec.limits().cacheExpiryDays(), spec.limits().ratePerSecond(), spec.limits().ratePerMinute()));
            ProxyRateDao.forget(h, namespace); // the buckets of the limits before: new ones start full
            Map<String, Object> details = new LinkedHashMap<>();
            details.put("url", url.toString());
            details.put("created", created);
            details.put("credentials", spec.username() == null ? "anonymous"
                    : spec.password() != null ? "set" : "kept");
            spec.limits().describeInto(details);
            outbox.record(h, AuditEvent.onNamespace(actor, AuditActions.PROXY_SET, namespace, details));
            return null;
        });
        byNamespace.remove(namespace);
        return get(namespace);
    }

    /** Makes the organization an ordinary one again; what it cached stays (and may be pushed to now). */
    public void delete(Actor actor, String namespace) {
        boolean deleted = db.inTransaction(h -> {
            boolean gone = ProxyDao.delete(h, namespace);
            ProxyRateDao.forget(h, namespace);
            if (gone) {
                outbox.record(h, AuditEvent.onNamespace(actor, AuditActions.PROXY_DELETE, namespace, Map.of()));
            }
            return gone;
        });
        byNamespace.remove(namespace);
        if (!deleted) {
            throw BollardException.notFound("organization " + namespace + " is no proxy organization");
        }
    }

    /** Re-seals stored passwords under the current key-encryption key (after a rotation); run at start. */
    public void sealAtRest() {
        for (ProxyDao.Row r : db.read(h -> ProxyDao.all(h))) {
            if (r.password() == null || sealing.isCurrent(r.password())) {
                continue;
            }
            String sealed = sealing.resealed(PASSWORD, r.password(), passwordOf(r.namespace()));
            db.inTransaction(h -> ProxyDao.upsert(h, new ProxyDao.Row(r.namespace(), r.url(), r.prefix(),
                    r.libraryNames(), r.username(), sealed, r.caBundle(), r.tagCheckSeconds(), r.fallbacks(),
                    r.createdBy(), r.createdAt(), r.updatedAt(), r.cacheMaxBytes(), r.cacheExpiryDays(),
                    r.ratePerSecond(), r.ratePerMinute())));
        }
    }

    /** True when the repository is in a proxy organization. */
    public boolean isProxied(RepositoryName repository) {
        return resolve(repository).isPresent();
    }

    /** The upstream of the repository's organization and its clients, when it is a proxy organization. */
    Optional<Resolved> resolve(RepositoryName repository) {
        String namespace = RepositoryName.namespaceOf(repository.value());
        if (namespace == null) {
            return Optional.empty();
        }
        Cached cached = byNamespace.get(namespace);
        Instant now = Instant.now();
        if (cached != null && !cached.read().plus(REFRESH).isBefore(now)) {
            return cached.resolved();
        }
        Optional<Resolved> before = cached == null ? Optional.empty() : cached.resolved();
        Optional<ProxyDao.Row> row = db.read(h -> ProxyDao.find(h, namespace));
        // Clients keep their connections and tokens: reuse them while the row did not change.
        Optional<Resolved> resolved = row.map(r -> before.isPresent()
                && before.get().upstream().updatedAt().toEpochMilli() == r.updatedAt() ? before.get() : resolved(r));
        byNamespace.put(namespace, new Cached(resolved, now));
        return resolved;
    }

    private Resolved resolved(ProxyDao.Row r) {
        Upstream upstream = upstreamOf(r);
        String password = r.password() == null ? null : sealing.open(PASSWORD, r.password(), passwordOf(r.namespace()));
        List<UpstreamClient> clients = upstream.urls().stream().map(u -> new UpstreamClient(u, r.username(), password,
                r.caBundle(), timeout, maxManifestBytes, RateLimit.of(db, r.namespace(), r.updatedAt(), u, r.ratePerSecond(),
                r.ratePerMinute()))).toList();
        return new Resolved(upstream, clients);
    }

    private static String passwordOf(String namespace) {
        return "the upstream password of proxy organization " + namespace;
    }

    private static Upstream upstreamOf(ProxyDao.Row r) {
        List<URI> fallbacks = r.fallbacks().isBlank() ? List.of()
                : r.fallbacks().lines().filter(l -> !l.isBlank()).map(URI::create).toList();
        return new Upstream(r.namespace(), URI.create(r.url()), r.prefix(), r.libraryNames(), r.username(),
                r.password() != null, r.caBundle(), Duration.ofSeconds(r.tagCheckSeconds()), fallbacks, r.createdBy(),
                Instant.ofEpochMilli(r.createdAt()), Instant.ofEpochMilli(r.updatedAt()), new ProxyLimits(
                r.cacheMaxBytes(), r.cacheExpiryDays(), r.ratePerSecond(), r.ratePerMinute()));
    }

    /** An upstream registry URL as given, checked (http(s), a host, no credentials, query or fragment) and normalised. */
    public static URI checkedUrl(String text, String field) {
        try {
            URI u = new URI(text.strip());
            String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
            if (!(scheme.equals("https") || scheme.equals("http")) || u.getHost() == null || u.getRawQuery() != null
                    || u.getRawFragment() != null || u.getRawUserInfo() != null) {
                throw BollardException.invalid(field + " '" + text + "' must be an http(s) URL of a registry, "
                        + "such as https://registry-1.docker.io, without credentials, query or fragment");
            }
            String path = u.getRawPath() == null ? "" : u.getRawPath();
            return new URI(scheme, null, u.getHost(), u.getPort(), path.endsWith("/") ? path : path + "/", null, null);
        } catch (URISyntaxException e) {
            throw BollardException.invalid(field + " '" + text + "' is not a URL: " + e.getMessage());
        }
    }
}
