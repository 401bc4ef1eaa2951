package dev.bollard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** Every {@code bollard COMMAND SUBCOMMAND} that README.md and docs/ name is a command the CLI has. */
class DocumentedCommandsTest {

    private static final Pattern COMMAND = Pattern.compile("(?:\\./|`|^|\\s)bollard ([a-z][a-z-]*)(?: ([a-z][a-z-]*))?",
            Pattern.MULTILINE);
    /** Commands of the ./bollard script, not of the jar; and "sudo -u bollard java -jar …" (the user bollard). */
    private static final Set<String> NOT_THE_CLI = Set.of("test", "build", "java");

    @Test
    void everyDocumentedCommandExists() throws IOException {
        List<Path> files = new ArrayList<>(List.of(Path.of("README.md")));
        try (Stream<Path> docs = Files.walk(Path.of("docs"))) {
            docs.filter(p -> p.toString().endsWith(".md")).forEach(files::add);
        }
        CommandLine root = Main.commandLine();
        Set<String> checked = new TreeSet<>();
        List<String> missing = new ArrayList<>();
        for (Path file : files) {
            Matcher m = COMMAND.matcher(Files.readString(file));
            while (m.find()) {
                if (NOT_THE_CLI.contains(m.group(1))) {
                    continue;
                }
                CommandLine command = root.getSubcommands().get(m.group(1));
                String named = "bollard " + m.group(1);
                // A command that only groups subcommands needs one (bollard user create); one that also runs on its
                // own takes other words as its arguments (bollard scan acme/app:v1, bollard scan policy set).
                if (command != null && !command.getSubcommands().isEmpty()
                        && (command.getCommand() instanceof CommandGroup || command.getSubcommands().containsKey(m.group(2)))) {
                    named += " " + m.group(2);
                    command = m.group(2) == null ? null : command.getSubcommands().get(m.group(2));
                }
                if (command == null) {
                    missing.add(file + ": " + named);
                }
                checked.add(named);
            }
        }
        assertThat(missing).isEmpty();
        assertThat(checked).contains("bollard user create-token", "bollard config check", "bollard serve");
    }
}
