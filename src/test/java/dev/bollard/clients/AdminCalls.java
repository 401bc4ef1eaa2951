package dev.bollard.clients;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.bollard.json.Json;
import dev.bollard.testing.ServerProcess;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import org.jspecify.annotations.Nullable;

/** Calls to a server process's API and registry as its superuser {@code admin} (Basic credentials), 20 s at most. */
final class AdminCalls {
    private final HttpClient http = HttpClient.newHttpClient();
    private final String authorization;

    AdminCalls(String adminPassword) {
        this.authorization = "Basic " + Base64.getEncoder()
                .encodeToString(("admin:" + adminPassword).getBytes(StandardCharsets.UTF_8));
    }

    /** Any request; a JSON body when {@code json} is not null; accepts OCI indexes and manifests. */
    HttpResponse<byte[]> call(ServerProcess node, String method, String path, @Nullable String json) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(node.uri(path)).header("Authorization", authorization)
                .header("Accept", String.join(", ", OciLayout.OCI_INDEX, OciLayout.OCI_MANIFEST))
                .method(method, json == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(json));
        if (json != null) {
            b.header("Content-Type", "application/json");
        }
        return http.send(b.timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    /** An API call that must answer {@code expected}; its JSON answer, null when empty. */
    @Nullable JsonNode api(ServerProcess node, String method, String path, @Nullable String json, int expected)
            throws Exception {
        HttpResponse<byte[]> r = call(node, method, path, json);
        String text = new String(r.body(), StandardCharsets.UTF_8);
        assertThat(r.statusCode()).as("%s %s: %s", method, path, text).isEqualTo(expected);
        return text.isEmpty() ? null : Json.MAPPER.readTree(text);
    }
}
