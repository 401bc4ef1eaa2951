package dev.bollard.http.ui;

import dev.bollard.auth.Identities;
import dev.bollard.auth.Permission;
import dev.bollard.error.BollardException;
import dev.bollard.events.WebhookScope;
import dev.bollard.oci.Digest;
import dev.bollard.oci.InvalidDigestException;
import dev.bollard.oci.Reference;
import dev.bollard.oci.RepositoryName;
import dev.bollard.oci.Tag;
import dev.bollard.registry.Manifests;
import dev.bollard.registry.Activity;
import dev.bollard.registry.PullStats;
import dev.bollard.registry.RepositoryAbout;
import dev.bollard.registry.RepositoryBrowser;
import dev.bollard.registry.Retention;
import dev.bollard.registry.TagHistory;
import dev.bollard.registry.TagPattern;
import dev.bollard.scan.policy.PolicyScope;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;

/**
 * The repository pages: the list with search and creation, a repository with its tags and history, a tag's or a
 * manifest's details, and a repository's settings.
 */
final class RepositoryPages {
    private static final int HISTORY_ROWS = 50;
    /** The end of the path of a deletion's confirmation page, after a tag's or a manifest's. */
    private static final String DELETE = "/delete";

    private final Ui ui;
    private final LifecycleForms lifecycle;
    private final WebhookPages webhooks;
    private final ScanPages scans;
    private final UpstreamPages upstreams;

    RepositoryPages(Ui ui, LifecycleForms lifecycle, WebhookPages webhooks, ScanPages scans, UpstreamPages upstreams) {
        this.ui = ui;
        this.upstreams = upstreams;
        this.scans = scans;
        this.webhooks = webhooks;
        this.lifecycle = lifecycle;
    }

    void repositories(Call call) throws IOException {
        Frame frame = call.frame().titled("Repositories", "repositories");
        int status = 200;
        if (call.isPost()) {
            String name = call.field("name");
            if (!RepositoryName.isValid(name) || !ui.permits(call, Permission.REPO_CREATE, name)) {
                frame = frame.withError("You may not create " + name + ": a repository is named NAMESPACE/NAME, in "
                        + "your own namespace or one of an organization you administer (or create in, by a team).");
                status = 400;
            } else {
                try {
                    ui.identities(call).repositories().create(call.user(), name, call.field("visibility").equals("public"));
                    Ui.redirect(call.ex(), Format.repoPath(name));
                    return;
                } catch (BollardException e) {
                    frame = Ui.refused(frame, e, call.form());
                    status = 400;
                }
            }
        }
        String query = Optional.ofNullable(call.ex().query("q")).orElse("").trim();
        List<Pages.RepositoryRow> found = ui.repositories(call.user(), query, Ui.LIST_LIMIT + 1);
        boolean more = found.size() > Ui.LIST_LIMIT;
        ui.render(call, status, "repositories.jte", frame,
                new Pages.Repositories(query, more ? found.subList(0, Ui.LIST_LIMIT) : found, more));
    }

    void repository(Call call, String rest) throws IOException {
        int split = rest.indexOf("/-/");
        String name = split < 0 ? Ui.stripSlash(rest) : rest.substring(0, split);
        String sub = split < 0 ? "" : rest.substring(split + 3);
        if (!RepositoryName.isValid(name) || !ui.registryKnows(name) || !ui.permits(call, Permission.REPO_READ, name)) {
            ui.problem(call, 404, "There is no repository " + name + ", or you may not see it.");
            return;
        }
        RepositoryName repository = new RepositoryName(name);
        try {
            if (sub.isEmpty() || sub.equals("history")) {
                repositoryPage(call, repository, sub.isEmpty() ? "tags" : sub);
            } else if (sub.startsWith("tag/") && sub.endsWith(DELETE)) {
                confirmTagDeletion(call, repository, sub.substring(4, sub.length() - DELETE.length()));
            } else if (sub.startsWith("manifest/") && sub.endsWith(DELETE)) {
                confirmImageDeletion(call, repository, sub.substring(9, sub.length() - DELETE.length()));
            } else if (sub.startsWith("tag/")) {
                tagPage(call, repository, sub.substring(4));
            } else if (sub.startsWith("manifest/")) {
                manifestPage(call, repository, sub.substring(9), null);
            } else if (sub.startsWith("vulnerabilities/")) {
                scans.vulnerabilities(call, repository, sub.substring("vulnerabilities/".length()));
            } else if (sub.equals("webhooks") || sub.startsWith("webhooks/")) {
                repositoryWebhooks(call, name, sub.substring("webhooks".length()));
            } else if (sub.equals("mirror")) {
                // The permission of GET /api/v1/repositories/{repository}/-/mirror and of its sync.
                if (!ui.permits(call, Permission.REPO_ADMIN, name)) {
                    ui.problem(call, 403, "Only administrators of " + name + " may see its mirror.");
                    return;
                }
                upstreams.mirror(call, repository);
            } else if (sub.equals("settings") || sub.equals("permissions")) {
                repositorySettings(call, repository, sub);
            } else {
                ui.problem(call, 404, "There is no page at " + call.path() + ".");
            }
        } catch (BollardException e) {
            // The repository went away (or never held anything) between the check and the read.
            ui.problem(call, 404, Ui.sentence(e.getMessage()));
        }
    }

    /** A repository's tags ({@code tab} "tags") or its tag history ("history"), where tags are restored. */
    private void repositoryPage(Call call, RepositoryName repository, String tab) throws IOException {
        String name = repository.value();
        boolean mayRestore = ui.permits(call, Permission.REPO_WRITE, name);
        Frame frame = call.frame().titled(tab.equals("tags") ? name : "History of " + name, "repositories");
        int status = 200;
        if (call.isPost()) {
            if (!mayRestore) {
                ui.problem(call, 403, "Only those who may push to " + name + " may restore or delete its tags.");
                return;
            }
            try {
                frame = frame.withNotice(switch (call.field("action")) {
                    case "restore" -> {
                        Digest digest = digestField(call);
                        ui.registry.history().restore(call.actor(), repository, tagField(call), digest);
                        yield call.field("tag") + " points at " + Format.shortDigest(digest.toString()) + " again.";
                    }
                    case "delete-tag" -> {
                        Manifests.Deleted deleted = ui.registry.manifests().delete(repository,
                                new Reference.ByTag(tagField(call)), call.actor());
                        yield "The tag " + call.field("tag") + " was deleted; the image "
                                + Format.shortDigest(deleted.digest().toString()) + " stays. Restore it from the "
                                + "History tab within " + lifecycle.windowOf(repository) + ".";
                    }
                    case "delete-manifest" -> {
                        Digest digest = digestField(call);
                        // The confirmation listed the tags that go with the image: refuse when they changed since.
                        List<String> now = ui.registry.manifests().tagsOn(repository, digest);
                        if (!String.join(",", now).equals(call.field("tags"))) {
                            throw BollardException.invalid("the tags of image " + Format.shortDigest(digest.toString())
                                    + " changed since you confirmed (now: " + (now.isEmpty() ? "none" : String.join(", ", now))
                                    + "); nothing was deleted, confirm again");
                        }
                        Manifests.Deleted deleted = ui.registry.manifests().delete(repository,
                                new Reference.ByDigest(digest), call.actor());
                        yield "The image " + Format.shortDigest(digest.toString()) + " was deleted"
                                + (deleted.tags().isEmpty() ? "." : " with its tags " + String.join(", ", deleted.tags())
                                + ".");
                    }
                    default -> throw BollardException.invalid("unknown action");
                });
            } catch (BollardException e) {
                frame = Ui.refused(frame, e, call.form());
                status = 400;
            }
        }
        List<RepositoryBrowser.TagSummary> tags = ui.browser().tags(repository);
        List<TagPattern> rules = ui.registry.immutableTags().rules(repository);
        List<Pages.HistoryRow> history = history(repository, tags);
        // Marked before the click: an immutable tag offers neither Delete nor Restore (either would be refused).
        Set<String> immutable = new HashSet<>();
        Stream.concat(tags.stream().map(RepositoryBrowser.TagSummary::name), history.stream().map(Pages.HistoryRow::tag))
                .filter(t -> rules.stream().anyMatch(r -> r.matches(t))).forEach(immutable::add);
        ui.render(call, status, "repository.jte", frame, new Pages.Repository(name, ui.isPublic(name), tab,
                Ui.registryHost(call.ex()), tags, history, ui.permits(call, Permission.REPO_ADMIN, name),
                mayRestore, immutable, scans.ofTags(repository, tags), about(repository)));
    }

    /** The overview's description, labels, pull counts and pushes and pulls per day. */
    private Pages.RepositoryAbout about(RepositoryName repository) {
        RepositoryAbout.About about = ui.registry.about().of(repository);
        PullStats pulls = ui.registry.pulls();
        String name = repository.value();
        return new Pages.RepositoryAbout(Markdown.toHtml(about.description()),
                about.labels().stream().map(RepositoryAbout.Label::toString).toList(), pulls.ofRepository(name),
                pulls.ofTags(name), new Pages.ActivityChart("activity", name,
                        ui.registry.activity().daily(Activity.Scope.repository(name))));
    }

    private static Tag tagField(Call call) {
        if (!Tag.isValid(call.field("tag"))) {
            throw BollardException.invalid("'" + call.field("tag") + "' is not a tag name");
        }
        return new Tag(call.field("tag"));
    }

    private static Digest digestField(Call call) {
        return BollardException.parsed(() -> Digest.parse(call.field("digest")));
    }

    /**
     * The confirmation before deleting a tag: what it points at and which other tags stay on that image, and that
     * the time machine can restore it. Deleting goes by a POST to the repository page.
     */
    private void confirmTagDeletion(Call call, RepositoryName repository, String tag) throws IOException {
        if (!mayChangeTags(call, repository)) {
            return;
        }
        Optional<Digest> digest = Tag.isValid(tag) ? ui.browser().resolve(repository, tag) : Optional.empty();
        if (digest.isEmpty()) {
            ui.problem(call, 404, "There is no tag " + tag + " in " + repository + ".");
            return;
        }
        List<String> others = new ArrayList<>(ui.registry.manifests().tagsOn(repository, digest.get()));
        others.remove(tag);
        String refusal = ui.registry.immutableTags().rules(repository).stream().filter(r -> r.matches(tag)).findFirst()
                .map(r -> "The tag " + tag + " is immutable (rule '" + r.glob() + "'): it cannot be deleted.")
                .orElse(null);
        ui.render(call, 200, "delete_confirmation.jte", call.frame().titled("Delete " + repository + ":" + tag,
                "repositories"), new Pages.DeleteConfirmation(repository.value(), tag, digest.get().toString(), others,
                refusal, lifecycle.windowOf(repository)));
    }

    /** The confirmation before deleting an image: the tags that go with it, and that this is final. */
    private void confirmImageDeletion(Call call, RepositoryName repository, String digestText) throws IOException {
        if (!mayChangeTags(call, repository)) {
            return;
        }
        Digest digest;
        List<String> tags;
        try {
            digest = Digest.parse(digestText);
            tags = ui.registry.manifests().tagsOn(repository, digest);
        } catch (InvalidDigestException | BollardException e) {
            ui.problem(call, 404, "There is no manifest " + digestText + " in " + repository + ".");
            return;
        }
        List<TagPattern> rules = ui.registry.immutableTags().rules(repository);
        String refusal = tags.stream().flatMap(t -> rules.stream().filter(r -> r.matches(t)).findFirst()
                        .map(r -> "The image cannot be deleted: its tag " + t + " is immutable (rule '" + r.glob() + "').")
                        .stream()).findFirst().orElse(null);
        ui.render(call, 200, "delete_confirmation.jte", call.frame().titled("Delete image " + repository + "@"
                + Format.shortDigest(digest.toString()), "repositories"), new Pages.DeleteConfirmation(
                repository.value(), null, digest.toString(), tags, refusal, lifecycle.windowOf(repository)));
    }

    private boolean mayChangeTags(Call call, RepositoryName repository) {
        if (ui.permits(call, Permission.REPO_WRITE, repository.value())) {
            return true;
        }
        ui.problem(call, 403, "Only those who may push to " + repository + " may delete its tags and images.");
        return false;
    }

    /**
     * The repository's tag history, newest first: each assignment with who pushed it, and whether the time machine
     * can restore it (and it is not what the tag points at now).
     */
    private List<Pages.HistoryRow> history(RepositoryName repository, List<RepositoryBrowser.TagSummary> tags) {
        Map<String, String> current = new HashMap<>();
        tags.forEach(t -> current.put(t.name(), t.digest()));
        Map<String, Boolean> restorable = new HashMap<>();
        for (TagHistory.Entry e : ui.registry.history().ofRepository(repository, null, HISTORY_ROWS)) {
            restorable.put(e.tag() + "@" + e.start(), e.restorable());
        }
        List<Pages.HistoryRow> rows = new ArrayList<>();
        for (RepositoryBrowser.TagEvent e : ui.browser().history(repository, null, HISTORY_ROWS)) {
            boolean canRestore = restorable.getOrDefault(e.tag() + "@" + e.start(), false)
                    && !e.digest().equals(current.get(e.tag()));
            rows.add(new Pages.HistoryRow(e.tag(), e.digest(), e.start(), e.end(), e.pushedBy(), canRestore));
        }
        return rows;
    }

    private void tagPage(Call call, RepositoryName repository, String tag) throws IOException {
        if (!Tag.isValid(tag)) {
            ui.problem(call, 404, "'" + tag + "' is not a tag name.");
            return;
        }
        Optional<Digest> digest = ui.browser().resolve(repository, tag);
        if (digest.isEmpty()) {
            ui.problem(call, 404, "There is no tag " + tag + " in " + repository + ".");
            return;
        }
        manifestPage(call, repository, digest.get().toString(), tag);
    }

    private void manifestPage(Call call, RepositoryName repository, String digestText, @Nullable String tag) throws IOException {
        Digest digest;
        try {
            digest = Digest.parse(digestText);
        } catch (InvalidDigestException e) {
            ui.problem(call, 404, "'" + digestText + "' is not a digest.");
            return;
        }
        Optional<RepositoryBrowser.Details> details = ui.browser().details(repository, digest,
                ui.registry.manifests().referrers(repository, digest, null));
        if (details.isEmpty()) {
            ui.problem(call, 404, "There is no manifest " + digest + " in " + repository + ".");
            return;
        }
        String title = repository + (tag != null ? ":" + tag : "@" + Format.shortDigest(digest.toString()));
        ui.render(call, 200, "image.jte", call.frame().titled(title, "repositories"),
                new Pages.Image(repository.value(), tag, Ui.registryHost(call.ex()), details.get(),
                        ui.permits(call, Permission.REPO_WRITE, repository.value())));
    }

    /** A repository's webhooks, for those who may use /api/v1/repositories/{repository}/-/webhooks. */
    private void repositoryWebhooks(Call call, String name, String rest) {
        if (!ui.permits(call, Permission.REPO_ADMIN, name)) {
            ui.problem(call, 403, "Only administrators of " + name + " may see its webhooks.");
            return;
        }
        webhooks.page(call, new WebhookPages.Place(WebhookScope.repository(name), name,
                Pages.repositoryTabs(name, true, "webhooks"), Format.repoPath(name) + "/-/webhooks", "repositories"),
                rest);
    }

    /** A repository's permissions ({@code tab} "permissions") or its other settings ("settings"), for its admins. */
    private void repositorySettings(Call call, RepositoryName repository, String tab) throws IOException {
        String name = repository.value();
        if (!ui.permits(call, Permission.REPO_ADMIN, name)) {
            ui.problem(call, 403, "Only administrators of " + name + " may change its settings.");
            return;
        }
        Frame frame = call.frame().titled((tab.equals("settings") ? "Settings of " : "Permissions of ") + name,
                "repositories");
        int status = 200;
        if (call.isPost()) {
            Identities identities = ui.identities(call);
            String grantee = call.field("grantee");
            String kind = call.field("kind");
            try {
                frame = frame.withNotice(switch (call.field("action")) {
                    case "visibility" -> {
                        boolean isPublic = call.field("visibility").equals("public");
                        identities.repositories().setVisibility(name, isPublic);
                        yield name + " is now " + (isPublic ? "public: anyone may pull it." : "private.");
                    }
                    case "grant" -> {
                        identities.repositories().grant(name, kind, grantee, call.field("role"));
                        yield "The " + kind + " " + grantee + " now has " + call.field("role") + " permission on "
                                + name + ".";
                    }
                    case "revoke" -> {
                        identities.repositories().revoke(name, kind, grantee);
                        yield "The " + kind + " " + grantee + " no longer has a permission of its own on " + name + ".";
                    }
                    case "describe" -> {
                        ui.registry.about().describe(call.actor(), repository,
                                call.field("description").replace("\r\n", "\n"));
                        yield "The description of " + name + " was saved.";
                    }
                    case "label" -> {
                        ui.registry.about().label(call.actor(), repository, RepositoryAbout.parseLabels(
                                call.field("labels").lines().toList()));
                        yield "The labels of " + name + " were saved.";
                    }
                    case "add-immutable" -> {
                        ui.registry.immutableTags().add(call.actor(), repository, new TagPattern(call.field("pattern")));
                        yield "Tags matching " + call.field("pattern") + " can no longer be moved or deleted.";
                    }
                    case "remove-immutable" -> {
                        ui.registry.immutableTags().remove(call.actor(), repository,
                                new TagPattern(call.field("pattern")));
                        yield "Tags matching " + call.field("pattern") + " can be moved and deleted again.";
                    }
                    case "add-retention" -> lifecycle.addRetention(call, Retention.Scope.REPOSITORY, name);
                    case "delete-retention" -> lifecycle.deleteRetention(call, name);
                    case String a when ScanPages.isPolicyAction(a) -> scans.change(call, PolicyScope.repository(repository));
                    case "delete" -> {
                        if (!call.field("confirm").equals(name)) {
                            throw BollardException.invalid("type the repository's name, " + name
                                    + ", to confirm its deletion");
                        }
                        identities.repositories().delete(name);
                        yield null;
                    }
                    default -> throw BollardException.invalid("unknown action");
                });
                if (frame.notice() == null) { // deleted: nothing left to show here
                    Ui.redirect(call.ex(), "/repositories");
                    return;
                }
            } catch (BollardException e) {
                frame = Ui.refused(frame, e, call.form());
                status = 400;
            }
        }
        // Who may do what, asked before a push fails: a user's or robot's permission with everything counted.
        String who = Optional.ofNullable(call.ex().query("who")).map(String::trim).filter(w -> !w.isEmpty())
                .orElse(null);
        String effective = null;
        if (who != null) {
            effective = ui.auth.identities().repositories().effectivePermission(name, who).orElse(null);
            if (effective == null) {
                frame = frame.withError("There is no user or robot " + who + ".");
                status = 404;
            }
        }
        RepositoryAbout.About about = ui.registry.about().of(repository);
        ui.render(call, status, "repository_settings.jte", frame,
                new Pages.RepositorySettings(name, ui.isPublic(name), tab,
                        ui.auth.identities().repositories().grants(name),
                        new Pages.RepositoryLifecycle(ui.registry.immutableTags().rules(repository).stream()
                                .map(TagPattern::glob).toList(), lifecycle.retentionOf(name)), who, effective,
                        scans.policy(PolicyScope.repository(repository)), about.description(),
                        String.join("\n", about.labels().stream().map(RepositoryAbout.Label::toString).toList())));
    }
}
