package dev.bollard.storage;

import dev.bollard.oci.Digest;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Scope;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * A blob store whose calls are OpenTelemetry spans ({@code storage <call>}, children of the current span), for
 * {@code tracing.enabled}. An append's span lasts from opening to closing, so it covers the bytes streamed; reads
 * of a blob are one span from opening to closing the channel.
 */
public final class TracedBlobStore implements BlobStore {

    private final BlobStore store;
    private final Tracer tracer;

    public TracedBlobStore(BlobStore store, Tracer tracer) {
        this.store = store;
        this.tracer = tracer;
    }

    private interface Call<T> {
        T run() throws IOException;
    }

    private interface VoidCall {
        void run() throws IOException;
    }

    private <T> T traced(String name, @Nullable String uploadId, @Nullable Digest digest, Call<T> call)
            throws IOException {
        Span span = start(name, uploadId, digest);
        try (Scope ignored = span.makeCurrent()) {
            return call.run();
        } catch (IOException | RuntimeException e) {
            failed(span, e);
            throw e;
        } finally {
            span.end();
        }
    }

    private void tracedRun(String name, @Nullable String uploadId, @Nullable Digest digest, VoidCall call)
            throws IOException {
        Span span = start(name, uploadId, digest);
        try (Scope ignored = span.makeCurrent()) {
            call.run();
        } catch (IOException | RuntimeException e) {
            failed(span, e);
            throw e;
        } finally {
            span.end();
        }
    }

    private Span start(String name, @Nullable String uploadId, @Nullable Digest digest) {
        var builder = tracer.spanBuilder("storage " + name).setSpanKind(SpanKind.CLIENT)
                .setAttribute("bollard.storage", store.getClass().getSimpleName());
        if (uploadId != null) {
            builder.setAttribute("bollard.upload.id", uploadId);
        }
        if (digest != null) {
            builder.setAttribute("bollard.blob.digest", digest.toString());
        }
        return builder.startSpan();
    }

    private static void failed(Span span, Exception e) {
        span.recordException(e);
        span.setStatus(StatusCode.ERROR, e.getClass().getSimpleName());
    }

    @Override
    public boolean isReachable() {
        Span span = start("isReachable", null, null);
        try {
            boolean reachable = store.isReachable();
            if (!reachable) {
                span.setStatus(StatusCode.ERROR, "unreachable");
            }
            return reachable;
        } finally {
            span.end();
        }
    }

    @Override
    public OptionalLong size(Digest digest) throws IOException {
        return traced("size", null, digest, () -> store.size(digest));
    }

    @Override
    public SeekableByteChannel open(Digest digest) throws IOException {
        Span span = start("read", null, digest);
        try {
            return new TracedChannel(store.open(digest), span);
        } catch (IOException | RuntimeException e) {
            failed(span, e);
            span.end();
            throw e;
        }
    }

    @Override
    public Optional<URI> directUrl(Digest digest) {
        return store.directUrl(digest);
    }

    @Override
    public boolean delete(Digest digest) throws IOException {
        return traced("delete", null, digest, () -> store.delete(digest));
    }

    @Override
    public String createUpload(String uploadId) throws IOException {
        return traced("createUpload", uploadId, null, () -> store.createUpload(uploadId));
    }

    @Override
    public Append appendUpload(String uploadId, long offset, String state) throws IOException {
        Span span = start("append", uploadId, null);
        span.setAttribute("bollard.upload.offset", offset);
        try (Scope ignored = span.makeCurrent()) {
            Append append = store.appendUpload(uploadId, offset, state);
            return new Append() {
                private long written;

                @Override
                public String state() {
                    return append.state();
                }

                @Override
                public int write(ByteBuffer src) throws IOException {
                    try (Scope inner = span.makeCurrent()) {
                        int n = append.write(src);
                        written += n;
                        return n;
                    } catch (IOException | RuntimeException e) {
                        failed(span, e);
                        throw e;
                    }
                }

                @Override
                public boolean isOpen() {
                    return append.isOpen();
                }

                @Override
                public void close() throws IOException {
                    try (Scope inner = span.makeCurrent()) {
                        append.close();
                    } catch (IOException | RuntimeException e) {
                        failed(span, e);
                        throw e;
                    } finally {
                        span.setAttribute("bollard.upload.bytes", written);
                        span.end();
                    }
                }
            };
        } catch (IOException | RuntimeException e) {
            failed(span, e);
            span.end();
            throw e;
        }
    }

    @Override
    public SeekableByteChannel readUpload(String uploadId, String state, long size) throws IOException {
        Span span = start("readUpload", uploadId, null);
        try {
            return new TracedChannel(store.readUpload(uploadId, state, size), span);
        } catch (IOException | RuntimeException e) {
            failed(span, e);
            span.end();
            throw e;
        }
    }

    @Override
    public boolean readsUploadsCheaply() {
        return store.readsUploadsCheaply();
    }

    @Override
    public void commitUpload(String uploadId, String state, Digest digest, long size) throws IOException {
        tracedRun("commitUpload", uploadId, digest, () -> store.commitUpload(uploadId, state, digest, size));
    }

    @Override
    public void deleteUpload(String uploadId) throws IOException {
        tracedRun("deleteUpload", uploadId, null, () -> store.deleteUpload(uploadId));
    }

    @Override
    public void listBlobs(Consumer<StoredBlob> each) throws IOException {
        store.listBlobs(each);
    }

    @Override
    public List<StagedUpload> listUploads() throws IOException {
        return traced("listUploads", null, null, store::listUploads);
    }

    @Override
    public void close() {
        store.close();
    }

    /** A read channel whose span ends when it is closed. */
    private record TracedChannel(SeekableByteChannel channel, Span span) implements SeekableByteChannel {
        @Override
        public int read(ByteBuffer dst) throws IOException {
            try (Scope ignored = span.makeCurrent()) {
                return channel.read(dst);
            }
        }

        @Override
        public int write(ByteBuffer src) throws IOException {
            return channel.write(src);
        }

        @Override
        public long position() throws IOException {
            return channel.position();
        }

        @Override
        public SeekableByteChannel position(long newPosition) throws IOException {
            channel.position(newPosition);
            return this;
        }

        @Override
        public long size() throws IOException {
            return channel.size();
        }

        @Override
        public SeekableByteChannel truncate(long size) throws IOException {
            channel.truncate(size);
            return this;
        }

        @Override
        public boolean isOpen() {
            return channel.isOpen();
        }

        @Override
        public void close() throws IOException {
            try {
                channel.close();
            } finally {
                span.end();
            }
        }
    }
}
