package dev.bollard.scan.policy;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import dev.bollard.audit.Actor;
import dev.bollard.audit.AuditActions;
import dev.bollard.audit.AuditEvent;
import dev.bollard.error.BollardException;
import dev.bollard.error.ErrorCode;
import dev.bollard.events.Outbox;
import dev.bollard.json.Json;
import dev.bollard.metadata.Database;
import dev.bollard.metadata.ScanPolicyDao;
import dev.bollard.oci.Descriptor;
import dev.bollard.oci.Digest;
import dev.bollard.oci.Manifest;
import dev.bollard.oci.ManifestInvalidException;
import dev.bollard.oci.ManifestParser;
import dev.bollard.oci.RepositoryName;
import dev.bollard.registry.PullGate;
import dev.bollard.registry.StoredManifest;
import dev.bollard.scan.vuln.Severity;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Pattern;
import org.jdbi.v3.core.Handle;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Vulnerability pull policies (docs/scanning.md, "Pull policy"): their administration — every change recorded in the
 * outbox, so audited — and the decision on each manifest pull, as the registry's {@link PullGate}.
 *
 * <p>The decision is on the hot path of every manifest {@code GET} and {@code HEAD}, so every node keeps all
 * policies, allow-list entries and bypass grants in memory (there are few: at most one policy per organization and
 * repository) and reads them again when they are older than {@link #REFRESH}, or at once after a change made through
 * this node. A pull from a repository that no policy covers costs two map look-ups; only a covered pull reads the
 * manifest's scan results.
 */
public final class PullPolicies implements PullGate {
    /** How long a node trusts what it read of the policies: a change made on another node applies within this. */
    public static final Duration REFRESH = Duration.ofSeconds(5);
    private static final Logger LOG = LoggerFactory.getLogger(PullPolicies.class);
    private static final TypeReference<List<String>> STRINGS = new TypeReference<>() {
    };
    /** A vulnerability id as advisories spell them: CVE-2023-4911, DSA-5514-1, GHSA-xxxx-xxxx-xxxx, GO-2023-2102. */
    private static final Pattern VULN_ID = Pattern.compile("[A-Za-z][A-Za-z0-9]*(-[A-Za-z0-9._:]+)+");
    private static final Pattern PRINCIPAL = Pattern.compile("[a-z0-9][a-z0-9._-]{0,254}(\\+[a-z0-9][a-z0-9._-]*)?");

    /** An allow-list entry: {@code vulnId} (a CVE or advisory id) does not block before {@code expiresAt}. */
    public record AllowEntry(PolicyScope scope, String vulnId, Instant expiresAt, @Nullable String reason,
                             String createdBy, Instant createdAt) {
        boolean allows(String id, List<String> aliases, Instant now) {
            if (!now.isBefore(expiresAt)) {
                return false;
            }
            return vulnId.equalsIgnoreCase(id) || aliases.stream().anyMatch(vulnId::equalsIgnoreCase);
        }
    }

    /** A bypass grant: {@code principal} (a user, or a robot {@code owner+name}) pulls whatever the policy says. */
    public record Bypass(PolicyScope scope, String principal, String createdBy, Instant createdAt) {
    }

    /**
     * The settings of one scope: its own policy (null when it has none), the policy that applies to its pulls (for a
     * repository without its own: its organization's), its allow-list and bypass grants.
     */
    public record Settings(PolicyScope scope, @Nullable PullPolicy policy, @Nullable PullPolicy effective,
                           List<AllowEntry> allowList, List<Bypass> bypass) {
    }

    /** What the policy says of one manifest: the policy that applies (null: none) and why it refuses (null: it does not). */
    public record Verdict(@Nullable PullPolicy policy, @Nullable String refusal) {
    }

    private record Snapshot(Map<PolicyScope, PullPolicy> policies, Map<PolicyScope, List<AllowEntry>> allowed,
                            Set<String> bypass, long readAt) {
    }

    /** Why one image is refused; {@code severity} null when it is refused for not being scanned. */
    private record Problem(@Nullable Severity severity, double score, String text) {
    }

    private final Database db;
    private final Outbox outbox;
    private final Clock clock;
    private volatile @Nullable Snapshot snapshot;
    private final AtomicBoolean reading = new AtomicBoolean();

    public PullPolicies(Database db, Outbox outbox, Clock clock) {
        this.db = db;
        this.outbox = outbox;
        this.clock = clock;
    }

    // ---- the decision on a pull ----

    @Override
    public void check(RepositoryName repository, StoredManifest manifest, Actor actor) {
        Snapshot s = current();
        if (s.policies().isEmpty()) {
            return; // the common case: nothing to look up
        }
        PolicyScope repo = PolicyScope.repository(repository);
        PolicyScope org = organizationOf(repository);
        PullPolicy policy = applying(s, repo, org);
        if (policy == null || bypasses(s, actor, repo, org)) {
            return;
        }
        String refusal = refusal(s, policy, repository, org, manifest.digest(), manifest.mediaType(),
                manifest.content());
        if (refusal != null) {
            throw new BollardException(ErrorCode.DENIED, refusal, Map.of("policy", policy.scope().toString(),
                    "digest", manifest.digest().toString()));
        }
    }

    /**
     * What the policy says of manifest {@code digest} of {@code repository} (for the scan report), whoever asks: the
     * bypass grants are not applied.
     */
    public Verdict verdict(RepositoryName repository, Digest digest, String mediaType, byte[] content) {
        Snapshot s = current();
        PolicyScope org = organizationOf(repository);
        PullPolicy policy = applying(s, PolicyScope.repository(repository), org);
        return new Verdict(policy, policy == null ? null
                : refusal(s, policy, repository, org, digest, mediaType, content));
    }

    /** The organization whose policy a repository without its own follows; null for a repository outside one. */
    private static @Nullable PolicyScope organizationOf(RepositoryName repository) {
        String namespace = RepositoryName.namespaceOf(repository.value());
        return namespace == null ? null : new PolicyScope(PolicyScope.Kind.ORG, namespace);
    }

    private static @Nullable PullPolicy applying(Snapshot s, PolicyScope repo, @Nullable PolicyScope org) {
        PullPolicy own = s.policies().get(repo);
        return own != null || org == null ? own : s.policies().get(org);
    }

    /**
     * The registry's own work (the scanner, the mirror and the proxy act as system actors) and principals with an
     * explicit bypass grant on the repository or its organization pull whatever the policy says.
     */
    private static boolean bypasses(Snapshot s, Actor actor, PolicyScope repo, @Nullable PolicyScope org) {
        if (actor.kind() == Actor.Kind.SYSTEM) {
            return true;
        }
        if (actor.kind() == Actor.Kind.ANONYMOUS || actor.name().isEmpty()) {
            return false;
        }
        return s.bypass().contains(key(repo, actor.name())) || (org != null && s.bypass().contains(key(org, actor.name())));
    }

    private static String key(PolicyScope scope, String principal) {
        return scope.kind().stored + "\u0000" + scope.name() + "\u0000" + principal;
    }

    /** The refusal of the manifest under {@code policy} (null: allowed); reads its scan results. */
    private @Nullable String refusal(Snapshot s, PullPolicy policy, RepositoryName repository, @Nullable PolicyScope org,
                                     Digest digest, String mediaType, byte[] content) {
        Manifest manifest;
        try {
            manifest = ManifestParser.parse(content, mediaType);
        } catch (ManifestInvalidException e) {
            return null; // stored manifests parse; one that does not is no image to judge
        }
        if (manifest.subject().isPresent()) {
            return null; // a signature, an SBOM, an attestation: about another image, which is judged itself
        }
        List<AllowEntry> allowed = new ArrayList<>(s.allowed().getOrDefault(
                PolicyScope.repository(repository), List.of()));
        if (org != null) {
            allowed.addAll(s.allowed().getOrDefault(org, List.of()));
        }
        Instant now = clock.instant();
        Problem problem = db.read(h -> switch (manifest) {
            case Manifest.Image image -> problem(h, policy, allowed, now, repository, digest, null);
            case Manifest.Index index -> {
                // An index is refused when one of its platform images stored here would be: the worst of theirs is
                // named (a finding before "not scanned"). Platforms not stored here (a sparse index) are not judged.
                Problem worst = null;
                for (Descriptor child : index.manifests()) {
                    String platform = child.platform() == null ? "" : child.platform() + " ";
                    Problem p = problem(h, policy, allowed, now, repository, child.digest(), platform);
                    if (p != null && (worst == null || WORST.compare(p, worst) > 0)) {
                        worst = p;
                    }
                }
                yield worst;
            }
        });
        return problem == null ? null : "denied by the vulnerability policy of " + policy.scope() + ", which blocks "
                + policy.describe() + ": " + problem.text();
    }

    /** A finding before "not scanned", then by severity and score. */
    private static final Comparator<Problem> WORST = Comparator.comparing((Problem p) -> p.severity() != null)
            .thenComparing(Problem::severity, Comparator.nullsFirst(Comparator.<Severity>naturalOrder()))
            .thenComparingDouble(Problem::score);

    /** Why image {@code digest} is refused, or null; {@code platform} non-null for a platform of an index. */
    private static @Nullable Problem problem(Handle h, PullPolicy policy, List<AllowEntry> allowed, Instant now,
                                             RepositoryName repository, Digest digest, @Nullable String platform) {
        String state = ScanPolicyDao.scanState(h, repository.value(), digest.toString()).orElse(null);
        if (state == null) {
            return null; // not stored here
        }
        String where = platform == null ? "" : "the " + platform + "image " + digest + " has ";
        if (!state.equals("done")) {
            if (!policy.blockUnscanned() || state.equals("unsupported")) {
                return null;
            }
            String image = platform == null ? "the image" : "the " + platform + "image " + digest;
            return new Problem(null, 0, switch (state) {
                case "failed" -> image + " could not be scanned (its scan failed)";
                case "none" -> image + " was never scanned";
                default -> image + " is not scanned yet (" + state + ")";
            });
        }
        List<ScanPolicyDao.FixableRow> blocking = new ArrayList<>();
        for (ScanPolicyDao.FixableRow f : ScanPolicyDao.fixable(h, repository.value(), digest.toString())) {
            Severity severity = Severity.valueOf(f.severity());
            if (severity.compareTo(policy.severity()) >= 0
                    && allowed.stream().noneMatch(a -> a.allows(f.vulnId(), aliases(f.aliases()), now))) {
                blocking.add(f);
            }
        }
        if (blocking.isEmpty()) {
            return null;
        }
        blocking.sort(Comparator.comparing((ScanPolicyDao.FixableRow f) -> Severity.valueOf(f.severity())).reversed()
                .thenComparingDouble(f -> f.cvssScore() == null ? 0 : -f.cvssScore())
                .thenComparing(ScanPolicyDao.FixableRow::vulnId).thenComparing(ScanPolicyDao.FixableRow::packageName));
        ScanPolicyDao.FixableRow worst = blocking.getFirst();
        String cve = aliases(worst.aliases()).stream().filter(a -> a.startsWith("CVE-")).findFirst()
                .orElse(worst.vulnId());
        String text = where + cve + " (" + (cve.equals(worst.vulnId()) ? "" : worst.vulnId() + ", ")
                + worst.severity() + ") in " + worst.packageName() + " " + worst.packageVersion() + " -> fixed in "
                + worst.fixedVersion() + (blocking.size() > 1 ? " (and " + (blocking.size() - 1)
                + " more blocking finding(s))" : "");
        return new Problem(Severity.valueOf(worst.severity()), worst.cvssScore() == null ? 0 : worst.cvssScore(), text);
    }

    private static List<String> aliases(String json) {
        try {
            List<String> list = Json.MAPPER.readValue(json, STRINGS);
            return list == null ? List.of() : list;
        } catch (JsonProcessingException e) {
            return List.of();
        }
    }

    /** The snapshot, read again when it is older than {@link #REFRESH} (by one caller; the others use the old one). */
    private Snapshot current() {
        Snapshot s = snapshot;
        if (s != null && System.nanoTime() - s.readAt() < REFRESH.toNanos()) {
            return s;
        }
        if (s == null) {
            return read();
        }
        if (reading.compareAndSet(false, true)) {
            try {
                return read();
            } catch (RuntimeException e) {
                // The database is unreachable: the pull itself fails on its manifest read; keep what we knew.
                LOG.warn("reading the vulnerability pull policies failed, using those read before: {}", e.toString());
                return s;
            } finally {
                reading.set(false);
            }
        }
        return s;
    }

    private Snapshot read() {
        return db.read(h -> {
            Map<PolicyScope, PullPolicy> policies = new HashMap<>();
            for (ScanPolicyDao.PolicyRow r : ScanPolicyDao.policies(h)) {
                PullPolicy p = policy(r);
                policies.put(p.scope(), p);
            }
            Map<PolicyScope, List<AllowEntry>> allowed = new HashMap<>();
            for (ScanPolicyDao.AllowRow r : ScanPolicyDao.allowed(h)) {
                AllowEntry e = allowEntry(r);
                allowed.computeIfAbsent(e.scope(), k -> new ArrayList<>()).add(e);
            }
            Set<String> bypass = new HashSet<>();
            for (ScanPolicyDao.BypassRow r : ScanPolicyDao.bypasses(h)) {
                bypass.add(r.scopeKind() + "\u0000" + r.scope() + "\u0000" + r.principal());
            }
            Snapshot s = new Snapshot(Map.copyOf(policies), Map.copyOf(allowed), Set.copyOf(bypass), System.nanoTime());
            snapshot = s;
            return s;
        });
    }

    private static PullPolicy policy(ScanPolicyDao.PolicyRow r) {
        return new PullPolicy(new PolicyScope(PolicyScope.Kind.ofStored(r.scopeKind()), r.scope()),
                PullPolicy.threshold(r.severity()), r.blockUnscanned(), r.updatedBy(), Instant.ofEpochMilli(r.updatedAt()));
    }

    private static AllowEntry allowEntry(ScanPolicyDao.AllowRow r) {
        return new AllowEntry(new PolicyScope(PolicyScope.Kind.ofStored(r.scopeKind()), r.scope()), r.vulnId(),
                Instant.ofEpochMilli(r.expiresAt()), r.reason(), r.createdBy(), Instant.ofEpochMilli(r.createdAt()));
    }

    // ---- administration ----

    /** The settings of {@code scope}, read from the database (not the snapshot: what was just changed shows). */
    public Settings settings(PolicyScope scope) {
        return db.read(h -> {
            requireScope(h, scope);
            PullPolicy own = ScanPolicyDao.policy(h, scope.kind().stored, scope.name()).map(PullPolicies::policy)
                    .orElse(null);
            PullPolicy effective = own;
            String namespace = scope.kind() == PolicyScope.Kind.REPOSITORY ? RepositoryName.namespaceOf(scope.name()) : null;
            if (own == null && namespace != null) {
                effective = ScanPolicyDao.policy(h, "org", namespace).map(PullPolicies::policy).orElse(null);
            }
            List<AllowEntry> allowList = ScanPolicyDao.allowed(h).stream().map(PullPolicies::allowEntry)
                    .filter(e -> e.scope().equals(scope)).toList();
            List<Bypass> bypass = ScanPolicyDao.bypasses(h).stream()
                    .map(r -> new Bypass(new PolicyScope(PolicyScope.Kind.ofStored(r.scopeKind()), r.scope()),
                            r.principal(), r.createdBy(), Instant.ofEpochMilli(r.createdAt())))
                    .filter(b -> b.scope().equals(scope)).toList();
            return new Settings(scope, own, effective, allowList, bypass);
        });
    }

    /** Sets the policy of {@code scope} (replacing the one it had), as {@code actor}. */
    public Settings set(Actor actor, PolicyScope scope, Severity severity, boolean blockUnscanned) {
        long now = clock.millis();
        db.inTransaction(h -> {
            requireScope(h, scope);
            boolean created = ScanPolicyDao.policy(h, scope.kind().stored, scope.name()).isEmpty();
            ScanPolicyDao.putPolicy(h, new ScanPolicyDao.PolicyRow(scope.kind().stored, scope.name(),
                    PullPolicy.name(severity), blockUnscanned, actor.name(), now));
            Map<String, Object> details = new LinkedHashMap<>();
            details.put("scope", scope.kind().stored);
            details.put("severity", PullPolicy.name(severity));
            details.put("block_unscanned", blockUnscanned);
            details.put("created", created);
            audit(h, actor, AuditActions.SCAN_POLICY_SET, scope, details);
            return null;
        });
        return changed(scope);
    }

    /** Removes the policy of {@code scope} (its allow-list and bypass grants stay); NOT_FOUND when it has none. */
    public Settings delete(Actor actor, PolicyScope scope) {
        boolean deleted = db.inTransaction(h -> {
            boolean gone = ScanPolicyDao.deletePolicy(h, scope.kind().stored, scope.name());
            if (gone) {
                audit(h, actor, AuditActions.SCAN_POLICY_DELETE, scope, Map.of("scope", scope.kind().stored));
            }
            return gone;
        });
        if (!deleted) {
            throw BollardException.notFound(scope + " has no vulnerability pull policy");
        }
        return changed(scope);
    }

    /** Adds (or replaces) an allow-list entry of {@code scope}: {@code vulnId} does not block until {@code expires}. */
    public Settings allow(Actor actor, PolicyScope scope, String vulnId, String expires, @Nullable String reason) {
        String id = vulnId.strip();
        if (!VULN_ID.matcher(id).matches() || id.length() > 255) {
            throw BollardException.invalid("'" + vulnId + "' is not a vulnerability id such as CVE-2023-4911 or "
                    + "DSA-5514-1");
        }
        Instant expiresAt = expiry(expires, clock.instant());
        if (reason != null && reason.length() > 1024) {
            throw BollardException.invalid("the reason must be at most 1024 characters");
        }
        long now = clock.millis();
        db.inTransaction(h -> {
            requireScope(h, scope);
            ScanPolicyDao.putAllowed(h, new ScanPolicyDao.AllowRow(scope.kind().stored, scope.name(), id,
                    expiresAt.toEpochMilli(), reason, actor.name(), now));
            Map<String, Object> details = new LinkedHashMap<>();
            details.put("scope", scope.kind().stored);
            details.put("vulnerability", id);
            details.put("expires_at", expiresAt.toString());
            details.put("reason", reason);
            audit(h, actor, AuditActions.SCAN_POLICY_ALLOW_ADD, scope, details);
            return null;
        });
        return changed(scope);
    }

    /** Removes an allow-list entry; NOT_FOUND when the scope's list has none for {@code vulnId}. */
    public Settings disallow(Actor actor, PolicyScope scope, String vulnId) {
        boolean deleted = db.inTransaction(h -> {
            boolean gone = ScanPolicyDao.deleteAllowed(h, scope.kind().stored, scope.name(), vulnId.strip());
            if (gone) {
                audit(h, actor, AuditActions.SCAN_POLICY_ALLOW_REMOVE, scope, Map.of("scope", scope.kind().stored,
                        "vulnerability", vulnId.strip()));
            }
            return gone;
        });
        if (!deleted) {
            throw BollardException.notFound("the allow-list of " + scope + " has no entry for " + vulnId.strip());
        }
        return changed(scope);
    }

    /** Grants {@code principal} (a user, or a robot {@code owner+name}) the bypass of the policy on {@code scope}. */
    public Settings grantBypass(Actor actor, PolicyScope scope, String principal) {
        if (!PRINCIPAL.matcher(principal).matches()) {
            throw BollardException.invalid("'" + principal + "' is neither a user name nor a robot name (owner+name)");
        }
        long now = clock.millis();
        db.inTransaction(h -> {
            requireScope(h, scope);
            if (ScanPolicyDao.putBypass(h, new ScanPolicyDao.BypassRow(scope.kind().stored, scope.name(), principal,
                    actor.name(), now))) {
                audit(h, actor, AuditActions.SCAN_POLICY_BYPASS_ADD, scope, Map.of("scope", scope.kind().stored,
                        "principal", principal));
            }
            return null;
        });
        return changed(scope);
    }

    /** Revokes a bypass grant; NOT_FOUND when {@code principal} has none on {@code scope}. */
    public Settings revokeBypass(Actor actor, PolicyScope scope, String principal) {
        boolean deleted = db.inTransaction(h -> {
            boolean gone = ScanPolicyDao.deleteBypass(h, scope.kind().stored, scope.name(), principal);
            if (gone) {
                audit(h, actor, AuditActions.SCAN_POLICY_BYPASS_REMOVE, scope, Map.of("scope", scope.kind().stored,
                        "principal", principal));
            }
            return gone;
        });
        if (!deleted) {
            throw BollardException.notFound(principal + " has no policy bypass on " + scope);
        }
        return changed(scope);
    }

    /** After a change through this node: its pulls see it at once (other nodes within {@link #REFRESH}). */
    private Settings changed(PolicyScope scope) {
        read();
        return settings(scope);
    }

    private static void requireScope(Handle h, PolicyScope scope) {
        if (scope.kind() == PolicyScope.Kind.ORG && !ScanPolicyDao.isOrganization(h, scope.name())) {
            throw BollardException.notFound("no organization is named " + scope.name());
        }
    }

    private void audit(Handle h, Actor actor, String action, PolicyScope scope, Map<String, ?> details) {
        outbox.record(h, scope.kind() == PolicyScope.Kind.REPOSITORY
                ? AuditEvent.onRepository(actor, action, scope.name(), details)
                : AuditEvent.onNamespace(actor, action, scope.name(), details));
    }

    /**
     * When an allow-list entry stops allowing: a date ({@code 2027-01-31}) allows through that day, UTC, so until the
     * next day begins; a time with its offset ({@code 2027-01-31T12:00:00Z}) until that moment. Not in the past.
     */
    static Instant expiry(String text, Instant now) {
        String t = text.strip();
        Instant at;
        try {
            at = t.length() == 10 ? LocalDate.parse(t).plusDays(1).atStartOfDay(ZoneOffset.UTC).toInstant()
                    : OffsetDateTime.parse(t).toInstant();
        } catch (DateTimeParseException e) {
            throw BollardException.invalid("the expiry must be a date (2027-01-31: through that day, UTC) or a time "
                    + "with its offset (2027-01-31T12:00:00Z), not '" + text + "'");
        }
        if (!at.isAfter(now)) {
            throw BollardException.invalid("the expiry " + t + " is in the past: an allow-list entry must expire later");
        }
        return at;
    }
}
