package dev.bollard.registry;

import dev.bollard.audit.Actor;
import dev.bollard.audit.AuditActions;
import dev.bollard.audit.AuditEvent;
import dev.bollard.error.BollardException;
import dev.bollard.error.ErrorCode;
import dev.bollard.events.Outbox;
import dev.bollard.metadata.BlobDao;
import dev.bollard.metadata.Database;
import dev.bollard.oci.Digest;
import dev.bollard.oci.RepositoryName;
import dev.bollard.storage.BlobStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.NoSuchFileException;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/** Reading and unlinking blobs of a repository. A blob not linked to the repository does not exist for it. */
public final class Blobs {
    private final Database db;
    private final BlobStore store;
    private final boolean deleteEnabled;
    private final Duration gracePeriod;
    private final Outbox outbox;

    Blobs(Database db, BlobStore store, boolean deleteEnabled, Duration gracePeriod, Outbox outbox) {
        this.outbox = outbox;
        this.db = db;
        this.store = store;
        this.deleteEnabled = deleteEnabled;
        this.gracePeriod = gracePeriod;
    }

    /** The blob when the repository holds it. */
    public Optional<BlobInfo> find(RepositoryName repository, Digest digest) {
        return db.read(h -> BlobDao.link(h, repository.value(), digest.toString()))
                .map(link -> new BlobInfo(digest, link.size()));
    }

    public BlobInfo stat(RepositoryName repository, Digest digest) {
        return find(repository, digest).orElseThrow(() -> unknown(repository, digest));
    }

    /**
     * As {@link #stat}, for a client that checks whether it must push the blob ({@code HEAD}): a link older than
     * half the grace period is renewed, so that the garbage collector does not remove it while the client, having
     * skipped the upload, pushes the manifest that references it.
     */
    public BlobInfo statForPush(RepositoryName repository, Digest digest) {
        BlobDao.Link link = db.read(h -> BlobDao.link(h, repository.value(), digest.toString()))
                .orElseThrow(() -> unknown(repository, digest));
        Instant renewBefore = Instant.now().minus(gracePeriod.dividedBy(2));
        if (link.linkedAt().isBefore(renewBefore) && !db.inTransaction(
                h -> BlobDao.renewLinkOlderThan(h, repository.value(), digest.toString(), renewBefore))) {
            throw unknown(repository, digest); // the collector took it since the read: the client must upload it
        }
        return new BlobInfo(digest, link.size());
    }

    /** Opens the bytes of a blob that {@link #stat} found. */
    public SeekableByteChannel open(RepositoryName repository, BlobInfo blob) {
        try {
            return store.open(blob.digest());
        } catch (NoSuchFileException e) {
            throw unknown(repository, blob.digest());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Where a client may fetch the blob directly (a presigned S3 URL) instead of through the registry, if anywhere. */
    public Optional<URI> directUrl(BlobInfo blob) {
        return store.directUrl(blob.digest());
    }

    /** Unlinks the blob from the repository, as {@code actor} (the collector reclaims the bytes later). */
    public void delete(RepositoryName repository, Digest digest, Actor actor) {
        if (!deleteEnabled) {
            throw new BollardException(ErrorCode.UNSUPPORTED, "deleting blobs is disabled on this registry");
        }
        boolean deleted = db.inTransaction(h -> {
            boolean gone = BlobDao.unlink(h, Repositories.require(h, repository), digest.toString());
            if (gone) {
                outbox.record(h, AuditEvent.onRepository(actor, AuditActions.BLOB_DELETE, repository.value(),
                        Map.of("digest", digest.toString())));
            }
            return gone;
        });
        if (!deleted) {
            throw unknown(repository, digest);
        }
    }

    private static BollardException unknown(RepositoryName repository, Digest digest) {
        return new BollardException(ErrorCode.BLOB_UNKNOWN, "blob " + digest + " is not known in " + repository,
                Map.of("digest", digest.toString()));
    }
}
