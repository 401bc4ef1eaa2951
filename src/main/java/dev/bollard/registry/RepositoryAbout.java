package dev.bollard.registry;

import dev.bollard.audit.Actor;
import dev.bollard.audit.AuditActions;
import dev.bollard.audit.AuditEvent;
import dev.bollard.error.BollardException;
import dev.bollard.events.Outbox;
import dev.bollard.metadata.Database;
import dev.bollard.metadata.RepositoryAboutDao;
import dev.bollard.oci.RepositoryName;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * What a repository says about itself: a description in Markdown (stored as written; the UI renders it with raw HTML
 * escaped) and labels, {@code key=value} pairs or plain words, which listings show and filter by. Set by the
 * repository's administrators; each change is recorded in the outbox, so audited.
 */
public final class RepositoryAbout {
    /** Characters a description may have: a long README fits, a novel does not (the column is this wide). */
    public static final int MAX_DESCRIPTION = 32768;
    /** Labels a repository may have: enough to classify it, few enough to show in a list row. */
    public static final int MAX_LABELS = 20;
    /** A label's key (or plain word): a letter or digit, then letters, digits, '.', '_', '-', '/'. */
    private static final Pattern KEY = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._/-]{0,63}");
    private static final int MAX_VALUE = 128;

    private final Database db;
    private final Outbox outbox;

    public RepositoryAbout(Database db, Outbox outbox) {
        this.db = db;
        this.outbox = outbox;
    }

    /** A label: a plain word when {@code value} is null. */
    public record Label(String key, @Nullable String value) {
        public Label {
            if (!KEY.matcher(key).matches()) {
                throw BollardException.invalid("label key '" + key + "' is not valid: it starts with a letter or digit "
                        + "and has at most 64 letters, digits, '.', '_', '-' or '/'");
            }
            if (value != null && (value.length() > MAX_VALUE || value.chars().anyMatch(Character::isISOControl))) {
                throw BollardException.invalid("the value of label '" + key + "' is not valid: at most " + MAX_VALUE
                        + " characters, no control characters");
            }
        }

        /** {@code key=value} or {@code word}. */
        public static Label parse(String text) {
            String t = text.strip();
            int eq = t.indexOf('=');
            return eq < 0 ? new Label(t, null) : new Label(t.substring(0, eq), t.substring(eq + 1));
        }

        @Override
        public String toString() {
            return value == null ? key : key + "=" + value;
        }
    }

    /** A repository's description ('' when none) and labels by key. */
    public record About(String description, List<Label> labels) {
    }

    /** Parses labels given as text ({@code key=value} or words), checking their number and that no key repeats. */
    public static List<Label> parseLabels(List<String> texts) {
        List<Label> labels = new ArrayList<>();
        Set<String> keys = new HashSet<>();
        for (String text : texts) {
            if (text.isBlank()) {
                continue;
            }
            Label l = Label.parse(text);
            if (!keys.add(l.key())) {
                throw BollardException.invalid("label '" + l.key() + "' is given twice");
            }
            labels.add(l);
        }
        if (labels.size() > MAX_LABELS) {
            throw BollardException.invalid(labels.size() + " labels given; a repository has at most " + MAX_LABELS);
        }
        return labels;
    }

    public About of(RepositoryName repository) {
        return db.read(h -> {
            long id = Repositories.require(h, repository);
            return new About(RepositoryAboutDao.description(h, id).orElse(""), labels(RepositoryAboutDao.labels(h, id)));
        });
    }

    /** The labels of the named repositories that have some, by repository name. */
    public Map<String, List<Label>> labelsOf(List<String> repositories) {
        Map<String, List<Label>> byName = new LinkedHashMap<>();
        db.read(h -> RepositoryAboutDao.labelsOf(h, repositories)).forEach((k, v) -> byName.put(k, labels(v)));
        return byName;
    }

    /** Sets the description ('' removes it). */
    public void describe(Actor actor, RepositoryName repository, String markdown) {
        if (markdown.length() > MAX_DESCRIPTION) {
            throw BollardException.invalid("the description has " + markdown.length() + " characters; at most "
                    + MAX_DESCRIPTION + " are allowed");
        }
        if (markdown.chars().anyMatch(c -> Character.isISOControl(c) && c != '\n' && c != '\r' && c != '\t')) {
            throw BollardException.invalid("the description contains control characters; it is Markdown text");
        }
        db.inTransaction(h -> {
            RepositoryAboutDao.setDescription(h, Repositories.require(h, repository), markdown);
            outbox.record(h, AuditEvent.onRepository(actor, AuditActions.REPO_DESCRIPTION, repository.value(),
                    Map.of("characters", markdown.length())));
            return null;
        });
    }

    /** Replaces the labels (an empty list removes them all). */
    public void label(Actor actor, RepositoryName repository, List<Label> labels) {
        List<Label> checked = parseLabels(labels.stream().map(Label::toString).toList());
        db.inTransaction(h -> {
            RepositoryAboutDao.setLabels(h, Repositories.require(h, repository), checked.stream()
                    .map(l -> new RepositoryAboutDao.Label(l.key(), l.value())).toList());
            outbox.record(h, AuditEvent.onRepository(actor, AuditActions.REPO_LABELS, repository.value(),
                    Map.of("labels", String.join(", ", checked.stream().map(Label::toString).toList()))));
            return null;
        });
    }

    private static List<Label> labels(List<RepositoryAboutDao.Label> rows) {
        return rows.stream().map(r -> new Label(r.name(), r.value())).toList();
    }
}
