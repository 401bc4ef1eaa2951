package dev.bollard.registry;

import dev.bollard.config.BollardConfig;
import dev.bollard.metadata.Database;
import dev.bollard.storage.BlobStore;

/** The registry's use cases over one metadata database and one blob store. */
public final class Registry {
    private final BlobUploads uploads;
    private final Blobs blobs;
    private final Manifests manifests;
    private final Listings listings;
    private final RepositoryBrowser browser;

    public Registry(Database db, BlobStore store, BollardConfig.Registry config) {
        this.uploads = new BlobUploads(db, store);
        this.blobs = new Blobs(db, store, config.deleteEnabled());
        this.manifests = new Manifests(db, config.deleteEnabled());
        this.listings = new Listings(db);
        this.browser = new RepositoryBrowser(db, store);
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

    /** What the web UI shows about repositories, tags and images. */
    public RepositoryBrowser browser() {
        return browser;
    }
}
