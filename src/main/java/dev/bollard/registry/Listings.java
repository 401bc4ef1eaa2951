package dev.bollard.registry;

import dev.bollard.metadata.Database;
import dev.bollard.metadata.RepositoryDao;
import dev.bollard.metadata.RepositoryFilter;
import dev.bollard.metadata.TagDao;
import dev.bollard.oci.RepositoryName;
import java.util.List;
import org.jspecify.annotations.Nullable;

/** Tag lists and the catalog, in byte order, paginated by {@code last} and {@code n}. */
public final class Listings {
    private final Database db;

    Listings(Database db) {
        this.db = db;
    }

    /** Tags after {@code last}; at most {@code n} (null: all). */
    public Page tags(RepositoryName repository, @Nullable Integer n, @Nullable String last) {
        return db.read(h -> {
            long repositoryId = Repositories.require(h, repository);
            return page(TagDao.list(h, repositoryId, last, limitFor(n)), n);
        });
    }

    /** Repositories holding content, after {@code last}; at most {@code n} (null: all). */
    public Page catalog(@Nullable Integer n, @Nullable String last) {
        return catalog(n, last, RepositoryFilter.ALL);
    }

    /** As {@link #catalog(Integer, String)}, only the repositories the caller may see. */
    public Page catalog(@Nullable Integer n, @Nullable String last, RepositoryFilter visible) {
        return db.read(h -> page(RepositoryDao.listWithContent(h, last, limitFor(n), visible), n));
    }

    /** One row more than asked tells whether another page follows. */
    private static int limitFor(@Nullable Integer n) {
        return n == null ? Integer.MAX_VALUE : n + 1;
    }

    private static Page page(List<String> rows, @Nullable Integer n) {
        if (n != null && rows.size() > n) {
            return new Page(rows.subList(0, n), true);
        }
        return new Page(rows, false);
    }
}
