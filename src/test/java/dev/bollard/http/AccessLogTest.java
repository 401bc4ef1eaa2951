package dev.bollard.http;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The access log is written off the request threads: a stuck output drops and counts lines, never blocks. */
class AccessLogTest {

    /** An appender whose output hangs until released, as a full pipe behind standard error would. */
    private static final class StuckAppender extends AppenderBase<ILoggingEvent> {
        final CountDownLatch release = new CountDownLatch(1);
        final List<String> written = new CopyOnWriteArrayList<>();

        @Override
        protected void append(ILoggingEvent event) {
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            written.add(event.getFormattedMessage());
        }
    }

    @Test
    void aStuckOutputNeitherBlocksRequestsNorLosesTheLinesQueuedBeforeClose() {
        Logger logger = (Logger) AccessLog.LOGGER;
        StuckAppender stuck = new StuckAppender();
        stuck.setContext(logger.getLoggerContext());
        stuck.start();
        logger.addAppender(stuck);
        try {
            AccessLog log = new AccessLog(100);
            long start = System.nanoTime();
            for (int i = 0; i < 1_000; i++) {
                log.add(new AccessLog.Line("GET", "/v2/a/manifests/" + i, "HTTP/1.1", 200, 1, "id-" + i, "127.0.0.1",
                        null));
            }
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).as("1,000 lines queued at once")
                    .isLessThan(1_000);
            // At most the queue and the batch the writer holds got in; the rest was dropped and counted.
            assertThat(log.dropped()).isGreaterThanOrEqualTo(1_000 - 100 - 256);

            stuck.release.countDown();
            log.close();
            assertThat(stuck.written).as("every line not dropped is written by close()").hasSize(1_000 - (int) log.dropped());
            assertThat(stuck.written.getFirst()).isEqualTo("GET /v2/a/manifests/0 HTTP/1.1 200 1ms id=id-0 from=127.0.0.1");
            int written = stuck.written.size();
            long dropped = log.dropped();
            log.add(new AccessLog.Line("GET", "/v2/", "HTTP/1.1", 200, 1, "late", "127.0.0.1", "EofException"));
            assertThat(stuck.written).as("nothing is written after close").hasSize(written);
            assertThat(log.dropped()).isEqualTo(dropped + 1);
        } finally {
            logger.detachAppender(stuck);
        }
    }
}
