package dev.bollard.metadata;

import org.jspecify.annotations.Nullable;

/**
 * Which repositories a caller may see, as the catalog query applies it before paginating: all of them; the public
 * ones; those in the user's namespace or in an organization the user belongs to; those granted to the user or the
 * robot explicitly.
 */
public record RepositoryFilter(boolean all, boolean publicRepositories, @Nullable Long userId, @Nullable Long robotId) {
    public static final RepositoryFilter ALL = new RepositoryFilter(true, true, null, null);
    public static final RepositoryFilter NONE = new RepositoryFilter(false, false, null, null);
}
