package dev.bollard.http.ui;

import dev.bollard.auth.Permission;
import dev.bollard.config.ConfigLoader;
import dev.bollard.error.BollardException;
import dev.bollard.error.ErrorCode;
import dev.bollard.mirror.Mirror;
import dev.bollard.mirror.MirrorRun;
import dev.bollard.mirror.Mirrors;
import dev.bollard.oci.RepositoryName;
import dev.bollard.proxy.ProxyLimits;
import dev.bollard.proxy.ProxyOrganizations;
import dev.bollard.proxy.Upstream;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * Where the registry pulls from others (docs/proxy-and-mirroring.md): an organization's Proxy tab (its upstream, what
 * it caches, the form that sets it), a repository's Mirror tab (its mirror, "Sync now", the history of its syncs, the
 * form that sets it) and the superusers' list of both ({@code /admin/upstreams}). Everything goes through
 * {@link ProxyOrganizations} and {@link Mirrors}, the services of {@code /api/v1/organizations/{org}/proxy} and
 * {@code /api/v1/repositories/{repository}/-/mirror}, as the signed-in user, after the permission those routes require:
 * reading for the organization's or repository's administrators (checked by the caller), setting, changing and
 * removing for superusers (the registry itself connects to the URL), "sync now" for the repository's administrators.
 */
final class UpstreamPages {
    /** Syncs a mirror's history shows. */
    static final int RUNS = 25;

    private final Ui ui;
    private final ProxyOrganizations proxies;
    private final Mirrors mirrors;
    private final MeterRegistry meters;

    UpstreamPages(Ui ui, ProxyOrganizations proxies, Mirrors mirrors, MeterRegistry meters) {
        this.ui = ui;
        this.proxies = proxies;
        this.mirrors = mirrors;
        this.meters = meters;
    }

    // ---- proxy organizations ----

    /** {@code /org/ORG/proxy}; the caller checked that the user administers the organization (as the API's GET). */
    void proxy(Call call, String organization) {
        Frame frame = call.frame().titled("Proxy of " + organization, "organizations");
        boolean superuser = ui.permits(call, Permission.SUPERUSER, null);
        int status = 200;
        Pages.ProxyForm form = null;
        if (call.isPost()) {
            if (!superuser) {
                ui.problem(call, 403, "Only superusers set, change or remove the upstream of " + organization
                        + ": the registry itself connects to it. Its administrators see it here.");
                return;
            }
            try {
                switch (call.field("action")) {
                    case "set-proxy" -> {
                        Upstream before = orNone(() -> proxies.get(organization));
                        form = proxyFormOf(call, before != null && before.hasPassword());
                        Upstream set = proxies.set(call.actor(), organization, proxySpec(call));
                        form = null;
                        frame = frame.withNotice(organization + " is a proxy of " + set.url() + " now.");
                    }
                    case "delete-proxy" -> {
                        proxies.delete(call.actor(), organization);
                        frame = frame.withNotice(organization + " is an ordinary organization again; what it cached "
                                + "stays, and it takes pushes.");
                    }
                    default -> throw BollardException.invalid("unknown action '" + call.field("action") + "'");
                }
            } catch (BollardException e) {
                frame = Ui.refused(frame, e, call.form());
                status = 400;
            }
        }
        Upstream upstream = orNone(() -> proxies.get(organization));
        if (form == null) {
            form = upstream == null ? Pages.ProxyForm.BLANK : Pages.ProxyForm.of(upstream);
        }
        ui.render(call, status, "proxy.jte", frame, new Pages.Proxy(organization, upstream,
                upstream == null ? null : proxies.cacheUse(organization),
                ui.registry.quotas().usage(organization).usedBytes(), form, superuser, stale()));
    }

    /** What {@code get} answers, or null when it is NOT_FOUND: an ordinary organization or repository. */
    private static <T> @Nullable T orNone(Supplier<T> get) {
        try {
            return get.get();
        } catch (BollardException e) {
            if (e.code() != ErrorCode.NOT_FOUND) {
                throw e;
            }
            return null;
        }
    }

    /** The form as it was sent, to show again with the refusal. */
    private static Pages.ProxyForm proxyFormOf(Call call, boolean hasPassword) {
        return new Pages.ProxyForm(call.field("url"), call.field("prefix"), call.field("library_names"),
                call.field("username"), hasPassword, Call.first(call.form(), "ca_bundle"), call.field("tag_check_seconds"),
                Call.first(call.form(), "fallback_urls"), call.field("cache_max"), call.field("cache_expiry_days"),
                call.field("rate_limit_per_second"), call.field("rate_limit_per_minute"));
    }

    /**
     * The form as the service's spec, the fields of the API's PUT: an empty user name is anonymous pulls, an empty
     * password keeps the stored one for the same user name.
     */
    private static ProxyOrganizations.Spec proxySpec(Call call) {
        String library = call.field("library_names");
        String seconds = call.field("tag_check_seconds");
        String cacheMax = call.field("cache_max");
        return new ProxyOrganizations.Spec(call.field("url"), call.field("prefix"),
                library.equals("on") ? Boolean.TRUE : library.equals("off") ? Boolean.FALSE : null,
                blankToNull(call.field("username")), emptyToNull(Call.first(call.form(), "password")),
                blankToNull(Call.first(call.form(), "ca_bundle")),
                seconds.isEmpty() ? ProxyOrganizations.DEFAULT_TAG_CHECK
                        : Duration.ofSeconds(whole(seconds, "the tag check interval", "seconds")),
                lines(Call.first(call.form(), "fallback_urls")),
                new ProxyLimits(cacheMax.isEmpty() ? null : LifecycleForms.bytes(cacheMax),
                        optional(call.field("cache_expiry_days"), "the cache expiry", "days"),
                        optional(call.field("rate_limit_per_second"), "the rate limit per second", "requests"),
                        optional(call.field("rate_limit_per_minute"), "the rate limit per minute", "requests")));
    }

    /** The manifests this node served stale since it started, by reason (the metric bollard_proxy_stale_total). */
    private Map<String, Long> stale() {
        Map<String, Long> byReason = new TreeMap<>();
        for (Counter c : meters.find("bollard.proxy.stale").counters()) {
            String reason = Optional.ofNullable(c.getId().getTag("reason")).orElse("unknown");
            byReason.merge(reason, (long) c.count(), Long::sum);
        }
        return byReason;
    }

    // ---- mirrors ----

    /** {@code /repo/REPOSITORY/-/mirror}; the caller checked that the user administers the repository. */
    void mirror(Call call, RepositoryName repository) {
        String name = repository.value();
        Frame frame = call.frame().titled("Mirror of " + name, "repositories");
        boolean superuser = ui.permits(call, Permission.SUPERUSER, null);
        int status = 200;
        Pages.MirrorForm form = null;
        if (call.isPost()) {
            String action = call.field("action");
            if (!superuser && !action.equals("sync-mirror")) {
                ui.problem(call, 403, "Only superusers set, change or stop the mirror of " + name + ": the registry "
                        + "itself connects to its upstream. Its administrators see it here and may sync it now.");
                return;
            }
            try {
                switch (action) {
                    case "set-mirror" -> {
                        Mirror before = orNone(() -> mirrors.get(repository));
                        form = mirrorFormOf(call, before != null && before.hasPassword());
                        Mirror set = mirrors.set(call.actor(), repository, mirrorSpec(call));
                        form = null;
                        frame = frame.withNotice(name + " mirrors " + set.upstreamRepository() + " of " + set.url()
                                + " now; its first sync starts in a moment.");
                    }
                    case "delete-mirror" -> {
                        mirrors.delete(call.actor(), repository);
                        frame = frame.withNotice(name + " is no mirror now: what it copied stays, and it takes pushes.");
                    }
                    case "sync-mirror" -> {
                        mirrors.syncNow(call.actor(), repository);
                        frame = frame.withNotice("A sync of " + name + " starts in a moment; reload to see it in the "
                                + "history.");
                    }
                    default -> throw BollardException.invalid("unknown action '" + action + "'");
                }
            } catch (BollardException e) {
                frame = Ui.refused(frame, e, call.form());
                status = 400;
            }
        }
        Mirror mirror = orNone(() -> mirrors.get(repository));
        List<Pages.MirrorRunRow> runs = mirror == null ? List.of()
                : mirrors.runs(repository, RUNS).stream().map(Pages.MirrorRunRow::of).toList();
        if (form == null) {
            form = mirror == null ? Pages.MirrorForm.BLANK : Pages.MirrorForm.of(mirror);
        }
        ui.render(call, status, "mirror.jte", frame, new Pages.MirrorPage(name, ui.isPublic(name), mirror, runs, form,
                superuser));
    }


    private static Pages.MirrorForm mirrorFormOf(Call call, boolean hasPassword) {
        return new Pages.MirrorForm(call.field("url"), call.field("upstream_repository"), call.field("username"),
                hasPassword,
                Call.first(call.form(), "ca_bundle"), call.field("interval"), Call.first(call.form(), "tag_globs"),
                call.field("tag_regex"), call.field("newest"), call.field("architectures"),
                !call.field("mirror_deletions").isEmpty(), call.field("concurrency"), !call.field("enabled").isEmpty(),
                call.field("cron"), call.field("tag_semver"));
    }

    /** The form as the service's spec, the fields of the API's PUT (credentials as a proxy organization's). */
    private static Mirrors.Spec mirrorSpec(Call call) {
        String interval = call.field("interval");
        String concurrency = call.field("concurrency");
        return new Mirrors.Spec(call.field("url"), call.field("upstream_repository"),
                blankToNull(call.field("username")), emptyToNull(Call.first(call.form(), "password")),
                blankToNull(Call.first(call.form(), "ca_bundle")),
                interval.isEmpty() ? null : BollardException.parsed(() -> ConfigLoader.parseDuration(interval)),
                lines(Call.first(call.form(), "tag_globs")), blankToNull(call.field("tag_regex")),
                optional(call.field("newest"), "newest", "tags"),
                Arrays.stream(call.field("architectures").split("[\\s,]+")).filter(a -> !a.isEmpty()).toList(),
                !call.field("mirror_deletions").isEmpty(),
                concurrency.isEmpty() ? null : optional(concurrency, "the concurrency", "tags"),
                !call.field("enabled").isEmpty(), blankToNull(call.field("cron")), blankToNull(call.field("tag_semver")));
    }

    // ---- the registry's list ----

    /** {@code /admin/upstreams}: every proxy organization and mirror, for superusers (as /api/v1/proxies, /mirrors). */
    void registry(Call call) {
        if (!ui.permits(call, Permission.SUPERUSER, null)) {
            ui.problem(call, 403, "Only superusers may see the registry's proxy organizations and mirrors.");
            return;
        }
        List<Pages.MirrorRow> rows = new ArrayList<>();
        for (Mirror m : mirrors.list()) {
            List<MirrorRun> last = mirrors.runs(RepositoryName.parse(m.repository()), 1);
            rows.add(new Pages.MirrorRow(m, last.isEmpty() ? null : Pages.MirrorRunRow.of(last.getFirst())));
        }
        ui.render(call, 200, "upstreams.jte", call.frame().titled("Proxies and mirrors", "admin"),
                new Pages.Upstreams(proxies.list(), rows, stale()));
    }

    // ---- the forms' fields ----

    /** One entry a line, trimmed, blank lines left out. */
    private static List<String> lines(String text) {
        return text.lines().map(String::strip).filter(l -> !l.isEmpty()).toList();
    }

    private static @Nullable Integer optional(String text, String what, String unit) {
        if (text.isEmpty()) {
            return null;
        }
        long n = whole(text, what, unit);
        if (n > Integer.MAX_VALUE) {
            throw BollardException.invalid(what + " is too large: " + text);
        }
        return (int) n;
    }

    private static long whole(String text, String what, String unit) {
        try {
            return Long.parseLong(text.strip());
        } catch (NumberFormatException e) {
            throw BollardException.invalid(what + " is a whole number of " + unit + ", not '" + text + "'");
        }
    }

    private static @Nullable String blankToNull(String s) {
        return s.isBlank() ? null : s.strip();
    }

    private static @Nullable String emptyToNull(String s) {
        return s.isEmpty() ? null : s;
    }
}
