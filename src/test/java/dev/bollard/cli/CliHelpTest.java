package dev.bollard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bollard.testing.Cli;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code --help} and {@code --version} on every command, and arguments that do not parse. */
class CliHelpTest {

    /** Every command path: [], [serve], [user], [user, create], ... */
    private static List<List<String>> commands(CommandLine command, List<String> path) {
        List<List<String>> all = new ArrayList<>();
        all.add(path);
        command.getSubcommands().forEach((name, sub) -> {
            List<String> longer = new ArrayList<>(path);
            longer.add(name);
            all.addAll(commands(sub, longer));
        });
        return all;
    }

    @Test
    void everyCommandAndSubcommandTakesHelp() {
        List<List<String>> all = commands(Main.commandLine(), List.of());
        assertThat(all).hasSizeGreaterThan(40).contains(List.of("user", "create"), List.of("org", "member"),
                List.of("robot", "create"), List.of("config", "check"), List.of("serve"));
        for (List<String> path : all) {
            List<String> args = new ArrayList<>(path);
            args.add("--help");
            Cli.Result r = Cli.run(args.toArray(String[]::new));
            String name = String.join(" ", path);
            assertThat(r.exit()).as("bollard %s --help: %s", name, r.err()).isZero();
            assertThat(r.err()).as("bollard %s --help", name).isEmpty();
            assertThat(r.out()).as("bollard %s --help", name)
                    .startsWith("Usage: bollard" + (path.isEmpty() ? "" : " " + name) + " ")
                    .contains("-h, --help").contains("--debug");
        }
    }

    @Test
    void aGroupOfCommandsAloneShowsItsUsageUnderItsFullName() {
        Cli.Result r = Cli.run("user");
        assertThat(r.exit()).isZero();
        assertThat(r.out()).startsWith("Usage: bollard user ").contains("create-token");
    }

    @Test
    void versionSaysVersionCommitAndBuildDate() {
        Cli.Result r = Cli.run("--version");
        assertThat(r.exit()).isZero();
        // The test classes are built by Maven, which filled in version.properties; the commit may be unknown (no git).
        assertThat(r.out()).matches("bollard \\d+\\.\\d+\\.\\d+(-SNAPSHOT)? \\(commit ([0-9a-f]{7,}|unknown), built "
                + "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ\\)\n");
        assertThat(Cli.run("user", "create", "--version").out()).isEqualTo(r.out());
    }

    @Test
    void badArgumentsAreOneLineAndWhereToLook() {
        Cli.Result r = Cli.run("user", "frob");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).isEqualTo("bollard: 'frob' is not a command of bollard user\n  see 'bollard user --help'\n");

        // picocli's suggestions: a mistyped subcommand or option gets the nearest ones.
        r = Cli.run("user", "creat");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).startsWith("bollard: 'creat' is not a command of bollard user\n  did you mean ")
                .contains("'bollard user create'").endsWith("?\n");
        r = Cli.run("repo", "pull", "acme/app");
        assertThat(r.err()).startsWith("bollard: 'pull' is not a command of bollard repo\n  did you mean ")
                .contains("'bollard repo pulls'");

        r = Cli.run("user", "create");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).isEqualTo("bollard: Missing required parameter: 'NAME'\n  see 'bollard user create --help'\n");

        r = Cli.run("gc", "--dry-rum");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).isEqualTo("bollard: Unknown option: '--dry-rum'\n  did you mean '--dry-run'?\n");
    }
}
