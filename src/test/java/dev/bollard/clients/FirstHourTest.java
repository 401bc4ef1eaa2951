package dev.bollard.clients;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bollard.testing.Requirements;
import dev.bollard.testing.ServerProcess;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A new user's first hour, end to end, as the README's quick start tells it and run as it stands: a fresh data
 * directory; the registry started the way its first block says (the first administrator from
 * {@code BOLLARD_ADMIN_PASSWORD}); then the block marked as run by this test, by bash, in a fresh directory — an
 * organization with a team and a robot set up with the command line <em>while the registry runs</em> (its embedded
 * database admits one process, so the commands go through the registry), a push with the robot's token, a tag deleted
 * and brought back, and the collector's dry run. {@code ./bollard} there is the CLI of this build (the real launcher
 * would build the jar first); the registry's address and {@code /tmp/layout} are this run's. A README step that stops
 * working fails here; what each step did is then checked with real clients and the audit log.
 */
class FirstHourTest {
    private static final String MARK = "<!-- FirstHourTest runs this block";

    @TempDir
    Path dir;

    @Test
    void theReadmesQuickStartRunsAsWrittenFromAFreshDirectory() throws Exception {
        Requirements.onPath("skopeo");
        Requirements.onPath("umoci");
        String readme = Files.readString(Path.of("README.md"));

        Matcher start = Pattern.compile("BOLLARD_ADMIN_PASSWORD='([^']+)' \\./bollard serve ").matcher(readme);
        assertThat(start.find()).as("the quick start's first start").isTrue();
        String block = blockAfter(readme, MARK);
        assertThat(block).contains("./bollard org create");

        Path work = dir.resolve("work");
        Files.createDirectories(work);
        Path launcher = work.resolve("bollard");
        // Each command is a JVM of its own that lives a second: C1 only, as the test's registry (ServerProcess).
        Files.writeString(launcher, "#!/bin/sh\nexec '" + ServerProcess.javaExecutable() + "' "
                + ServerProcess.QUICK_JIT + " -cp '"
                + System.getProperty("java.class.path") + "' dev.bollard.cli.Main \"$@\"\n");
        Files.setPosixFilePermissions(launcher, PosixFilePermissions.fromString("rwxr-xr-x"));

        // The README's ./bollard serve keeps its data in ./data of the directory it runs in: so does this one.
        try (ServerProcess server = ServerProcess.builder(work.resolve("data")).env("BOLLARD_AUTH_ENABLED", "true")
                .env("BOLLARD_ADMIN_PASSWORD", start.group(1)).start()) {
            String output = run(work, block.replace("127.0.0.1:5000", server.baseUri().getAuthority())
                    .replace("/tmp/layout", dir.resolve("layout").toString()));
            assertThat(output).contains("created organization acme owned by admin", "created team acme/ci (member)",
                    "acme+ci is in team acme/ci", "team ci may write acme/app", "deleted tag acme/app:v1",
                    "restored acme/app:v1 to sha256:", "would free 0 manifest(s)");
            assertThat(output).doesNotContain("Exception");
            assertThat(output).contains("grace     nothing unreferenced is inside the grace period of 24h (gc.grace-period)");
            assertThat(server.log()).contains("created the superuser admin with the password given");

            // What the steps did: the robot pushes through its team's grant, and nowhere else; the tag is back.
            String registry = server.baseUri().getAuthority();
            // The README's shell kept the robot's token in a variable; here the robot gets a new one.
            Matcher token = Pattern.compile("new token of acme\\+ci \\(shown once\\):\n(\\S+)\n")
                    .matcher(run(work, "./bollard robot regenerate acme+ci"));
            assertThat(token.find()).isTrue();
            String creds = "acme+ci:" + token.group(1);
            Skopeo skopeo = new Skopeo(dir);
            Exec.Result elsewhere = skopeo.copy("--dest-creds", creds, "oci:" + dir.resolve("layout") + ":v1",
                    "docker://" + registry + "/acme/other:v1");
            assertThat(elsewhere.ok()).as(elsewhere.describe()).isFalse();
            assertThat(elsewhere.output()).contains("acme/other: 403 (Forbidden)");
            Exec.ok(skopeo.copy("--src-creds", creds, "docker://" + registry + "/acme/app:v1", "oci:" + dir.resolve("pulled") + ":v1"));

            // Every change is in the audit log, made from the command line by this OS user.
            String cli = "\"cli:" + System.getProperty("user.name", "");
            assertThat(run(work, "./bollard audit export").lines().filter(l -> l.contains(cli)).map(FirstHourTest::action))
                    .contains("org.create", "team.create", "robot.create", "team.member.add", "permission.set",
                            "tag.delete", "tag.restore");
        }
    }

    /** What a shell script run by bash in {@code work} printed (its output and errors); it must succeed. */
    private String run(Path work, String script) throws Exception {
        ProcessBuilder pb = new ProcessBuilder("bash", "-c", "set -euo pipefail\n" + script).directory(work.toFile())
                .redirectErrorStream(true);
        pb.environment().keySet().removeIf(k -> k.startsWith("BOLLARD_"));
        pb.environment().put("REGISTRY_AUTH_FILE", dir.resolve("auth.json").toString());
        Process p = pb.start();
        p.getOutputStream().close();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(5, TimeUnit.MINUTES)).isTrue();
        assertThat(p.exitValue()).as("bash ran:\n%s\nand printed:\n%s", script, output).isZero();
        return output;
    }

    private static String action(String jsonLine) {
        Matcher m = Pattern.compile("\"action\":\"([^\"]+)\"").matcher(jsonLine);
        return m.find() ? m.group(1) : "";
    }

    /** The text of the first fenced block after the line that starts with {@code mark}. */
    private static String blockAfter(String markdown, String mark) {
        List<String> lines = markdown.lines().toList();
        int at = 0;
        while (at < lines.size() && !lines.get(at).startsWith(mark)) {
            at++;
        }
        assertThat(at).as("README.md has a block marked '%s'", mark).isLessThan(lines.size());
        assertThat(lines.get(at + 1)).isEqualTo("```sh");
        StringBuilder block = new StringBuilder();
        for (int i = at + 2; !lines.get(i).equals("```"); i++) {
            block.append(lines.get(i)).append('\n');
        }
        return block.toString();
    }
}
