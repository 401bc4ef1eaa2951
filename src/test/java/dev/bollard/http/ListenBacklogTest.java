package dev.bollard.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bollard.testing.Requirements;
import dev.bollard.testing.TestRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The registry listens with a backlog for hundreds of clients connecting at once (a CI farm starting its jobs):
 * with Java's default of 50 the kernel dropped the SYNs beyond it and those clients waited 1–3 s to connect.
 * Read from the kernel with {@code ss}, which shows a listening socket's backlog as its Send-Q.
 */
class ListenBacklogTest {

    @TempDir
    Path dir;

    @Test
    void theListeningSocketAdmitsAThousandPendingConnections() throws Exception {
        Requirements.onPath("ss");
        // (readAllLines: Files.readString of this /proc file returned only its first byte here)
        int somaxconn = Integer.parseInt(Files.readAllLines(Path.of("/proc/sys/net/core/somaxconn")).get(0).trim());
        try (TestRegistry registry = TestRegistry.start(dir)) {
            String port = registry.hostPort().substring(registry.hostPort().lastIndexOf(':') + 1);
            Process ss = new ProcessBuilder("ss", "-ltnH", "sport = :" + port).redirectErrorStream(true).start();
            String out = new String(ss.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(ss.waitFor(10, TimeUnit.SECONDS)).isTrue();
            List<String> fields = List.of(out.trim().split("\\s+"));
            assertThat(fields).as(out).hasSizeGreaterThan(3).first().isEqualTo("LISTEN");
            // State Recv-Q Send-Q Local Peer: for a listener, Send-Q is the backlog (capped by somaxconn).
            assertThat(Integer.parseInt(fields.get(2))).as(out)
                    .isEqualTo(Math.min(BollardServer.ACCEPT_QUEUE, somaxconn)).isGreaterThanOrEqualTo(1000);
        }
    }
}
