package dev.bollard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bollard.testing.Cli;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * {@code bollard aot-train}, the training run of the AOT cache: it pushes, pulls, deletes and lists through a real
 * registry with and without authentication, checks every answer, and leaves nothing behind.
 */
class AotTrainingTest {

    @Test
    void trainsAgainstATemporaryRegistryAndCleansUp() throws IOException {
        List<Path> before = trainingDirectories();

        Cli.Result result = Cli.run("aot-train", "--rounds", "6");

        assertThat(result.exit()).as(result.err()).isZero();
        assertThat(result.out()).contains("aot-train: 6 images pushed and pulled twice");
        assertThat(trainingDirectories()).isEqualTo(before);
    }

    private static List<Path> trainingDirectories() throws IOException {
        try (Stream<Path> tmp = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
            return tmp.filter(p -> p.getFileName().toString().startsWith("bollard-aot-train-")).sorted().toList();
        }
    }
}
