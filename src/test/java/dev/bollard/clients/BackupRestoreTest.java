package dev.bollard.clients;

import static dev.bollard.clients.Exec.ok;
import static org.assertj.core.api.Assertions.assertThat;

import dev.bollard.testing.Cli;
import dev.bollard.testing.Requirements;
import dev.bollard.testing.ServerProcess;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bollard backup} while the registry serves (access control on, pushes going on) and {@code bollard restore}
 * into a new data directory: every image acknowledged before the backup pulls back bit-exact with skopeo from a
 * registry started on the restored directory, and its users still sign in (the signing keys open with the carried or
 * copied key-encryption key). A second backup copies only what is new; a damaged backup restores nothing.
 */
class BackupRestoreTest {
    private static final String ADMIN_PASSWORD = "backup-admin-password";
    private static final String CREDS = "admin:" + ADMIN_PASSWORD;

    @TempDir
    static Path classDir;

    private static OciLayout source;

    @TempDir
    Path dir;

    @BeforeAll
    static void writeImages() {
        Requirements.onPath("skopeo");
        source = OciLayout.create(classDir.resolve("source"));
        for (int i = 0; i < 40; i++) {
            OciLayout.Descriptor image = source.writeImage("linux", "amd64", List.of(
                    Map.of("etc/motd", ("image " + i + "\n").getBytes(StandardCharsets.UTF_8)),
                    Map.of("app/data", ("payload of image " + i + " ").repeat(2000).getBytes(StandardCharsets.UTF_8))));
            source.tag(image, "i" + i);
        }
    }

    private static ServerProcess serve(Path data) throws Exception {
        // Without scanning on push: the scanner's SBOM referrers would add blobs to the counts, whenever it finishes.
        return ServerProcess.builder(data).env("BOLLARD_AUTH_ENABLED", "true").env("BOLLARD_SCAN_ON_PUSH", "false")
                .env("BOLLARD_ADMIN_PASSWORD", ADMIN_PASSWORD).start();
    }

    /** Pushes image {@code i} as {@code demo/app-i:v1}; returns its manifest digest as the registry reports it. */
    private String push(Skopeo skopeo, ServerProcess server, int i) {
        String target = "docker://" + server.baseUri().getAuthority() + "/demo/app-" + i + ":v1";
        ok(skopeo.copy("--dest-creds", CREDS, "oci:" + source.root() + ":i" + i, target));
        return digestOf(skopeo, server, i);
    }

    private static String digestOf(Skopeo skopeo, ServerProcess server, int i) {
        String raw = ok(skopeo.cmd(List.of(), "inspect", "--creds", CREDS, "--raw",
                "docker://" + server.baseUri().getAuthority() + "/demo/app-" + i + ":v1")).stdout();
        return OciLayout.sha256(raw.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void aBackupTakenWhileServingRestoresIntoANewDirectoryAndEveryImagePullsBack() throws Exception {
        Skopeo skopeo = new Skopeo(dir);
        Path original = dir.resolve("original");
        Path backup = dir.resolve("backup");
        Map<Integer, String> acknowledged = new LinkedHashMap<>();
        AtomicInteger next = new AtomicInteger(5);
        try (ServerProcess server = serve(original)) {
            for (int i = 0; i < 5; i++) {
                acknowledged.put(i, push(skopeo, server, i));
            }
            // Pushes go on while the backup runs: the snapshot holds each either whole or not at all.
            AtomicBoolean stop = new AtomicBoolean();
            Thread pusher = Thread.ofPlatform().start(() -> {
                Skopeo other = new Skopeo(dir);
                while (!stop.get() && next.get() < 40) {
                    push(other, server, next.getAndIncrement());
                }
            });
            Cli.Result taken = Cli.run("backup", backup.toString(), "--data", original.toString());
            stop.set(true);
            pusher.join();
            assertThat(taken.exit()).as(taken.err()).isZero();
            // Cli.run captures this JVM's System.out, which the pusher's command log shares: search, not startsWith.
            assertThat(taken.out()).contains("backed up to " + backup)
                    .contains("keep the key-encryption key (" + original.resolve("secrets/key-encryption-key"));
            assertThat(server.log()).contains("running 'bollard backup'"); // inside the serving registry
        }

        // Without the key-encryption key the restore refuses before writing anything.
        Path restored = dir.resolve("restored");
        Cli.Result refused = Cli.run("restore", backup.toString(), "--data", restored.toString());
        assertThat(refused.exit()).isEqualTo(1);
        assertThat(refused.err()).contains("sealed with key-encryption key")
                .contains(restored.resolve("secrets/key-encryption-key").toString()).doesNotContain("\tat ");
        assertThat(restored.resolve("db")).doesNotExist();

        Files.createDirectories(restored.resolve("secrets"));
        Files.copy(original.resolve("secrets/key-encryption-key"), restored.resolve("secrets/key-encryption-key"));
        Cli.Result restore = Cli.run("restore", backup.toString(), "--data", restored.toString());
        assertThat(restore.exit()).as(restore.err()).isZero();
        assertThat(restore.out()).startsWith("restored the backup of ").contains("each verified by its digest");

        try (ServerProcess server = serve(restored)) {
            for (Map.Entry<Integer, String> image : acknowledged.entrySet()) {
                assertThat(digestOf(skopeo, server, image.getKey())).isEqualTo(image.getValue());
                ok(skopeo.copy("--src-creds", CREDS, "docker://" + server.baseUri().getAuthority() + "/demo/app-" + image.getKey()
                        + ":v1", "oci:" + dir.resolve("pulled") + ":app-" + image.getKey()));
            }
            // Each image pushed while the backup ran is in the restore whole, or not at all.
            for (int i = 5; i < next.get(); i++) {
                Exec.Result pulled = skopeo.copy("--src-creds", CREDS, "docker://" + server.baseUri().getAuthority()
                        + "/demo/app-" + i + ":v1", "oci:" + dir.resolve("pulled") + ":app-" + i);
                if (!pulled.ok()) {
                    assertThat(pulled.stderr()).as("app-%d", i).containsAnyOf("manifest unknown", "name unknown");
                }
            }
        }

        // A registry with a database is never restored over.
        Cli.Result again = Cli.run("restore", backup.toString(), "--data", restored.toString());
        assertThat(again.exit()).isEqualTo(1);
        assertThat(again.err()).contains("exists: a restore goes into a registry without a database");
    }

    @Test
    void aSecondBackupCopiesOnlyWhatIsNewAndADamagedBackupRestoresNothing() throws Exception {
        Skopeo skopeo = new Skopeo(dir);
        Path original = dir.resolve("original");
        Path backup = dir.resolve("backup");
        List<String> digests = new ArrayList<>();
        try (ServerProcess server = serve(original)) {
            digests.add(push(skopeo, server, 0));
            Cli.Result first = Cli.run("backup", backup.toString(), "--include-key-encryption-key", "--data",
                    original.toString());
            assertThat(first.exit()).as(first.err()).isZero();
            assertThat(first.out()).contains("copied 3 blob(s)").contains("0 already there")
                    .contains("carries the key-encryption key");
            digests.add(push(skopeo, server, 1));
            Cli.Result second = Cli.run("backup", backup.toString(), "--include-key-encryption-key", "--data",
                    original.toString());
            assertThat(second.exit()).as(second.err()).isZero();
            assertThat(second.out()).contains("copied 3 blob(s)").contains("3 already there");
        }
        assertThat(Files.readString(backup.resolve("blobs.tsv")).lines()).hasSize(6);

        // The carried key is installed where the new registry expects it.
        Path restored = dir.resolve("restored");
        Cli.Result restore = Cli.run("restore", backup.toString(), "--data", restored.toString());
        assertThat(restore.exit()).as(restore.err()).isZero();
        assertThat(restore.out()).contains("installed the backup's key-encryption key as "
                + restored.resolve("secrets/key-encryption-key"));
        try (ServerProcess server = serve(restored)) {
            assertThat(digestOf(skopeo, server, 0)).isEqualTo(digests.get(0));
            assertThat(digestOf(skopeo, server, 1)).isEqualTo(digests.get(1));
        }

        // One flipped byte in one blob of the backup: the restore stops, names it, and leaves no database.
        Path damaged;
        try (Stream<Path> blobs = Files.walk(backup.resolve("blobs"))) {
            damaged = blobs.filter(Files::isRegularFile).findFirst().orElseThrow();
        }
        byte[] bytes = Files.readAllBytes(damaged);
        bytes[bytes.length / 2] ^= 1;
        Files.write(damaged, bytes);
        Path elsewhere = dir.resolve("elsewhere");
        Cli.Result refused = Cli.run("restore", backup.toString(), "--data", elsewhere.toString());
        assertThat(refused.exit()).isEqualTo(1);
        assertThat(refused.err()).contains("sha256:" + damaged.getFileName() + " in the backup is damaged");
        assertThat(elsewhere.resolve("db")).doesNotExist();

        // An interrupted first backup (a snapshot and some blobs, no backup.json yet) is finished by the next one.
        Path interrupted = dir.resolve("interrupted");
        Files.createDirectories(interrupted.resolve("blobs"));
        Files.writeString(interrupted.resolve("database.zip.partial"), "cut off");
        Cli.Result finished = Cli.run("backup", interrupted.toString(), "--data", original.toString());
        assertThat(finished.exit()).as(finished.err()).isZero();
        assertThat(interrupted.resolve("backup.json")).exists();
        assertThat(interrupted.resolve("database.zip.partial")).doesNotExist();

        // A directory with other files is not taken for a backup.
        Path busy = dir.resolve("busy");
        Files.createDirectories(busy);
        Files.writeString(busy.resolve("notes.txt"), "mine");
        Cli.Result notEmpty = Cli.run("backup", busy.toString(), "--data", original.toString());
        assertThat(notEmpty.exit()).isEqualTo(1);
        assertThat(notEmpty.err()).contains("is neither empty nor an earlier Bollard backup");
    }
}
