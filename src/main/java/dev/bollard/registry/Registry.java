package dev.bollard.registry;

import dev.bollard.events.Outbox;
import dev.bollard.config.BollardConfig;
import dev.bollard.metadata.Database;
import dev.bollard.storage.BlobStore;
import io.micrometer.core.instrument.MeterRegistry;

/** The registry's use cases over one metadata database and one blob store. */
public final class Registry {
    private final BlobUploads uploads;
    private final Blobs blobs;
    private final Manifests manifests;
    private final Listings listings;
    private final RepositoryBrowser browser;
    private final TagHistory history;
    private final ImmutableTags immutableTags;
    private final Retention retention;
    private final Quotas quotas;
    private final RepositoryAbout about;
    private final PullStats pulls;
    private final Activity activity;

    /**
     * {@code outbox} records every change the use cases make, in the transaction that makes it (docs/architecture.md,
     * "Changes, audit and events"); {@code meters} receives their metrics (quota usage).
     */
    public Registry(Database db, BlobStore store, BollardConfig.Registry config, BollardConfig.Lifecycle lifecycle,
                    Outbox outbox, MeterRegistry meters) {
        this.quotas = new Quotas(db, outbox, meters);
        this.uploads = new BlobUploads(db, store, quotas, config.maxOpenUploadsPerRepository());
        this.blobs = new Blobs(db, store, config.deleteEnabled(), lifecycle.gcGracePeriod(), outbox);
        this.manifests = new Manifests(db, config.deleteEnabled(), outbox);
        this.listings = new Listings(db);
        this.browser = new RepositoryBrowser(db, store);
        this.history = new TagHistory(db, lifecycle.historyWindow(), outbox);
        this.immutableTags = new ImmutableTags(db, outbox);
        this.retention = new Retention(db, outbox);
        this.about = new RepositoryAbout(db, outbox);
        this.pulls = new PullStats(db);
        this.activity = new Activity(db);
    }

    public BlobUploads uploads() {
        return uploads;
    }

    public Blobs blobs() {
        return blobs;
    }

    public Manifests manifests() {
        return manifests;
    }

    public Listings listings() {
        return listings;
    }

    /** The time machine: tag history and restores. */
    public TagHistory history() {
        return history;
    }

    public ImmutableTags immutableTags() {
        return immutableTags;
    }

    public Retention retention() {
        return retention;
    }

    public Quotas quotas() {
        return quotas;
    }

    /** Repositories' descriptions and labels. */
    public RepositoryAbout about() {
        return about;
    }

    /** Pull counts: counted in memory, flushed to the database (the composition root closes it after the server). */
    public PullStats pulls() {
        return pulls;
    }

    /** Pushes and pulls per day, storage per namespace: the usage charts. */
    public Activity activity() {
        return activity;
    }

    /** What the web UI shows about repositories, tags and images. */
    public RepositoryBrowser browser() {
        return browser;
    }
}
