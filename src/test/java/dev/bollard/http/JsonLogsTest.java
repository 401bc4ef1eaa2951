package dev.bollard.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.bollard.testing.ServerProcess;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code logging.format: json}: a real process logs one JSON object per line; a request's line carries its id. */
class JsonLogsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void aRequestsAccessLogLineIsJsonWithItsRequestId(@TempDir Path dir) throws Exception {
        String requestId = "json-logs-test-4711";
        try (ServerProcess server = ServerProcess.builder(dir.resolve("data")).jvmArgs("-Xmx256m")
                .env("BOLLARD_LOGGING_FORMAT", "json").start();
             HttpClient http = HttpClient.newHttpClient()) {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(server.uri("/v2/json/app/tags/list"))
                    .header("X-Request-Id", requestId).GET().build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(404);

            List<JsonNode> lines = new ArrayList<>();
            long deadline = System.currentTimeMillis() + 10_000;
            while (lines.isEmpty() && System.currentTimeMillis() < deadline) {
                for (String line : server.log().split("\n", -1)) {
                    if (line.startsWith("{") && line.contains(requestId)) {
                        lines.add(JSON.readTree(line));
                    }
                }
                Thread.sleep(50);
            }
            assertThat(lines).as("JSON log lines naming %s in:\n%s", requestId, server.logTail(20)).hasSize(1);
            JsonNode access = lines.getFirst();
            assertThat(access.path("loggerName").asText()).isEqualTo("bollard.access");
            assertThat(access.path("level").asText()).isEqualTo("INFO");
            assertThat(access.path("formattedMessage").asText()).contains("GET /v2/json/app/tags/list").contains(" 404 ");
            assertThat(access.path("kvpList").toString()).contains("\"request_id\":\"" + requestId + "\"")
                    .contains("\"status\":\"404\"");
            for (String line : server.log().split("\n", -1)) {
                if (line.startsWith("{")) {
                    JSON.readTree(line); // every JSON line parses
                }
            }
            assertThat(server.log()).as("the start-up lines are JSON too").contains("\"loggerName\":\"dev.bollard.http.BollardServer\"");
        }
    }
}
