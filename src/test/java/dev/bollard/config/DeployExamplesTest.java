package dev.bollard.config;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The configurations in docs/deploy/ are valid, and the variables the Kubernetes manifest sets are Bollard's keys. */
class DeployExamplesTest {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    @Test
    void theSystemdConfigurationLoads() {
        BollardConfig config = ConfigLoader.builder().file(Path.of("docs/deploy/systemd/bollard.yml")).load();
        assertThat(config.database().url()).startsWith("jdbc:postgresql:");
    }

    @Test
    void theKubernetesConfigMapLoadsWithTheSecretsOfTheDeployment(@TempDir Path dir) throws Exception {
        List<JsonNode> documents = new ArrayList<>();
        try (var parser = YAML.getFactory().createParser(Path.of("docs/deploy/kubernetes/bollard.yaml").toFile())) {
            YAML.readValues(parser, JsonNode.class).forEachRemaining(documents::add);
        }
        JsonNode configMap = documents.stream().filter(d -> d.path("kind").asText().equals("ConfigMap")).findFirst()
                .orElseThrow();
        Path file = Files.writeString(dir.resolve("bollard.yml"), configMap.path("data").path("bollard.yml").asText());

        JsonNode deployment = documents.stream().filter(d -> d.path("kind").asText().equals("Deployment"))
                .findFirst().orElseThrow();
        assertThat(deployment.path("spec").path("replicas").asInt()).isGreaterThanOrEqualTo(2);
        Map<String, String> environment = new HashMap<>();
        for (JsonNode env : deployment.at("/spec/template/spec/containers/0/env")) {
            String name = env.path("name").asText();
            if (name.startsWith("BOLLARD_")) {
                assertThat(ConfigLoader.KEYS.keySet().stream().map(ConfigLoader::environmentName))
                        .as("%s overrides a configuration key", name).contains(name);
                // The key-encryption key must be what `openssl rand -base64 32` makes; the others are any text.
                environment.put(name, name.equals("BOLLARD_AUTH_KEY_ENCRYPTION_KEY")
                        ? Base64.getEncoder().encodeToString(new byte[32]) : "from-a-secret");
            }
        }
        BollardConfig config = ConfigLoader.builder().file(file).environment(environment).load();
        assertThat(config.storage().isS3()).isTrue();
        assertThat(config.server().allowPlainHttp()).as("the pods listen on 0.0.0.0 behind the Ingress's TLS").isTrue();
        assertThat(config.storage().s3().secretKey()).isEqualTo("from-a-secret");
        assertThat(config.database().password()).isEqualTo("from-a-secret");
        assertThat(config.auth().keyEncryption().key()).as("the key-encryption key comes from the Secret").isNotEmpty();
    }
}
