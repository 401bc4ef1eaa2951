package dev.bollard.events;

import dev.bollard.error.BollardException;
import java.util.Set;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;

/**
 * Which events a consumer wants, by what the event says: its type (an empty set for all), a glob over its repository
 * and a glob over its tag (null for any; an event without a tag does not match a tag glob). Webhooks and watchers of
 * the watch API filter alike.
 */
public record EventFilter(Set<String> types, @Nullable Glob repositoryGlob, @Nullable Glob tagGlob) {
    public static final EventFilter ALL = new EventFilter(Set.of(), null, null);

    public EventFilter {
        types = Set.copyOf(types);
    }

    /** A filter from its text form, checked: unknown types and malformed globs are refused with the reason. */
    public static EventFilter of(Iterable<String> types, @Nullable String repositoryGlob, @Nullable String tagGlob) {
        Set<String> checked = new TreeSet<>();
        for (String t : types) {
            if (!EventTypes.ALL.contains(t)) {
                throw BollardException.invalid("unknown event type '" + t + "'; one of " + EventTypes.ALL);
            }
            checked.add(t);
        }
        return new EventFilter(checked, repositoryGlob == null ? null : Glob.of("repository", repositoryGlob),
                tagGlob == null ? null : Glob.of("tag", tagGlob));
    }

    public boolean matches(RegistryEvent event) {
        if (!types.isEmpty() && !types.contains(event.type())) {
            return false;
        }
        if (repositoryGlob != null && (event.repository() == null || !repositoryGlob.matches(event.repository()))) {
            return false;
        }
        String tag = event.tag();
        return tagGlob == null || (tag != null && tagGlob.matches(tag));
    }
}
