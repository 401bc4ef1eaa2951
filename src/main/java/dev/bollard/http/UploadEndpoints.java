package dev.bollard.http;

import dev.bollard.oci.Digest;
import dev.bollard.oci.InvalidDigestException;
import dev.bollard.oci.RepositoryName;
import dev.bollard.registry.BlobInfo;
import dev.bollard.registry.BlobUploads;
import dev.bollard.registry.OutOfOrderChunk;
import dev.bollard.registry.UploadStatus;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Optional;

/**
 * The upload endpoints of the distribution API: {@code POST /v2/<name>/blobs/uploads/} (a session, a cross-repository
 * mount or a monolithic upload) and {@code GET}, {@code PATCH}, {@code PUT} and {@code DELETE} of a session at
 * {@code /v2/<name>/blobs/uploads/<id>}. Uploads that carry a body count as uploads in flight.
 */
final class UploadEndpoints {
    private final BlobUploads uploads;
    private final DistributionAccess access;
    private final Observability observability;

    UploadEndpoints(BlobUploads uploads, DistributionAccess access, Observability observability) {
        this.uploads = uploads;
        this.access = access;
        this.observability = observability;
    }

    /** {@code POST}: mounts the blob when asked and allowed, stores a monolithic upload, or starts a session. */
    void start(Exchange ex, RepositoryName repository) throws IOException {
        try (Observability.InFlight ignored = observability.uploadInFlight()) {
            String mount = ex.query("mount");
            if (mount != null) {
                Digest digest = Digest.parse(mount);
                String from = ex.query("from");
                // Mounting reads the source repository: only when the caller may pull it, else a plain session.
                if (from != null && RepositoryName.isValid(from) && access.mayPull(ex, from)) {
                    Optional<BlobInfo> mounted = uploads.mount(repository, digest, new RepositoryName(from));
                    if (mounted.isPresent()) {
                        sendBlobCreated(ex, repository, digest);
                        return;
                    }
                }
            }
            String digestParam = ex.query("digest");
            if (digestParam != null) {
                Digest digest = Digest.parse(digestParam);
                uploads.uploadWhole(repository, digest, uploadBody(ex), ex.contentLength());
                sendBlobCreated(ex, repository, digest);
                return;
            }
            sendUploadStatus(ex, uploads.start(repository), 202);
        }
    }

    /** {@code GET}: where the session stands. */
    void status(Exchange ex, RepositoryName repository, String uploadId) {
        sendUploadStatus(ex, uploads.status(repository, uploadId), 204);
    }

    /** {@code PATCH}: appends a chunk. */
    void append(Exchange ex, RepositoryName repository, String uploadId) {
        try (Observability.InFlight ignored = observability.uploadInFlight()) {
            ContentRange range = ContentRange.of(ex.header("Content-Range"), ex.contentLength());
            UploadStatus status = uploads.append(repository, uploadId, uploadBody(ex),
                    range == null ? null : range.start(), range == null ? ex.contentLength() : Long.valueOf(range.length()));
            sendUploadStatus(ex, status, 202);
        }
    }

    /** {@code PUT}: appends the last chunk, if any, and closes the session with the blob's digest. */
    void complete(Exchange ex, RepositoryName repository, String uploadId) {
        try (Observability.InFlight ignored = observability.uploadInFlight()) {
            Digest digest;
            try {
                String digestParam = ex.query("digest");
                if (digestParam == null) {
                    throw new InvalidDigestException("closing an upload needs the query parameter digest");
                }
                digest = Digest.parse(digestParam);
            } catch (InvalidDigestException e) {
                // A close that cannot succeed ends the session, as one with a mismatching digest does.
                uploads.cancel(repository, uploadId);
                throw e;
            }
            ContentRange range = ContentRange.of(ex.header("Content-Range"), ex.contentLength());
            if (range != null) {
                // A final chunk with a range must continue where the upload stands.
                UploadStatus status = uploads.status(repository, uploadId);
                if (range.start() != status.size()) {
                    throw new OutOfOrderChunk(status, range.start());
                }
            }
            uploads.complete(repository, uploadId, digest, uploadBody(ex),
                    range == null ? ex.contentLength() : Long.valueOf(range.length()));
            sendBlobCreated(ex, repository, digest);
        }
    }

    /** {@code DELETE}: cancels the session. */
    void cancel(Exchange ex, RepositoryName repository, String uploadId) {
        uploads.cancel(repository, uploadId);
        ex.sendEmpty(204);
    }

    /** The request body of an upload, counted into the pushed-bytes metric as it is read. */
    private InputStream uploadBody(Exchange ex) {
        return new FilterInputStream(ex.body()) {
            @Override
            public int read() throws IOException {
                int b = super.read();
                if (b >= 0) {
                    observability.pushed(1);
                }
                return b;
            }

            @Override
            public int read(byte[] buffer, int offset, int length) throws IOException {
                int n = super.read(buffer, offset, length);
                if (n > 0) {
                    observability.pushed(n);
                }
                return n;
            }
        };
    }

    private static void sendBlobCreated(Exchange ex, RepositoryName repository, Digest digest) {
        ex.setHeader("Location", "/v2/" + repository + "/blobs/" + digest);
        ex.setHeader("Docker-Content-Digest", digest.toString());
        ex.sendEmpty(201);
    }

    private static void sendUploadStatus(Exchange ex, UploadStatus status, int code) {
        setUploadHeaders(ex, status);
        ex.sendEmpty(code);
    }

    /** Where an upload stands, as the spec's answers to a session carry it (also in an out-of-order chunk's error). */
    static void setUploadHeaders(Exchange ex, UploadStatus status) {
        ex.setHeader("Location", "/v2/" + status.repository() + "/blobs/uploads/" + status.uploadId());
        ex.setHeader("Docker-Upload-UUID", status.uploadId());
        ex.setHeader("Range", "0-" + Math.max(0, status.size() - 1));
    }
}
