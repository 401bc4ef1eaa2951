package dev.bollard.scan.vuln;

import dev.bollard.jobs.Worker;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Refreshes the vulnerability data from the configured URLs ({@code scan.vulndb.urls}) every
 * {@code scan.vulndb.refresh-interval}, on one node at a time. Each URL is downloaded in full before its import
 * begins, and each import is one transaction: a download or an import that fails leaves the data as it was, is
 * logged naming the URL and the reason, and fails the turn (so the worker's failure metric counts it and it backs
 * off); the other URLs are still refreshed. Not started when no URL is configured.
 */
public final class VulnDbRefreshWorker extends Worker {

    private static final Logger LOG = LoggerFactory.getLogger(VulnDbRefreshWorker.class);

    private final VulnerabilityStore store;
    private final List<URI> urls;
    private final Path tempDir;
    private final HttpClient http;

    /** {@code tempDir} holds downloads while they are imported. */
    public VulnDbRefreshWorker(VulnerabilityStore store, List<URI> urls, Duration every, Path tempDir) {
        super("vulndb-refresh", Schedule.every(every).onOneNode());
        this.store = store;
        this.urls = List.copyOf(urls);
        this.tempDir = tempDir;
        this.http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NORMAL)
                .connectTimeout(Duration.ofSeconds(30)).build();
    }

    @Override
    protected void turn(Runnable heartbeat) {
        List<String> failed = new ArrayList<>();
        for (URI url : urls) {
            if (Thread.currentThread().isInterrupted()) {
                return;
            }
            try {
                store.importUrl(url, tempDir, http, heartbeat);
            } catch (RuntimeException e) {
                LOG.error("vulnerability data refresh from {} failed; the data stays as it was: {}", url,
                        e.getMessage() == null ? e.toString() : e.getMessage());
                failed.add(url.toString());
            }
        }
        if (!failed.isEmpty()) {
            throw new IllegalStateException("vulnerability data refresh failed for " + String.join(", ", failed));
        }
    }
}
