package dev.bollard.http;

import dev.bollard.error.BollardException;
import dev.bollard.error.ErrorCode;
import dev.bollard.oci.Digest;
import dev.bollard.oci.RepositoryName;
import dev.bollard.proxy.ProxyCache;
import dev.bollard.registry.BlobInfo;
import dev.bollard.registry.Blobs;
import java.io.IOException;
import java.net.URI;
import java.nio.channels.SeekableByteChannel;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * The blob endpoints of the distribution API: {@code GET}, {@code HEAD} and {@code DELETE /v2/<name>/blobs/<digest>}.
 * Decides what a read answers (conditional requests, direct URLs, ranges); {@link BlobDownload} sends the bytes.
 */
final class BlobEndpoints {
    private final Blobs blobs;
    private final ProxyCache proxy;
    private final BlobDownload download;

    BlobEndpoints(Blobs blobs, ProxyCache proxy, BlobDownload download) {
        this.blobs = blobs;
        this.proxy = proxy;
        this.download = download;
    }

    /** {@code GET} and {@code HEAD}. */
    void get(Exchange ex, RepositoryName repository, Digest digest) throws IOException {
        if (proxy.fetches(repository, digest)) {
            proxied(ex, repository, digest);
            return;
        }
        // HEAD is how a pushing client checks whether to upload: such a check renews an old link (see statForPush).
        BlobInfo blob = ex.isHead() ? blobs.statForPush(repository, digest) : blobs.stat(repository, digest);
        String etag = "\"" + digest + "\"";
        ex.setHeader("Docker-Content-Digest", digest.toString());
        ex.setHeader("ETag", etag);
        ex.setHeader("Accept-Ranges", "bytes");
        ex.setHeader("Cache-Control", "max-age=31536000, immutable");
        if (etag.equals(ex.header("If-None-Match"))) {
            ex.sendEmpty(304);
            return;
        }
        if (!ex.isHead()) {
            Optional<URI> direct = blobs.directUrl(blob);
            if (direct.isPresent()) {
                // The client fetches the bytes from the store itself (and sends its Range header there).
                ex.setHeader("Location", direct.get().toString());
                ex.sendEmpty(307);
                return;
            }
        }
        if (ex.isHead() || blob.size() == 0) {
            send(ex, blob.size(), null);
            return;
        }
        try (SeekableByteChannel channel = blobs.open(repository, blob)) {
            send(ex, blob.size(), channel);
        }
    }

    /**
     * Answers the request's range of a blob of {@code size} bytes (206 with Content-Range, 416 outside it, else 200 with
     * everything) and sends those bytes from {@code channel} (none when it is null: a HEAD, an empty blob).
     */
    private void send(Exchange ex, long size, @Nullable SeekableByteChannel channel) throws IOException {
        long start = 0;
        long end = size - 1;
        int status = 200;
        ByteRange.Result range = ByteRange.parse(ex.header("Range"), size);
        switch (range) {
            case ByteRange.Result.Whole w -> { }
            case ByteRange.Result.Unsatisfiable u -> {
                ex.setHeader("Content-Range", "bytes */" + size);
                // The spec's SIZE_INVALID, but 416 as HTTP answers a range outside the resource.
                throw new BollardException(ErrorCode.SIZE_INVALID, ErrorCode.Kind.OUT_OF_RANGE, "range "
                        + ex.header("Range") + " is not satisfiable: the blob has " + size + " bytes", null);
            }
            case ByteRange.Result.Part p -> {
                start = p.first();
                end = p.last();
                status = 206;
                ex.setHeader("Content-Range", "bytes " + start + "-" + end + "/" + size);
            }
        }
        long length = end - start + 1;
        ex.response.setStatus(status);
        ex.setHeader("Content-Type", "application/octet-stream");
        ex.response.getHeaders().put("Content-Length", length);
        if (channel != null && length > 0) {
            channel.position(start);
            download.stream(ex, channel, length);
        }
        ex.finish();
    }

    /**
     * A blob of a proxy organization that is not stored: streamed while the one upstream fetch of it stores it. A
     * range is answered from the same bytes at the same offsets, waiting for those not there yet (and for the last
     * byte, until the blob verified). A fetch that fails midway aborts the connection.
     */
    private void proxied(Exchange ex, RepositoryName repository, Digest digest) throws IOException {
        ProxyCache.BlobSource source = proxy.blob(repository, digest, ex.isHead());
        switch (source) {
            case ProxyCache.BlobSource.Stored s -> get(ex, repository, digest);
            case ProxyCache.BlobSource.Upstream u -> {
                ex.setHeader("Docker-Content-Digest", digest.toString());
                ex.response.setStatus(200);
                ex.setHeader("Content-Type", "application/octet-stream");
                if (u.size() >= 0) {
                    ex.response.getHeaders().put("Content-Length", u.size());
                }
                ex.finish();
            }
            case ProxyCache.BlobSource.Streaming s -> {
                try (SeekableByteChannel channel = s.channel()) {
                    ex.setHeader("Docker-Content-Digest", digest.toString());
                    ex.setHeader("ETag", "\"" + digest + "\"");
                    ex.setHeader("Accept-Ranges", "bytes");
                    send(ex, s.size(), channel);
                }
            }
        }
    }

    void delete(Exchange ex, RepositoryName repository, Digest digest) {
        blobs.delete(repository, digest, ex.actor());
        ex.sendEmpty(202);
    }
}
