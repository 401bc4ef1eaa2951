package dev.bollard.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.bollard.oci.Digest;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.trace.ReadWriteSpan;
import io.opentelemetry.sdk.trace.ReadableSpan;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.SpanProcessor;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.nio.file.NoSuchFileException;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The blob store contract, and the filesystem store's own tests, through the tracing decorator; and the spans it
 * records.
 */
class TracedBlobStoreTest extends FilesystemBlobStoreTest {
    private final Spans spans = new Spans();
    private final SdkTracerProvider tracing = SdkTracerProvider.builder().addSpanProcessor(spans).build();

    @Override
    protected BlobStore newStore() throws Exception {
        return new TracedBlobStore(super.newStore(), tracing.get("test"));
    }

    /** A span left open (a channel whose close does not end it) would be lost to the exporter. */
    @AfterEach
    void everySpanStartedHasEnded() {
        try {
            assertThat(spans.ended).hasSize(spans.started.get());
        } finally {
            tracing.close();
        }
    }

    @Test
    void everyCallIsASpanNamingItsUploadOrBlob() throws Exception {
        byte[] content = random(1000, 1);
        Digest d = Digest.sha256(content);
        store.isReachable();
        String state = stage("u1", content);
        readAll(store.readUpload("u1", state, content.length));
        store.commitUpload("u1", state, d, content.length);
        store.size(d);
        readAll(store.open(d));
        store.listUploads();
        store.deleteUpload("u1");
        store.delete(d);
        assertThat(spans.ended).extracting(SpanData::getName).containsExactly("storage isReachable",
                "storage createUpload", "storage append", "storage readUpload", "storage commitUpload",
                "storage size", "storage read", "storage listUploads", "storage deleteUpload", "storage delete");
        assertThat(spans.ended).allSatisfy(s -> assertThat(s.getAttributes()
                .get(AttributeKey.stringKey("bollard.storage"))).isEqualTo("FilesystemBlobStore"));
        assertThat(spans.named("storage append").getAttributes().get(AttributeKey.longKey("bollard.upload.bytes")))
                .isEqualTo(1000L);
        assertThat(spans.named("storage commitUpload").getAttributes().get(AttributeKey.stringKey(
                "bollard.upload.id"))).isEqualTo("u1");
        assertThat(spans.named("storage read").getAttributes().get(AttributeKey.stringKey("bollard.blob.digest")))
                .isEqualTo(d.toString());
    }

    @Test
    void aFailedCallIsAnErrorSpanWithItsException() {
        Digest d = Digest.sha256(new byte[] {9});
        assertThatThrownBy(() -> store.open(d)).isInstanceOf(NoSuchFileException.class);
        SpanData read = spans.named("storage read");
        assertThat(read.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
        assertThat(read.getEvents()).extracting(e -> e.getName()).containsExactly("exception");
    }

    /** Counts the spans started and keeps those ended. */
    private static final class Spans implements SpanProcessor {
        final AtomicInteger started = new AtomicInteger();
        final Queue<SpanData> ended = new ConcurrentLinkedQueue<>();

        SpanData named(String name) {
            return ended.stream().filter(s -> s.getName().equals(name)).findFirst().orElseThrow();
        }

        @Override
        public void onStart(Context parentContext, ReadWriteSpan span) {
            started.incrementAndGet();
        }

        @Override
        public boolean isStartRequired() {
            return true;
        }

        @Override
        public void onEnd(ReadableSpan span) {
            ended.add(span.toSpanData());
        }

        @Override
        public boolean isEndRequired() {
            return true;
        }
    }
}
