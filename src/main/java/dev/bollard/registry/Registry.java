package dev.bollard.registry;

import dev.bollard.audit.Audit;
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
    private final TagHistory history;
    private final ImmutableTags immutableTags;
    private final Retention retention;
    private final Quotas quotas;

    /**
     * {@code audit} records what the life-cycle use cases change; {@code meters} receives their metrics (quota
     * usage).
     */
    public Registry(Database db, BlobStore store, BollardConfig.Registry config, BollardConfig.Lifecycle lifecycle,
                    Audit audit, MeterRegistry meters) {
        this.quotas = new Quotas(db, audit, meters);
        this.uploads = new BlobUploads(db, store, quotas);
        this.blobs = new Blobs(db, store, config.deleteEnabled(), lifecycle.gcGracePeriod());
        this.manifests = new Manifests(db, config.deleteEnabled());
        this.listings = new Listings(db);
        this.history = new TagHistory(db, lifecycle.historyWindow(), audit);
        this.immutableTags = new ImmutableTags(db, audit);
        this.retention = new Retention(db, audit);
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
}
