package dev.bollard.registry;

import dev.bollard.config.ConfigLoader;
import dev.bollard.jobs.Worker;
import java.time.Duration;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Expires upload sessions idle for longer than {@code uploads.expiry}, every {@code uploads.cleanup-interval}, on
 * every node (it never took a lease). It lives here, beside {@link BlobUploads}, because {@code jobs} sits below
 * {@code registry}.
 */
public final class UploadSweepWorker extends Worker {

    private static final Logger LOG = LoggerFactory.getLogger(UploadSweepWorker.class);

    private final BlobUploads uploads;
    private final Duration expiry;

    public UploadSweepWorker(BlobUploads uploads, Duration every, Duration expiry) {
        super("upload-sweep", Schedule.every(every));
        this.uploads = uploads;
        this.expiry = expiry;
    }

    @Override
    protected void turn(Runnable heartbeat) {
        int expired = uploads.expireIdle(Instant.now().minus(expiry));
        if (expired > 0) {
            BlobUploads.OpenSessions open = uploads.open(expiry);
            LOG.info("expired {} upload session(s) idle for {} (uploads.expiry); {} open, holding {} bytes{}", expired,
                    ConfigLoader.formatDuration(expiry), open.sessions(), open.bytes(), open.firstExpiry() == null ? ""
                            : ", the next expires at " + open.firstExpiry() + " unless resumed");
        }
    }
}
