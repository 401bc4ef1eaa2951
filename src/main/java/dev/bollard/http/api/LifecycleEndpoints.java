package dev.bollard.http.api;

import static dev.bollard.auth.Permission.NAMESPACE_ADMIN;
import static dev.bollard.auth.Permission.REPO_ADMIN;
import static dev.bollard.auth.Permission.REPO_READ;
import static dev.bollard.auth.Permission.REPO_WRITE;
import static dev.bollard.auth.Permission.SUPERUSER;
import static dev.bollard.http.api.ManagementApi.PREFIX;

import com.fasterxml.jackson.databind.JsonNode;
import dev.bollard.config.ConfigLoader;
import dev.bollard.error.BollardException;
import dev.bollard.error.ErrorCode;
import dev.bollard.oci.Digest;
import dev.bollard.oci.Reference;
import dev.bollard.oci.RepositoryName;
import dev.bollard.oci.Tag;
import dev.bollard.registry.Manifests;
import dev.bollard.registry.Quotas;
import dev.bollard.registry.Retention;
import dev.bollard.registry.TagHistory;
import dev.bollard.registry.TagPattern;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The image life cycle (docs/lifecycle.md): deleting tags and manifests, tag history and restores, immutable-tag rules, retention policies,
 * quotas and the time machine's window per namespace. Every change is recorded in the audit log by the domain.
 */
final class LifecycleEndpoints implements ApiEndpoints {
    private final ApiServices services;

    LifecycleEndpoints(ApiServices services) {
        this.services = services;
    }

    @Override
    public List<ApiRoute> routes() {
        String repo = PREFIX + "/repositories/{repository*}";
        String ns = PREFIX + "/namespaces/{namespace}";
        return List.of(
                ApiRoute.get(repo + "/-/history", REPO_READ,
                        "List a repository's tag history, newest first (?tag= for one tag)", this::history),
                ApiRoute.delete(repo + "/-/tags/{tag}", REPO_WRITE, "Delete a tag, only the tag: the manifest stays, "
                        + "and the time machine can restore the tag; answers the digest it pointed at", this::deleteTag),
                ApiRoute.delete(repo + "/-/manifests/{digest}", REPO_WRITE, "Delete a manifest with every tag on it "
                        + "(final); answers the tags that went, ?dry_run=true only lists them", this::deleteManifest),
                ApiRoute.post(repo + "/-/tags/{tag}/restore", REPO_WRITE,
                        "Point a tag again at {digest}, which it pointed at within the time machine's window", this::restore),
                ApiRoute.get(repo + "/-/immutable-tags", REPO_READ, "List a repository's immutable-tag patterns",
                        this::immutableRules),
                ApiRoute.put(repo + "/-/immutable-tags/{pattern}", REPO_ADMIN,
                        "Make tags matching the glob pattern immutable once pushed; 201 when new", this::addImmutable),
                ApiRoute.delete(repo + "/-/immutable-tags/{pattern}", REPO_ADMIN, "Remove an immutable-tag pattern",
                        this::removeImmutable),
                ApiRoute.post(repo + "/-/retention-policies", REPO_ADMIN,
                        "Set a retention policy of the repository: {tag_pattern, keep_last?, keep_days?}; 201",
                        call -> putPolicy(call, Retention.Scope.REPOSITORY, call.param("repository"))),
                ApiRoute.get(ns + "/retention-policies", NAMESPACE_ADMIN,
                        "List the retention policies of a namespace and of its repositories", this::policies),
                ApiRoute.post(ns + "/retention-policies", NAMESPACE_ADMIN,
                        "Set a retention policy of the namespace: {tag_pattern, keep_last?, keep_days?}; 201",
                        call -> putPolicy(call, Retention.Scope.NAMESPACE, call.param("namespace"))),
                ApiRoute.delete(ns + "/retention-policies/{id}", NAMESPACE_ADMIN,
                        "Delete a retention policy of the namespace or of one of its repositories", this::deletePolicy),
                ApiRoute.get(ns + "/retention-preview", NAMESPACE_ADMIN,
                        "List the tags of the namespace that retention would delete now (a dry run)", this::preview),
                ApiRoute.get(ns + "/quota", NAMESPACE_ADMIN,
                        "Describe a namespace's storage usage and quota", this::quota),
                ApiRoute.put(ns + "/quota", SUPERUSER,
                        "Set a namespace's quota: {quota_bytes, warn_percent?}; quota_bytes null removes it", this::setQuota),
                ApiRoute.get(ns + "/history-window", NAMESPACE_ADMIN,
                        "Describe a namespace's time-machine window", this::window),
                ApiRoute.put(ns + "/history-window", NAMESPACE_ADMIN,
                        "Set a namespace's time-machine window: {window: \"30d\"}, or null for the registry's default",
                        this::setWindow));
    }

    // ---- history ----

    private void history(ApiCall call) throws IOException {
        RepositoryName repository = repository(call);
        Instant before = null;
        String cursor = call.cursor();
        if (cursor != null) {
            try {
                before = Instant.parse(cursor);
            } catch (DateTimeParseException e) {
                throw new BollardException(ErrorCode.INVALID_PAGINATION, "cursor is not one this API handed out");
            }
        }
        String tag = call.query("tag");
        List<TagHistory.Entry> rows = tag == null
                ? services.registry().history().ofRepository(repository, before, call.limit() + 1)
                : services.registry().history().ofTag(repository, tag(tag), before, call.limit() + 1);
        call.sendPage(rows, e -> e.start().toString(), LifecycleEndpoints::entry);
    }

    private static Map<String, Object> entry(TagHistory.Entry e) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("tag", e.tag());
        m.put("digest", e.digest().toString());
        m.put("start", e.start().toString());
        m.put("end", e.end() == null ? null : e.end().toString());
        m.put("restorable", e.restorable());
        return m;
    }

    private void restore(ApiCall call) throws IOException {
        RepositoryName repository = repository(call);
        Tag tag = tag(call.param("tag"));
        String digestText = call.text("digest");
        Digest digest = BollardException.parsed(() -> Digest.parse(digestText));
        services.registry().history().restore(call.actor(), repository, tag, digest);
        call.send(200, Map.of("repository", repository.value(), "tag", tag.value(), "digest", digest.toString()));
    }

    private void deleteTag(ApiCall call) throws IOException {
        RepositoryName repository = repository(call);
        Tag tag = tag(call.param("tag"));
        Manifests.Deleted deleted = services.registry().manifests().delete(repository, new Reference.ByTag(tag),
                call.actor());
        call.send(200, Map.of("repository", repository.value(), "tag", tag.value(),
                "digest", deleted.digest().toString()));
    }

    /**
     * Deleting a manifest takes every tag on it, and the time machine cannot bring them back: the answer names them
     * ({@code tags}), and {@code ?dry_run=true} names them without deleting anything (the API's confirmation).
     */
    private void deleteManifest(ApiCall call) throws IOException {
        RepositoryName repository = repository(call);
        Digest digest = BollardException.parsed(() -> Digest.parse(call.param("digest")));
        String dryRun = call.query("dry_run");
        if (dryRun != null && !dryRun.equals("true") && !dryRun.equals("false")) {
            throw BollardException.invalid("dry_run is true or false, not '" + dryRun + "'");
        }
        Manifests manifests = services.registry().manifests();
        boolean dry = "true".equals(dryRun);
        List<String> tags = dry ? manifests.tagsOn(repository, digest)
                : manifests.delete(repository, new Reference.ByDigest(digest), call.actor()).tags();
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("repository", repository.value());
        answer.put("digest", digest.toString());
        answer.put("dry_run", dry);
        answer.put("tags", tags);
        call.send(200, answer);
    }

    private static RepositoryName repository(ApiCall call) {
        return BollardException.parsed(() -> new RepositoryName(call.param("repository")));
    }

    private static Tag tag(String text) {
        if (!Tag.isValid(text)) {
            throw BollardException.invalid("invalid tag '" + text + "'");
        }
        return new Tag(text);
    }

    // ---- immutable tags ----

    private void immutableRules(ApiCall call) throws IOException {
        call.sendAll(services.registry().immutableTags().rules(repository(call)),
                TagPattern::glob, p -> Map.of("pattern", p.glob()));
    }

    private void addImmutable(ApiCall call) throws IOException {
        TagPattern pattern = new TagPattern(call.param("pattern"));
        boolean added = services.registry().immutableTags().add(call.actor(),
                repository(call), pattern);
        call.send(added ? 201 : 200, Map.of("pattern", pattern.glob()));
    }

    private void removeImmutable(ApiCall call) {
        if (!services.registry().immutableTags().remove(call.actor(), repository(call),
                new TagPattern(call.param("pattern")))) {
            throw BollardException.notFound("no immutable-tag pattern '" + call.param("pattern") + "'");
        }
        call.noContent();
    }

    // ---- retention ----

    private static Map<String, Object> policy(Retention.Policy p) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", p.id());
        m.put("scope", p.scope().name().toLowerCase(Locale.ROOT));
        m.put("target", p.target());
        m.put("tag_pattern", p.tagPattern().glob());
        m.put("keep_last", p.keepLast());
        m.put("keep_days", p.keepDays());
        return m;
    }

    private static @Nullable Integer optionalCount(ApiCall call, String field) throws IOException {
        JsonNode n = call.body().get(field);
        if (n == null || n.isNull()) {
            return null;
        }
        if (!n.canConvertToInt() || !n.isIntegralNumber() || n.asInt() < 0) {
            throw BollardException.invalid("the field \"" + field + "\" must be a whole number of 0 or more");
        }
        return n.asInt();
    }

    private void putPolicy(ApiCall call, Retention.Scope scope, String target) throws IOException {
        Retention.Policy p = services.registry().retention().put(call.actor(), scope, target,
                new TagPattern(call.text("tag_pattern")), optionalCount(call, "keep_last"),
                optionalCount(call, "keep_days"));
        call.send(201, policy(p));
    }

    /** The namespace's own policies and those of its repositories. */
    private List<Retention.Policy> policiesOf(String namespace) {
        return services.registry().retention().policies().stream()
                .filter(p -> p.target().equals(namespace) || p.target().startsWith(namespace + "/")).toList();
    }

    private void policies(ApiCall call) throws IOException {
        call.sendAll(policiesOf(call.param("namespace")).stream()
                .sorted(Comparator.comparingLong(Retention.Policy::id)).toList(),
                p -> String.format("%020d", p.id()), LifecycleEndpoints::policy);
    }

    private void deletePolicy(ApiCall call) {
        long id;
        try {
            id = Long.parseLong(call.param("id"));
        } catch (NumberFormatException e) {
            throw BollardException.invalid("a policy id is a number, not '" + call.param("id") + "'");
        }
        boolean ours = policiesOf(call.param("namespace")).stream().anyMatch(p -> p.id() == id);
        if (!ours || !services.registry().retention().delete(call.actor(), id)) {
            throw BollardException.notFound("no retention policy " + id + " in " + call.param("namespace"));
        }
        call.noContent();
    }

    private void preview(ApiCall call) throws IOException {
        String namespace = call.param("namespace");
        List<Retention.Pruned> pruned = services.registry().retention().apply(call.actor(), true).stream()
                .filter(p -> p.repository().startsWith(namespace + "/"))
                .sorted(Comparator.comparing(p -> p.repository() + ":" + p.tag())).toList();
        call.sendAll(pruned, p -> p.repository() + ":" + p.tag(),
                p -> Map.of("repository", p.repository(), "tag", p.tag(), "digest", p.digest()));
    }

    // ---- quotas and windows ----

    private static Map<String, Object> usage(Quotas.Usage u) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("namespace", u.namespace());
        m.put("used_bytes", u.usedBytes());
        m.put("quota_bytes", u.quotaBytes());
        m.put("warn_percent", u.warnPercent());
        m.put("state", u.state());
        return m;
    }

    private void quota(ApiCall call) throws IOException {
        call.send(200, usage(services.registry().quotas().usage(call.param("namespace"))));
    }

    private void setQuota(ApiCall call) throws IOException {
        JsonNode bytes = call.body().get("quota_bytes");
        if (bytes == null || !(bytes.isNull() || (bytes.isIntegralNumber() && bytes.canConvertToLong()))) {
            throw BollardException.invalid("the body needs \"quota_bytes\": a whole number of bytes, or null for none");
        }
        services.registry().quotas().set(call.actor(), call.param("namespace"),
                bytes.isNull() ? null : bytes.asLong(), optionalCount(call, "warn_percent"));
        quota(call);
    }

    private void window(ApiCall call) throws IOException {
        Duration window = services.registry().history().window(call.param("namespace"));
        call.send(200, Map.of("namespace", call.param("namespace"), "window_seconds", window.toSeconds()));
    }

    private void setWindow(ApiCall call) throws IOException {
        String text = call.optionalText("window");
        if (text == null && !call.body().has("window")) {
            throw BollardException.invalid("the body needs \"window\": a duration such as \"30d\", or null for the default");
        }
        services.registry().history().setWindow(call.actor(), call.param("namespace"),
                text == null ? null : BollardException.parsed(() -> ConfigLoader.parseDuration(text)));
        window(call);
    }
}
