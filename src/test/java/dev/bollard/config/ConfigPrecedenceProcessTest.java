package dev.bollard.config;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bollard.oci.Digest;
import dev.bollard.testing.ServerProcess;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Configuration precedence in a real {@code bollard serve} process: a command-line flag beats the environment, which
 * beats the file given with {@code --config}, which beats the default. Each level sets something the running
 * registry shows: where it listens and keeps its data (flag over environment over file), whether deletes are
 * enabled (environment over file), whether access control is on (file over default).
 */
class ConfigPrecedenceProcessTest {
    @TempDir
    Path dir;

    @Test
    void flagBeatsEnvironmentBeatsFileBeatsDefault() throws Exception {
        Path fromFile = dir.resolve("data-from-file");
        Path fromEnv = dir.resolve("data-from-env");
        Path fromFlag = dir.resolve("data-from-flag");
        Path file = Files.writeString(dir.resolve("bollard.yml"), """
                data-dir: %s
                server:
                  listen: 127.0.0.1:1
                registry:
                  delete-enabled: false
                auth:
                  enabled: false
                """.formatted(fromFile));
        // ServerProcess gives --listen (a free port) and --data; the environment and the file say otherwise.
        ServerProcess server = ServerProcess.builder(fromFlag).args("--config", file.toString())
                .env("BOLLARD_DATA_DIR", fromEnv.toString()).env("BOLLARD_SERVER_LISTEN", "127.0.0.1:2")
                .env("BOLLARD_REGISTRY_DELETE_ENABLED", "true").start();
        try (HttpClient http = HttpClient.newHttpClient()) {
            URI base = server.baseUri();
            byte[] config = "{}".getBytes(StandardCharsets.UTF_8);
            Digest configDigest = Digest.sha256(config);
            // Anonymous push: the file's auth.enabled=false over the default (access control on).
            assertThat(send(http, base, "POST", "/v2/precedence/app/blobs/uploads/?digest=" + configDigest, config,
                    "application/octet-stream").statusCode()).as("anonymous blob push").isEqualTo(201);
            byte[] manifest = ("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
                    + "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\""
                    + configDigest + "\",\"size\":" + config.length + "},\"layers\":[]}").getBytes(StandardCharsets.UTF_8);
            assertThat(send(http, base, "PUT", "/v2/precedence/app/manifests/v1", manifest,
                    "application/vnd.oci.image.manifest.v1+json").statusCode()).as("anonymous manifest push")
                    .isEqualTo(201);
            // Deletes enabled: the environment over the file's registry.delete-enabled=false.
            assertThat(send(http, base, "DELETE", "/v2/precedence/app/manifests/v1", null, null).statusCode())
                    .as("DELETE of a tag").isEqualTo(202);
        } finally {
            server.stop();
        }
        // It listened where the flag said (it answered there), and kept its data where the flag said.
        assertThat(fromFlag.resolve("blobs")).as("blob store under the flag's data directory").isDirectory();
        assertThat(fromEnv).as("the environment's data directory").doesNotExist();
        assertThat(fromFile).as("the file's data directory").doesNotExist();
    }

    private static HttpResponse<String> send(HttpClient http, URI base, String method, String path, byte[] body,
                                             String contentType) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path)).method(method,
                body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
        if (contentType != null) {
            b.header("Content-Type", contentType);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }
}
