package dev.bollard.cli;

import dev.bollard.app.Bollard;
import dev.bollard.events.Outbox;
import dev.bollard.config.BollardConfig;
import dev.bollard.config.ConfigLoader;
import dev.bollard.error.BollardException;
import dev.bollard.http.BollardServer;
import dev.bollard.http.ui.Format;
import dev.bollard.jobs.GarbageCollector;
import dev.bollard.metadata.Database;
import dev.bollard.oci.Digest;
import dev.bollard.oci.RepositoryName;
import dev.bollard.oci.Tag;
import dev.bollard.registry.BlobUploads;
import dev.bollard.registry.Quotas;
import dev.bollard.registry.Registry;
import dev.bollard.registry.Retention;
import dev.bollard.registry.TagHistory;
import dev.bollard.registry.TagPattern;
import dev.bollard.storage.BlobStore;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * The image life cycle from the command line, straight on the metadata database and blob store (or inside the
 * registry running on them, like every {@link AdminCommands.DbCommand}): garbage collection, tag history and restores, immutable tags,
 * retention policies and quotas. Changes are audit-logged with the actor {@code cli:<user>}.
 */
final class LifecycleCommands {
    private LifecycleCommands() {
    }

    /** The repository of {@code REPOSITORY:TAG}. */
    static RepositoryName repositoryOf(String target) {
        int colon = target.lastIndexOf(':');
        if (colon < 0) {
            throw BollardException.invalid("give the tag as REPOSITORY:TAG, not '" + target + "'");
        }
        return repository(target.substring(0, colon));
    }

    private static RepositoryName repository(String name) {
        return BollardException.parsed(() -> new RepositoryName(name));
    }

    /** The tag of {@code REPOSITORY:TAG}. */
    static Tag tagOf(String target) {
        return BollardException.parsed(() -> new Tag(target.substring(target.lastIndexOf(':') + 1)));
    }

    /** A command that works through the registry's use cases. */
    abstract static class RegistryCommand extends AdminCommands.DbCommand {
        private @Nullable BlobStore store;

        abstract void run(Registry registry, Database db) throws Exception;

        /** The blob store of the configuration, open while {@link #run(Registry, Database)} runs. */
        BlobStore store() {
            return Objects.requireNonNull(store, "run(Database) opens the blob store before run(Registry, Database)");
        }

        @Override
        void run(Database db) throws Exception {
            BollardConfig config = config();
            try (BlobStore opened = Bollard.openStore(config)) {
                if (!opened.isReachable()) {
                    throw new CliErrors.Failure("cannot reach the blob store, the " + Bollard.describeStore(config)
                            + (config.storage().isS3() ? "\n  check that it runs and that the bucket exists, and "
                            + "storage.s3.endpoint, region, path-style and the credentials"
                            : "\n  check that the directory exists and that this user may write to it"), CliErrors.FAILED);
                }
                store = opened;
                run(new Registry(db, opened, config.registry(), config.lifecycle(), new Outbox(audit(db)::catchUp),
                        new SimpleMeterRegistry()), db);
            }
        }
    }

    @Command(name = "gc", description = "Collect garbage once: delete unreferenced "
            + "manifests, blob links and blobs past the grace period, and expired upload sessions; --dry-run only "
            + "reports what would be freed.")
    static final class Gc extends RegistryCommand {
        @Option(names = "--dry-run", description = "change nothing; report what a run would free")
        boolean dryRun;

        @Option(names = "--list", description = "also name what is (or would be) freed, up to 200 items")
        boolean list;

        @Override
        void run(Registry registry, Database db) {
            Duration expiry = config().uploads().expiry();
            int uploads = 0;
            if (!dryRun) {
                uploads = registry.uploads().expireIdle(Instant.now().minus(expiry));
            }
            GarbageCollector collector = new GarbageCollector(db, store(), new GarbageCollector.Settings(
                    config().lifecycle().gcGracePeriod(), config().lifecycle().historyWindow()), new SimpleMeterRegistry());
            GarbageCollector.Report report = collector.collect(dryRun);
            BlobUploads.OpenSessions open = registry.uploads().open(expiry);
            out().println(report.summary() + "; " + (dryRun ? "would expire " + open.expirable()
                    : "expired " + uploads) + " upload session(s) idle for " + ConfigLoader.formatDuration(expiry));
            out().println("manifests " + report.manifests());
            out().println("links     " + report.links());
            out().println("blobs     " + report.blobs());
            out().println("bytes     " + report.bytes());
            GarbageCollector.GraceKept grace = report.grace();
            if (grace != null) {
                out().println(describe(grace));
            }
            GarbageCollector.WindowKept window = report.window();
            if (window != null) {
                out().println(describe(window));
            }
            out().println(describe(open, expiry));
            if (list) {
                report.listed().forEach(item -> out().println("  " + item));
            }
        }

        /** What the grace period keeps: why a dry run may free nothing, and when that changes. */
        static String describe(GarbageCollector.GraceKept grace) {
            String period = "the grace period of " + ConfigLoader.formatDuration(grace.gracePeriod()) + " (gc.grace-period)";
            if (grace.isEmpty() || grace.first() == null || grace.last() == null) {
                return "grace     nothing unreferenced is inside " + period;
            }
            return "grace     " + grace.manifests() + " manifest(s), " + grace.links() + " blob link(s) and " + grace.blobs()
                    + " blob(s) of " + Format.size(grace.bytes()) + " are unreferenced but inside " + period
                    + "; collectible " + span(grace.first(), grace.last()) + ", unless pushed or referenced again meanwhile";
        }

        /** What the time machine keeps: untagged manifests a restore may still need, and when they go. */
        static String describe(GarbageCollector.WindowKept window) {
            String where = "the time machine's window (history.window, or the organization's own)";
            if (window.manifests() == 0 || window.first() == null || window.last() == null) {
                return "history   no untagged manifest is kept only by " + where;
            }
            return "history   " + window.manifests() + " untagged manifest(s), with what they reference, are kept by "
                    + where + " so that their tags can be restored; collectible " + span(window.first(), window.last())
                    + ", unless tagged or restored meanwhile";
        }

        /** When things become collectible, to the second (rounded up: none is collectible before the time given). */
        private static String span(Instant first, Instant last) {
            Instant from = ceilSecond(first);
            Instant to = ceilSecond(last);
            return from.equals(to) ? "after " + from : "from " + from + " (the first) to " + to + " (the last)";
        }

        private static Instant ceilSecond(Instant t) {
            Instant whole = t.truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
            return whole.equals(t) ? t : whole.plusSeconds(1);
        }

        /** The upload sessions still open: why their bytes stay, and until when. */
        static String describe(BlobUploads.OpenSessions open, Duration expiry) {
            if (open.sessions() == 0 || open.firstExpiry() == null || open.lastExpiry() == null) {
                return "uploads   no upload session is open";
            }
            return "uploads   " + open.sessions() + " session(s) open (in progress or interrupted), holding "
                    + Format.size(open.bytes()) + "; a session expires once idle for " + ConfigLoader.formatDuration(expiry)
                    + " (uploads.expiry): " + (open.firstExpiry().equals(open.lastExpiry()) ? "at " + open.firstExpiry()
                    : "the first at " + open.firstExpiry() + ", the last at " + open.lastExpiry())
                    + ", unless resumed";
        }
    }

    @Command(name = "history", description = "The time machine: tag history and restores.",
            subcommands = {HistoryList.class, HistoryRestore.class, HistoryWindow.class})
    static final class HistoryCommand extends CommandGroup {
    }

    @Command(name = "list", description = "List the history of a repository, or of one tag (REPOSITORY:TAG), newest first.")
    static final class HistoryList extends RegistryCommand {
        @Parameters(index = "0", paramLabel = "REPOSITORY[:TAG]")
        String target;

        @Option(names = "--limit", defaultValue = "50", description = "at most this many entries (default 50)")
        int limit;

        @Override
        void run(Registry registry, Database db) {
            int colon = target.lastIndexOf(':');
            List<TagHistory.Entry> entries = colon < 0
                    ? registry.history().ofRepository(repository(target), null, limit)
                    : registry.history().ofTag(repositoryOf(target), tagOf(target), null, limit);
            for (TagHistory.Entry e : entries) {
                out().printf("%-30s %s  %s .. %s%s%n", e.tag(), e.digest(), e.start(),
                        e.end() == null ? "now" : e.end(), e.restorable() ? "  (restorable)" : "");
            }
        }
    }

    @Command(name = "restore", description = "Point REPOSITORY:TAG at DIGEST again, which it pointed at within the window.")
    static final class HistoryRestore extends RegistryCommand {
        @Parameters(index = "0", paramLabel = "REPOSITORY:TAG")
        String target;

        @Parameters(index = "1", paramLabel = "DIGEST")
        String digest;

        @Override
        void run(Registry registry, Database db) {
            registry.history().restore(actor(), repositoryOf(target), tagOf(target), BollardException.parsed(() -> Digest.parse(digest)));
            out().println("restored " + target + " to " + digest);
        }
    }

    @Command(name = "window", description = "Show or set a namespace's time-machine window (e.g. 30d; 'default' for the registry's).")
    static final class HistoryWindow extends RegistryCommand {
        @Parameters(index = "0", paramLabel = "NAMESPACE")
        String namespace;

        @Parameters(index = "1", arity = "0..1", paramLabel = "DURATION")
        @Nullable String window;

        @Override
        void run(Registry registry, Database db) {
            String given = window;
            if (given != null) {
                registry.history().setWindow(actor(), namespace, given.equals("default") ? null
                        : BollardException.parsed(() -> ConfigLoader.parseDuration(given)));
            }
            out().println(namespace + ": " + ConfigLoader.formatDuration(registry.history().window(namespace)));
        }
    }

    @Command(name = "immutable", description = "Immutable tag rules of a repository.",
            subcommands = {ImmutableList.class, ImmutableAdd.class, ImmutableRemove.class})
    static final class ImmutableCommand extends CommandGroup {
    }

    @Command(name = "list", description = "List a repository's rules.")
    static final class ImmutableList extends RegistryCommand {
        @Parameters(index = "0", paramLabel = "REPOSITORY")
        String repository;

        @Override
        void run(Registry registry, Database db) {
            registry.immutableTags().rules(repository(repository)).forEach(out()::println);
        }
    }

    @Command(name = "add", description = "Make the repository's tags matching PATTERN (e.g. 'v*') immutable once pushed.")
    static final class ImmutableAdd extends RegistryCommand {
        @Parameters(index = "0", paramLabel = "REPOSITORY")
        String repository;

        @Parameters(index = "1", paramLabel = "PATTERN")
        String pattern;

        @Override
        void run(Registry registry, Database db) {
            boolean added = registry.immutableTags().add(actor(), repository(repository), new TagPattern(pattern));
            out().println((added ? "added" : "already there:") + " rule " + pattern + " on " + repository);
        }
    }

    @Command(name = "remove", description = "Remove a rule.")
    static final class ImmutableRemove extends RegistryCommand {
        @Parameters(index = "0", paramLabel = "REPOSITORY")
        String repository;

        @Parameters(index = "1", paramLabel = "PATTERN")
        String pattern;

        @Override
        void run(Registry registry, Database db) {
            if (!registry.immutableTags().remove(actor(), repository(repository), new TagPattern(pattern))) {
                throw BollardException.notFound("no rule " + pattern + " on " + repository);
            }
            out().println("removed rule " + pattern + " from " + repository);
        }
    }

    @Command(name = "retention", description = "Retention policies (auto-prune of tags).",
            subcommands = {RetentionList.class, RetentionSet.class, RetentionDelete.class, RetentionApply.class})
    static final class RetentionCommand extends CommandGroup {
    }

    @Command(name = "list", description = "List the policies.")
    static final class RetentionList extends RegistryCommand {
        @Override
        void run(Registry registry, Database db) {
            for (Retention.Policy p : registry.retention().policies()) {
                out().println(p.id() + "  " + p.describe());
            }
        }
    }

    @Command(name = "set", description = "Add a policy for a namespace "
            + "(--namespace) or a repository (--repository), or change the limits of the one with the same pattern.")
    static final class RetentionSet extends RegistryCommand {
        @Option(names = "--namespace", paramLabel = "NAMESPACE")
        @Nullable String namespace;

        @Option(names = "--repository", paramLabel = "REPOSITORY")
        @Nullable String repository;

        @Option(names = "--tags", defaultValue = "*", paramLabel = "PATTERN", description = "tag pattern (default *)")
        String pattern;

        @Option(names = "--keep-last", paramLabel = "N", description = "keep the N most recently pushed tags")
        @Nullable Integer keepLast;

        @Option(names = "--keep-days", paramLabel = "D", description = "keep tags pushed in the last D days")
        @Nullable Integer keepDays;

        @Override
        void run(Registry registry, Database db) {
            String target = namespace != null ? namespace : repository;
            if (target == null || (namespace != null && repository != null)) { // neither, or both
                throw BollardException.invalid("give --namespace or --repository");
            }
            Retention.Policy p = registry.retention().put(actor(),
                    namespace != null ? Retention.Scope.NAMESPACE : Retention.Scope.REPOSITORY,
                    target, new TagPattern(pattern), keepLast, keepDays);
            out().println(p.id() + "  " + p.describe());
        }
    }

    @Command(name = "delete", description = "Delete a policy by its id.")
    static final class RetentionDelete extends RegistryCommand {
        @Parameters(index = "0", paramLabel = "ID")
        long id;

        @Override
        void run(Registry registry, Database db) {
            if (!registry.retention().delete(actor(), id)) {
                throw BollardException.notFound("no retention policy " + id);
            }
            out().println("deleted retention policy " + id);
        }
    }

    @Command(name = "apply", description = "Apply the policies now; --dry-run lists the tags that would be deleted.")
    static final class RetentionApply extends RegistryCommand {
        @Option(names = "--dry-run", description = "change nothing")
        boolean dryRun;

        @Override
        void run(Registry registry, Database db) {
            List<Retention.Pruned> pruned = registry.retention().apply(actor(), dryRun);
            for (Retention.Pruned p : pruned) {
                out().println((dryRun ? "would delete " : "deleted ") + p.repository() + ":" + p.tag() + " ("
                        + p.digest() + ")");
            }
            out().println((dryRun ? "would delete " : "deleted ") + pruned.size() + " tag(s)");
        }
    }

    @Command(name = "quota", description = "Storage quotas of namespaces.", subcommands = {QuotaShow.class, QuotaSet.class})
    static final class QuotaCommand extends CommandGroup {
    }

    @Command(name = "show", description = "Show a namespace's usage and quota (every namespace with a quota when none is given).")
    static final class QuotaShow extends RegistryCommand {
        @Parameters(index = "0", arity = "0..1", paramLabel = "NAMESPACE")
        @Nullable String namespace;

        @Override
        void run(Registry registry, Database db) {
            List<Quotas.Usage> all = namespace == null ? registry.quotas().all() : List.of(registry.quotas().usage(namespace));
            for (Quotas.Usage u : all) {
                out().println(u.namespace() + ": " + u.usedBytes() + " bytes used, quota "
                        + (u.quotaBytes() == null ? "none" : u.quotaBytes() + " bytes (warning at " + u.warnPercent()
                        + "%)") + ", " + u.state());
            }
        }
    }

    @Command(name = "set", description = "Set (or with --none remove) a quota.")
    static final class QuotaSet extends RegistryCommand {
        @Parameters(index = "0", paramLabel = "NAMESPACE")
        String namespace;

        @Option(names = "--bytes", paramLabel = "N", description = "the quota in bytes")
        @Nullable Long bytes;

        @Option(names = "--warn-percent", paramLabel = "P", description = "warning threshold in percent (default 80)")
        @Nullable Integer warnPercent;

        @Option(names = "--none", description = "remove the quota")
        boolean none;

        @Override
        void run(Registry registry, Database db) {
            if (none == (bytes != null)) {
                throw BollardException.invalid("give --bytes N or --none");
            }
            registry.quotas().set(actor(), namespace, none ? null : bytes, warnPercent);
            Quotas.Usage u = registry.quotas().usage(namespace);
            out().println(namespace + ": quota " + (u.quotaBytes() == null ? "none" : u.quotaBytes() + " bytes")
                    + ", " + u.usedBytes() + " bytes used");
        }
    }
}
