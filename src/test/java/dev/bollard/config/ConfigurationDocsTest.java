package dev.bollard.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** docs/configuration.md must list every key the loader knows, with its default. */
class ConfigurationDocsTest {

    @Test
    void everyKeyIsDocumentedWithItsDefault() throws Exception {
        String doc = Files.readString(Path.of("docs/configuration.md"));
        ConfigLoader.KEYS.forEach((key, meta) -> {
            assertThat(doc).as("docs/configuration.md documents %s", key).contains("| `" + key + "` |");
            if (!meta[0].isEmpty()) {
                assertThat(doc).as("docs/configuration.md gives the default of %s", key)
                        .contains("| `" + key + "` | `" + meta[0] + "` |");
            }
        });
    }
}
