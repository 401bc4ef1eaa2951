package dev.bollard.http.ui;


import dev.bollard.auth.Organizations;
import dev.bollard.auth.RepositoryAccess;
import dev.bollard.auth.DirectoryTeams;
import dev.bollard.auth.RobotCertificates;
import dev.bollard.auth.RobotTrust;
import dev.bollard.auth.Teams;
import dev.bollard.auth.Users;
import dev.bollard.auth.oidc.OidcSignIn;
import dev.bollard.events.EmailDelivery;
import dev.bollard.events.Glob;
import dev.bollard.events.HttpDelivery;
import dev.bollard.events.SlackDelivery;
import dev.bollard.events.Webhook;
import dev.bollard.metadata.WebhookDao;
import dev.bollard.mirror.Mirror;
import dev.bollard.mirror.MirrorRun;
import dev.bollard.proxy.ProxyLimits;
import dev.bollard.proxy.ProxyOrganizations;
import dev.bollard.proxy.Upstream;
import dev.bollard.config.ConfigLoader;
import java.net.URI;
import java.time.Duration;
import dev.bollard.registry.Activity;
import dev.bollard.registry.PullStats;
import dev.bollard.registry.Quotas;
import dev.bollard.registry.RepositoryBrowser;
import dev.bollard.scan.InstalledPackage;
import dev.bollard.scan.policy.PullPolicies;
import dev.bollard.scan.results.ScanReport;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/** What each page's template is given, besides its {@link Frame}. */
public final class Pages {
    private Pages() {
    }

    /**
     * The sign-in form, and a button for each OIDC provider ({@code providers}); {@code noUsers}: nobody can sign in
     * yet, so the page says how to create the first administrator.
     */
    public record SignIn(String username, String next, String formToken, boolean noUsers,
                         List<OidcSignIn.Provider> providers) {
        public SignIn {
            providers = List.copyOf(providers);
        }
    }

    /** Signed out here; the browser goes on to end its session at the provider too ({@code providerLogout}). */
    public record SignedOut(String provider, String providerLogout) {
    }

    public record Problem(int status, String message) {
    }

    /** One tab of a page split into tabs: a link to its own URL; {@code current}: the one shown. */
    public record Tab(String label, String href, boolean current) {
    }

    /**
     * An organization's tabs: what every member sees (its repositories, members and teams) and, for owners and
     * admins ({@code manages}), robots, settings, usage and the audit log.
     */
    public static List<Tab> organizationTabs(String organization, boolean manages, String current) {
        String base = "/org/" + Format.url(organization);
        List<Tab> tabs = new ArrayList<>();
        tabs.add(new Tab("Repositories", base, current.equals("repositories")));
        tabs.add(new Tab("Teams and permissions", base + "/teams", current.equals("teams")));
        if (manages) {
            tabs.add(new Tab("Robots", base + "/robots", current.equals("robots")));
            tabs.add(new Tab("Usage", base + "/usage", current.equals("usage")));
            tabs.add(new Tab("Settings", base + "/settings", current.equals("settings")));
            tabs.add(new Tab("Webhooks", base + "/webhooks", current.equals("webhooks")));
            tabs.add(new Tab("Proxy", base + "/proxy", current.equals("proxy")));
            tabs.add(new Tab("Audit log", base + "/audit", current.equals("audit")));
        }
        return tabs;
    }

    /** The vulnerabilities page of image {@code digest} of {@code repository}. */
    public static String vulnerabilitiesPath(String repository, String digest) {
        return Format.repoPath(repository) + "/-/vulnerabilities/" + digest;
    }

    /** A repository's tabs: tags and history for readers, permissions and settings for its administrators. */
    public static List<Tab> repositoryTabs(String repository, boolean administers, String current) {
        String base = Format.repoPath(repository);
        List<Tab> tabs = new ArrayList<>();
        tabs.add(new Tab("Tags", base, current.equals("tags")));
        tabs.add(new Tab("History", base + "/-/history", current.equals("history")));
        if (administers) {
            tabs.add(new Tab("Permissions", base + "/-/permissions", current.equals("permissions")));
            tabs.add(new Tab("Settings", base + "/-/settings", current.equals("settings")));
            tabs.add(new Tab("Webhooks", base + "/-/webhooks", current.equals("webhooks")));
            tabs.add(new Tab("Mirror", base + "/-/mirror", current.equals("mirror")));
        }
        return tabs;
    }

    /** A namespace the user can see: their own, or an organization. */
    public record Namespace(String name, boolean organization) {
    }

    /**
     * A repository as the lists show it: its visibility, number of tags, total size, last push, labels
     * ({@code key=value} or words) and pulls ({@code lastPulled} null when never pulled).
     */
    public record RepositoryRow(String name, boolean isPublic, int tags, long size, Instant lastPush,
                                List<String> labels, long pulls, @Nullable Instant lastPulled) {
    }

    /**
     * What a repository says about itself and how much it is used, on its overview: {@code descriptionHtml} is the
     * description rendered safely (raw HTML escaped, only http(s) and relative links; '' when none), {@code tagPulls}
     * the pull counts of its tags, {@code activity} its tags pushed and pulls of each of the last 30 days.
     */
    public record RepositoryAbout(String descriptionHtml, List<String> labels, PullStats.Count pulls,
                                  Map<String, PullStats.Count> tagPulls, ActivityChart activity) {
    }

    /**
     * A chart of tags pushed and pulls per day (UTC) of {@code subject} ("acme/app", "organization acme", "the
     * registry"), drawn as inline SVG with a table beside it; {@code id} prefixes its elements' ids.
     */
    public record ActivityChart(String id, String subject, List<Activity.Day> days) {
        public ActivityChart {
            days = List.copyOf(days);
        }

        /** The largest day's pushes or pulls, at least 1: the chart's scale. */
        public long max() {
            return Math.max(1, days.stream().mapToLong(d -> Math.max(d.pushes(), d.pulls())).max().orElse(1));
        }

        public long pushes() {
            return days.stream().mapToLong(Activity.Day::pushes).sum();
        }

        public long pulls() {
            return days.stream().mapToLong(Activity.Day::pulls).sum();
        }

        /** A bar's height in the chart's 100 units: 0 for none, at least 2 so that one pull shows. */
        public long height(long value) {
            return value == 0 ? 0 : Math.max(2, value * 100 / max());
        }

        /** The chart in words, for screen readers: the period, the totals and the busiest day. */
        public String summary() {
            if (days.isEmpty()) {
                return "No days.";
            }
            Activity.Day busiest = days.stream().max((a, b) -> Long.compare(a.pushes() + a.pulls(),
                    b.pushes() + b.pulls())).orElseThrow();
            String period = days.getFirst().day() + " to " + days.getLast().day() + " (UTC): ";
            if (pushes() + pulls() == 0) {
                return period + "no tags pushed and no pulls.";
            }
            return period + plural(pushes(), "tag") + " pushed and " + plural(pulls(), "pull") + " in all; the busiest "
                    + "day was " + busiest.day() + " with " + plural(busiest.pushes(), "tag") + " pushed and "
                    + plural(busiest.pulls(), "pull") + ".";
        }

        private static String plural(long n, String word) {
            return n + " " + word + (n == 1 ? "" : "s");
        }
    }

    /** Storage per namespace for the registry's administrators, with pushes and pulls of the whole registry. */
    public record RegistryUsage(List<Activity.NamespaceStorage> namespaces, ActivityChart activity) {
    }

    /** One bar of a {@link BarChart}: what it measures and its bytes. */
    public record Bar(String label, long bytes) {
    }

    /**
     * Bytes per thing as horizontal bars, largest first, drawn as inline SVG: named by the element {@code labelledBy}
     * (a heading), described in words by {@code description}.
     */
    public record BarChart(String id, String labelledBy, String description, List<Bar> bars) {
        public BarChart {
            bars = List.copyOf(bars);
        }

        /** The largest bar's bytes, at least 1: the chart's scale. */
        public long max() {
            return Math.max(1, bars.stream().mapToLong(Bar::bytes).max().orElse(1));
        }
    }

    public record Dashboard(List<Namespace> namespaces, List<RepositoryRow> recent) {
    }

    /** An organization as the list of organizations shows it: the user's role in it and its repositories. */
    public record OrganizationRow(String name, String role, int repositories, long size) {
    }

    public record OrganizationList(List<OrganizationRow> organizations) {
    }

    public record Repositories(String query, List<RepositoryRow> repositories, boolean more) {
    }

    /**
     * One assignment in a tag's history, with who pushed it; {@code restorable}: the tag can be pointed at it again
     * (the manifest is stored, the assignment lies within the time machine's window, and it is not the current one).
     */
    public record HistoryRow(String tag, String digest, Instant start, @Nullable Instant end, @Nullable String pushedBy,
                             boolean restorable) {
    }

    /**
     * {@code registry}: host[:port] as clients reach it, for the pull command; {@code mayRestore}: the user may move
     * and delete tags (write permission); {@code immutable}: the tags an immutable-tag rule protects.
     */
    public record Repository(String name, boolean isPublic, String tab, String registry,
                             List<RepositoryBrowser.TagSummary> tags, List<HistoryRow> history, boolean administers,
                             boolean mayRestore, Set<String> immutable, Map<String, TagScan> scans, RepositoryAbout about) {
        /** The scan of the image {@code digest} (a tag's), "not scanned" when the page has none for it. */
        public TagScan scanOf(String digest) {
            TagScan scan = scans.get(digest);
            return scan != null ? scan : new TagScan(List.of(ScanSummary.notScanned(null, digest)), false, null);
        }

        /** The tag the pull command names: latest when there is one, else the first; null without tags. */
        public @Nullable String pullTag() {
            return tags.stream().map(RepositoryBrowser.TagSummary::name).filter("latest"::equals).findFirst()
                    .orElse(tags.isEmpty() ? null : tags.getFirst().name());
        }

        /** The digest {@link #pullTag()} points at, for pulling by digest; null without tags. */
        public @Nullable String pullDigest() {
            String tag = pullTag();
            return tags.stream().filter(t -> t.name().equals(tag)).map(RepositoryBrowser.TagSummary::digest)
                    .findFirst().orElse(null);
        }
    }

    /**
     * The confirmation before deleting a tag ({@code tag} set: only the tag goes, {@code tags} are the manifest's
     * other tags, which stay) or an image ({@code tag} null: the manifest goes with {@code tags}, and that is final).
     * {@code refusal}: why it cannot be deleted (an immutable tag), shown instead of the button; {@code window}: how
     * long the time machine can restore a deleted tag.
     */
    public record DeleteConfirmation(String repository, @Nullable String tag, String digest, List<String> tags,
                                     @Nullable String refusal, String window) {
    }

    /** A tag's (or a manifest's, {@code tag} null) details; {@code mayDelete}: the user may delete the image. */
    public record Image(String repository, @Nullable String tag, String registry, RepositoryBrowser.Details details,
                        boolean mayDelete) {
    }

    /**
     * A repository's permissions tab ({@code tab} "permissions") or settings tab ("settings"). {@code who} and
     * {@code effective}: the user or robot asked about and what it may do with the repository, everything counted
     * (null when nobody was asked about).
     */
    public record RepositorySettings(String name, boolean isPublic, String tab, List<RepositoryAccess.GrantInfo> grants,
                                     RepositoryLifecycle lifecycle, @Nullable String who, @Nullable String effective,
                                     @Nullable ScanPolicy scanPolicy, String description,
                                     String labels) {
    }

    /** A retention policy as listed; {@code removable}: it belongs to the page's scope (not inherited). */
    public record RetentionPolicy(long id, String target, String pattern, @Nullable Integer keepLast,
                                  @Nullable Integer keepDays,
                                  boolean removable) {
    }

    /** A repository's immutable-tag patterns and the retention policies that apply to it. */
    public record RepositoryLifecycle(List<String> immutable, List<RetentionPolicy> retention) {
    }

    /** A namespace's storage use and quota, time machine window, and retention policies. */
    public record NamespaceLifecycle(Quotas.Usage usage, String window, String registryWindow,
                                     List<RetentionPolicy> retention) {
    }

    /**
     * A team with its members and the groups it follows, each null when it follows none: {@code ldap} (the group's DN
     * in {@code groupDn}) and {@code oidc} (the claim value in {@code groupDn}, the provider in {@code memberAttribute}).
     */
    public record Team(Teams.TeamInfo team, List<String> members, DirectoryTeams.@Nullable Binding ldap,
                       DirectoryTeams.@Nullable Binding oidc) {
    }

    /**
     * A robot's page: its trust rules (keyless robot) and bound client certificates (mTLS); {@code service}: the
     * audience a new rule asks for when the form leaves it empty.
     */
    public record Robot(String name, List<Tab> tabs, String back, List<RobotTrust.Rule> rules,
                        List<RobotCertificates.Binding> certificates, String service) {
    }

    /**
     * An organization as its member {@code role} sees it ({@code manages}: owners and admins). {@code secret}: a robot
     * token just created or regenerated, shown once, for robot {@code secretFor}; {@code activity}: its pushes and
     * pulls, on the usage tab (null on the others).
     */
    public record Organization(String name, String tab, String role, boolean manages,
                               List<Organizations.MemberInfo> members, List<Team> teams, List<RepositoryAccess.GrantInfo> defaults, List<String> robots,
                               List<RepositoryRow> repositories, @Nullable NamespaceLifecycle lifecycle,
                               @Nullable ScanPolicy scanPolicy, @Nullable String secret, @Nullable String secretFor,
                               String labelFilter, @Nullable ActivityChart activity) {
    }

    /** {@code secret}: an application token or a robot's token just created, shown once, for {@code secretFor}. */
    public record Settings(String user, List<String> tokens, List<String> robots, List<String> organizations,
                           @Nullable String secret, @Nullable String secretFor) {
    }

    public record Admin(List<Users.AccountInfo> users, List<String> organizations) {
    }

    /**
     * An audit entry as the log lists it: {@code who} is the actor's name (or, for the registry itself, the kind of
     * actor), {@code on} the repository or else the namespace ("—" for neither), {@code details} the entry's JSON and
     * {@code from} the caller's address.
     */
    public record AuditEntry(Instant at, String who, String action, String on, String details, String from,
                             int count, Instant earliest) {
        /** The same entry standing for {@code n} of its kind in a row, the earliest at {@code first}. */
        AuditEntry times(int n, Instant first) {
            return new AuditEntry(at, who, action, on, details, from, n, first);
        }
    }

    /**
     * The audit log, filtered: {@code scope} is the organization it is limited to (null: the whole registry).
     * {@code everything}: each entry on its own row, token.issued included; else the quiet view ({@code hidden}
     * token.issued entries left out, repeated entries grouped).
     */
    public record Audit(@Nullable String scope, @Nullable String actor, @Nullable String action,
                        @Nullable String repository, @Nullable String since, @Nullable String until,
                        boolean everything, int hidden, List<AuditEntry> entries, @Nullable Long nextBefore) {
        /** The query that asks for these filters again, from {@code before} on (null: the newest), all or quiet. */
        public String query(@Nullable Long before, boolean all) {
            StringBuilder q = new StringBuilder("?");
            append(q, "before", before == null ? null : before.toString());
            append(q, "actor", actor);
            append(q, "action", action);
            append(q, "repository", repository);
            append(q, "since", since);
            append(q, "until", until);
            append(q, "all", all ? "1" : null);
            return q.toString().replace("?&", "?");
        }

        private static void append(StringBuilder q, String name, @Nullable String value) {
            if (value != null) {
                q.append('&').append(name).append('=').append(Format.url(value));
            }
        }
    }

    /** A webhook as its scope's list shows it, with its last delivery (null: none yet). */
    public record WebhookRow(Webhook webhook, @Nullable DeliveryRow last) {
        /** "Webhook", "Slack", "E-mail": the method as people call it. */
        public String methodName() {
            return switch (webhook.method()) {
                case HttpDelivery.NAME -> "Webhook";
                case SlackDelivery.NAME -> "Slack";
                case EmailDelivery.NAME -> "E-mail";
                default -> webhook.method();
            };
        }

        /** The event types it hears, or "all events". */
        public String events() {
            return webhook.eventTypes().isEmpty() ? "all events"
                    : String.join(", ", webhook.eventTypes().stream().sorted().toList());
        }

        /** Its filters beyond the types ("repository app-*, tag v*"), empty when there are none. */
        public String filters() {
            List<String> f = new ArrayList<>();
            Glob repository = webhook.repositoryGlob();
            Glob tag = webhook.tagGlob();
            if (repository != null) {
                f.add("repository " + repository.glob());
            }
            if (tag != null) {
                f.add("tag " + tag.glob());
            }
            return String.join(", ", f);
        }
    }

    /**
     * The webhooks of one scope under {@code heading} and its {@code tabs}, at {@code base}; {@code globs}: the
     * repository filter makes sense (not for a repository's own webhooks); {@code secret}: the new secret of webhook
     * {@code secretFor}, shown this once.
     */
    public record WebhookList(String heading, List<Tab> tabs, String base, boolean repositoryGlob,
                              List<WebhookRow> webhooks, List<String> eventTypes, @Nullable String secret,
                              @Nullable Long secretFor, WebhookForm form) {
    }

    /**
     * The fields of a webhook's form (the creation's and the editing's) as they are filled in: {@code headers} is one
     * {@code Name: value} a line, a stored header's value shown as {@link Webhook#HIDDEN}; {@code timeoutSeconds}
     * as typed.
     */
    public record WebhookForm(String url, String format, Set<String> eventTypes, String repositoryGlob,
                              String tagGlob, String headers, String timeoutSeconds) {
        static final WebhookForm BLANK = new WebhookForm("", "bollard", Set.of(), "", "", "", "10");

        /** The form of an existing webhook: its settings, its headers' values hidden. */
        static WebhookForm of(Webhook w) {
            StringBuilder headers = new StringBuilder();
            w.headers().keySet().forEach(name -> headers.append(name).append(": ").append(Webhook.HIDDEN).append('\n'));
            Glob repository = w.repositoryGlob();
            Glob tag = w.tagGlob();
            return new WebhookForm(w.url(), w.format().id(), Set.copyOf(w.eventTypes()),
                    repository == null ? "" : repository.glob(), tag == null ? "" : tag.glob(), headers.toString(),
                    BigDecimal.valueOf(w.timeout().toMillis(), 3).stripTrailingZeros().toPlainString());
        }
    }

    /** The form editing webhook {@code webhook} of a scope, filled in as {@code form}. */
    public record WebhookEdit(String heading, List<Tab> tabs, String base, Webhook webhook, boolean repositoryGlob,
                              List<String> eventTypes, WebhookForm form) {
    }

    /**
     * One delivery attempt of {@code webhook} in full: the request's headers as the log keeps them (custom headers'
     * values hidden, as the API shows them) and body, and the response's start.
     */
    public record WebhookDelivery(String heading, List<Tab> tabs, String base, Webhook webhook, DeliveryRow delivery,
                                  List<Map.Entry<String, String>> requestHeaders, String requestBody,
                                  @Nullable String responseBody) {
    }

    /** One attempt of a delivery log: status is "HTTP 200" or the error that stopped it. */
    public record DeliveryRow(long id, String eventType, @Nullable Long sequence, int attempt, Instant at,
                              boolean success, String status, @Nullable String error, long latencyMillis) {
        static DeliveryRow of(WebhookDao.Delivery d) {
            String status = d.status() != null ? "HTTP " + d.status() : d.error() != null ? "failed" : "not sent";
            return new DeliveryRow(d.id(), d.eventType(), d.eventSeq() == 0 ? null : d.eventSeq(), d.attempt(),
                    Instant.ofEpochMilli(d.attemptedAt()), d.success(), status, d.error(), d.latencyMillis());
        }
    }

    /** A webhook's delivery log, newest first, a page at a time: {@code newest}/{@code older} link the pages. */
    public record WebhookDeliveries(String heading, List<Tab> tabs, String base, Webhook webhook,
                                    List<DeliveryRow> deliveries, @Nullable String newest, @Nullable String older) {
    }

    /**
     * The scan of one image as the tags tab and the vulnerabilities page show it: the {@code platform} of an index's
     * image (null for an image of its own), its {@code state} ("not scanned", "queued", "indexing", "done", "failed",
     * "unsupported") with the reason, when it was last matched, its findings per severity, how many of them have a fix,
     * and its health grade; {@code noData}: it was matched before any vulnerability data existed, so "no findings"
     * would mean nothing.
     */
    public record ScanSummary(@Nullable String platform, String digest, String state, @Nullable String reason,
                              @Nullable Instant scannedAt, int critical, int high, int medium, int low, int unknown,
                              int fixable, @Nullable String grade, boolean noData) {
        static ScanSummary notScanned(@Nullable String platform, String digest) {
            return new ScanSummary(platform, digest, "not scanned", null, null, 0, 0, 0, 0, 0, 0, null, false);
        }

        public int total() {
            return critical + high + medium + low + unknown;
        }

        /** The state in words: "scanned" for done, the others as they are. */
        public String stateText() {
            return state.equals("done") ? "scanned" : state;
        }
    }

    /**
     * The scans of the image a tag points at (one per platform of an index), and whether the vulnerability pull policy
     * refuses pulls of it ({@code refusal}: the policy's message; null: it does not).
     */
    public record TagScan(List<ScanSummary> images, boolean blocked, @Nullable String refusal) {
    }

    /**
     * What one external scanner reported of an image ({@code report}: its name, vendor, version, state, all its
     * vulnerabilities), and those of its vulnerabilities the page's severity and fixable filter lets through.
     */
    public record ScannerFindings(dev.bollard.scan.adapter.AdapterReport report,
                                  List<dev.bollard.scan.adapter.AdapterReport.Vulnerability> shown) {
        public ScannerFindings {
            shown = List.copyOf(shown);
        }
    }

    /**
     * The vulnerabilities page of one image (or index, whose {@code platforms} link to each image's page): its scan
     * ({@code summary}), the operating system, the {@code findings} the filter lets through out of {@code total} (
     * {@code severity}: the lowest severity shown, empty for any; {@code fixable}: only those with a fixed version),
     * its {@code packages} ({@code morePackages}: more than listed), the notes, the SBOM referrers stored for it (null:
     * none), whether the pull policy refuses it, and whether the user may ask for a scan again.
     */
    public record Vulnerabilities(String repository, String digest, @Nullable String tag, ScanSummary summary,
                                  List<ScanSummary> platforms, @Nullable String os, int packageCount,
                                  List<ScanReport.Reported> findings, int total, String severity, boolean fixable,
                                  List<InstalledPackage> packages, boolean morePackages, List<String> notes,
                                  @Nullable String cyclonedx, @Nullable String spdx, TagScan policy,
                                  boolean mayRescan, List<ScannerFindings> scanners) {
        /** The link to the advisory: its first reference, when it names one. */
        public static @Nullable String link(ScanReport.Reported f) {
            return f.finding().links().stream().filter(l -> l.startsWith("https://") || l.startsWith("http://"))
                    .findFirst().orElse(null);
        }

        /** The link to an external scanner's advisory: its first http(s) link, when it names one. */
        public static @Nullable String link(dev.bollard.scan.adapter.AdapterReport.Vulnerability v) {
            return v.links().stream().filter(l -> l.startsWith("https://") || l.startsWith("http://")).findFirst()
                    .orElse(null);
        }

        /** The API's SBOM download of this image in {@code format} (cyclonedx, spdx): the referrer's document. */
        public String sbomPath(String format) {
            return "/api/v1/repositories/" + repository + "/-/manifests/" + digest + "/sbom?format=" + format;
        }
    }

    /** The vulnerability pull policy settings of an organization or a repository, for its administrators. */
    public record ScanPolicy(PullPolicies.Settings settings) {
        /** The severities a policy's threshold can name, lowest first. */
        public static final List<String> SEVERITIES = List.of("unknown", "low", "medium", "high", "critical");

        public boolean repository() {
            return settings.scope().kind() == dev.bollard.scan.policy.PolicyScope.Kind.REPOSITORY;
        }
    }
    /**
     * An organization's Proxy tab: its upstream (null: an ordinary organization), what it caches ({@code cache}, as
     * eviction counts it; {@code stored}, the bytes its quota counts), the form filled in, whether the user may change
     * it (superusers), and the manifests this node served stale since it started, by reason (all proxy organizations).
     */
    public record Proxy(String organization, @Nullable Upstream upstream, ProxyOrganizations.@Nullable CacheUse cache,
                        long stored, ProxyForm form, boolean mayChange, Map<String, Long> stale) {
    }

    /**
     * The fields of a proxy organization's form as filled in: {@code libraryNames} "auto", "on" or "off";
     * {@code fallbacks} one URL a line; {@code cacheMax} a size such as 20GiB; numbers as typed, empty for none.
     */
    public record ProxyForm(String url, String prefix, String libraryNames, String username, boolean hasPassword,
                            String caBundle, String tagCheckSeconds, String fallbacks, String cacheMax,
                            String cacheExpiryDays, String ratePerSecond, String ratePerMinute) {
        static final ProxyForm BLANK = new ProxyForm("", "", "auto", "", false, "",
                Long.toString(ProxyOrganizations.DEFAULT_TAG_CHECK.toSeconds()), "", "", "", "", "");

        /** The form of an upstream as it is set. */
        static ProxyForm of(Upstream u) {
            ProxyLimits l = u.limits();
            return new ProxyForm(u.url().toString(), u.prefix(), u.libraryNames() ? "on" : "off",
                    u.username() == null ? "" : u.username(), u.hasPassword(), u.caBundle() == null ? "" : u.caBundle(),
                    Long.toString(u.tagCheckInterval().toSeconds()),
                    String.join("\n", u.fallbacks().stream().map(URI::toString).toList()),
                    l.cacheMaxBytes() == null ? "" : exactSize(l.cacheMaxBytes()),
                    text(l.cacheExpiryDays()), text(l.ratePerSecond()), text(l.ratePerMinute()));
        }
    }

    /** A size as the form takes it back unchanged: the largest unit that divides it (20GiB), else bytes. */
    static String exactSize(long bytes) {
        String[] units = {"KiB", "MiB", "GiB", "TiB", "PiB"};
        for (int u = units.length; u >= 1; u--) {
            long unit = 1L << (10 * u);
            if (bytes % unit == 0) {
                return bytes / unit + units[u - 1];
            }
        }
        return Long.toString(bytes);
    }

    private static String text(@Nullable Integer n) {
        return n == null ? "" : n.toString();
    }

    /** One sync of a mirror as its history lists it. */
    public record MirrorRunRow(long id, String trigger, String status, Instant started, @Nullable Instant finished,
                               long bytes, int blobsCopied, int blobsMounted, int tagsCopied, int tagsUnchanged,
                               int tagsFailed, int tagsDeleted, int referrers, List<Map<String, String>> failures,
                               @Nullable String message) {
        static MirrorRunRow of(MirrorRun run) {
            var r = run.row();
            return new MirrorRunRow(r.id(), r.trigger(), r.status(), Instant.ofEpochMilli(r.startedAt()),
                    r.finishedAt() == null ? null : Instant.ofEpochMilli(r.finishedAt()), r.bytes(), r.blobsCopied(),
                    r.blobsMounted(), r.tagsCopied(), r.tagsUnchanged(), r.tagsFailed(), r.tagsDeleted(), r.referrers(),
                    run.failures(), r.message());
        }

        /** How long it took, as people read it ("2.4 s", "3 min 5 s"); empty while it runs. */
        public String duration() {
            if (finished == null) {
                return "";
            }
            long ms = Duration.between(started, finished).toMillis();
            if (ms < 60_000) {
                return ms < 10_000 ? String.format(java.util.Locale.ROOT, "%.1f s", ms / 1000.0) : ms / 1000 + " s";
            }
            return ms / 60_000 + " min " + (ms % 60_000) / 1000 + " s";
        }
    }

    /**
     * A repository's Mirror tab: its mirror (null: an ordinary repository), its syncs (newest first), the form
     * filled in, and whether the user may change it (superusers); every administrator may sync it now.
     */
    public record MirrorPage(String repository, boolean isPublic, @Nullable Mirror mirror, List<MirrorRunRow> runs,
                             MirrorForm form, boolean mayChange) {
        /** The schedule in words: "every 1h", or "disabled". */
        public String schedule() {
            return mirror == null ? "" : !mirror.enabled() ? "disabled (syncs only when asked)"
                    : mirror.cron() != null ? "on the cron schedule " + mirror.cron() + " (UTC)"
                    : "every " + ConfigLoader.formatDuration(mirror.interval()) + " after the last sync ended";
        }
    }

    /**
     * The fields of a mirror's form as filled in: {@code interval} as the CLI writes it (6h), {@code tagGlobs} one a
     * line, {@code architectures} separated by spaces or commas, numbers as typed (empty: the default); {@code cron}
     * a cron expression that replaces the interval (empty: none).
     */
    public record MirrorForm(String url, String upstreamRepository, String username, boolean hasPassword,
                             String caBundle, String interval, String tagGlobs, String tagRegex, String newest,
                             String architectures, boolean mirrorDeletions, String concurrency, boolean enabled,
                             String cron, String tagSemver) {
        static final MirrorForm BLANK = new MirrorForm("", "", "", false, "",
                ConfigLoader.formatDuration(dev.bollard.mirror.Mirrors.DEFAULT_INTERVAL), "", "", "", "", false,
                Integer.toString(dev.bollard.mirror.Mirrors.DEFAULT_CONCURRENCY), true, "", "");

        static MirrorForm of(Mirror m) {
            return new MirrorForm(m.url().toString(), m.upstreamRepository(), m.username() == null ? "" : m.username(),
                    m.hasPassword(), m.caBundle() == null ? "" : m.caBundle(), ConfigLoader.formatDuration(m.interval()),
                    String.join("\n", m.filter().globs().stream().map(g -> g.glob()).toList()),
                    m.filter().regex() == null ? "" : m.filter().regex().pattern(), text(m.filter().newest()),
                    String.join(" ", m.architectures()), m.mirrorDeletions(), Integer.toString(m.concurrency()),
                    m.enabled(), m.cron() == null ? "" : m.cron(),
                    m.filter().semver() == null ? "" : m.filter().semver().text());
        }
    }

    /** A mirror in the registry's list, with its last sync (null: none yet). */
    public record MirrorRow(Mirror mirror, @Nullable MirrorRunRow last) {
    }

    /**
     * The registry's proxy organizations and mirrors, for superusers, with the manifests this node served stale since
     * it started, by reason.
     */
    public record Upstreams(List<Upstream> proxies, List<MirrorRow> mirrors, Map<String, Long> stale) {
    }
}
