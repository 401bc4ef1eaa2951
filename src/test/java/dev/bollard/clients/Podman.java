package dev.bollard.clients;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** podman as the tests run it: as root, with its storage (vfs) and state under a test's directory, no systemd. */
public final class Podman {
    private Podman() {
    }

    /** {@code podman --root DIR/podman-root … args}: a command line for {@link Exec}. */
    public static List<String> command(Path dir, String... args) {
        List<String> cmd = new ArrayList<>(List.of("podman", "--root", dir.resolve("podman-root").toString(),
                "--runroot", dir.resolve("podman-runroot").toString(), "--storage-driver", "vfs",
                "--tmpdir", dir.resolve("podman-tmp").toString(), "--cgroup-manager", "cgroupfs",
                "--events-backend", "none"));
        cmd.addAll(List.of(args));
        return cmd;
    }
}
