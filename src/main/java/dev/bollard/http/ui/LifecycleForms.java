package dev.bollard.http.ui;

import dev.bollard.config.ConfigLoader;
import dev.bollard.error.BollardException;
import dev.bollard.oci.RepositoryName;
import dev.bollard.registry.Retention;
import dev.bollard.registry.TagPattern;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The life-cycle forms of repository and organization pages: retention policies, quotas, time machine windows. */
final class LifecycleForms {
    private static final Pattern SIZE = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*([KMGTP]i?B|B)?", Pattern.CASE_INSENSITIVE);

    private final Ui ui;

    LifecycleForms(Ui ui) {
        this.ui = ui;
    }

    /** The retention policies of a namespace and its repositories, or of one repository and its namespace. */
    List<Pages.RetentionPolicy> retentionOf(String target) {
        String namespace = target.contains("/") ? target.substring(0, target.indexOf('/')) : target;
        List<Pages.RetentionPolicy> policies = new ArrayList<>();
        for (Retention.Policy p : ui.registry.retention().policies()) {
            boolean own = p.target().equals(target) || (!target.contains("/") && p.target().startsWith(target + "/"));
            boolean inherited = target.contains("/") && p.target().equals(namespace);
            if (own || inherited) {
                policies.add(new Pages.RetentionPolicy(p.id(), p.target(), p.tagPattern().glob(), p.keepLast(),
                        p.keepDays(), own));
            }
        }
        return policies;
    }

    /** Adds the form's retention policy for {@code target}; returns what it does, in words. */
    String addRetention(Call call, Retention.Scope scope, String target) {
        Integer keepLast = call.field("keep_last").isEmpty() ? null : count(call.field("keep_last"), "keep the last");
        Integer keepDays = call.field("keep_days").isEmpty() ? null : count(call.field("keep_days"), "keep days");
        ui.registry.retention().put(call.actor(), scope, target, new TagPattern(call.field("pattern")), keepLast,
                keepDays);
        return "Tags of " + target + " matching " + call.field("pattern") + " are kept "
                + (keepLast == null ? "" : "among the last " + keepLast)
                + (keepLast != null && keepDays != null ? " or " : "")
                + (keepDays == null ? "" : "for " + keepDays + " days") + "; the retention job deletes the others.";
    }

    /** Deletes the form's policy, when it is one of {@code target}'s own. */
    String deleteRetention(Call call, String target) {
        long id;
        try {
            id = Long.parseLong(call.field("id"));
        } catch (NumberFormatException e) {
            throw BollardException.invalid("no such retention policy");
        }
        boolean ours = retentionOf(target).stream().anyMatch(p -> p.id() == id && p.removable());
        if (!ours || !ui.registry.retention().delete(call.actor(), id)) {
            throw BollardException.invalid("no such retention policy of " + target);
        }
        return "The retention policy was deleted.";
    }

    /** Sets the namespace's quota from the form (superusers only); returns what it did, in words. */
    String setQuota(Call call, String namespace) {
        Long bytes = call.field("quota").isEmpty() ? null : bytes(call.field("quota"));
        Integer warn = call.field("warn_percent").isEmpty() ? null
                : count(call.field("warn_percent"), "the warning threshold");
        ui.registry.quotas().set(call.actor(), namespace, bytes, warn);
        return bytes == null ? namespace + " has no quota now."
                : "The quota of " + namespace + " is " + Format.size(bytes) + " now.";
    }

    /** Sets the namespace's time machine window from the form (empty: the registry's default). */
    String setWindow(Call call, String namespace) {
        String text = call.field("window");
        ui.registry.history().setWindow(call.actor(), namespace, text.isEmpty() ? null
                : BollardException.parsed(() -> ConfigLoader.parseDuration(text)));
        return "The time machine of " + namespace + " keeps " + (text.isEmpty() ? "the registry's default" : text)
                + " of tag history now.";
    }

    /** What the organization page shows of the namespace's life cycle. */
    Pages.NamespaceLifecycle of(String namespace) {
        Duration window = ui.registry.history().window(namespace);
        return new Pages.NamespaceLifecycle(ui.registry.quotas().usage(namespace), describe(window),
                describe(ui.registry.history().window(null)), retentionOf(namespace));
    }

    private static Integer count(String text, String what) {
        try {
            int n = Integer.parseInt(text.trim());
            if (n >= 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // said below
        }
        throw BollardException.invalid(what + " must be a whole number of 0 or more, not '" + text + "'");
    }

    /** "500MiB", "20 GiB", "1.5GiB", "1048576" as bytes. */
    static long bytes(String text) {
        Matcher m = SIZE.matcher(text.trim());
        if (!m.matches()) {
            throw BollardException.invalid("a size is a number of bytes or one such as 500MiB or 20GiB, not '" + text + "'");
        }
        String unit = m.group(2) == null ? "B" : m.group(2).toUpperCase(Locale.ROOT);
        return (long) (Double.parseDouble(m.group(1)) * Math.pow(1024, "BKMGTP".indexOf(unit.charAt(0))));
    }

    /** How long the time machine keeps the tags of {@code repository} restorable, as people write it ("14d"). */
    String windowOf(RepositoryName repository) {
        return describe(ui.registry.history().window(RepositoryName.namespaceOf(repository.value())));
    }

    /** A duration as the configuration and the CLI write it: 30d, 36h. */
    private static String describe(Duration d) {
        return ConfigLoader.formatDuration(d);
    }
}
