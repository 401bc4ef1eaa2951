package dev.bollard.clients;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Assumptions;

/** skopeo against a plain-HTTP registry on loopback. */
public final class Skopeo {
    private final Exec exec;

    public Skopeo(Path workDir) {
        this.exec = new Exec(workDir);
    }

    public static void assumeInstalled() {
        Assumptions.assumeTrue(Exec.onPath("skopeo"),
                "skopeo not installed: no `skopeo` on PATH (" + System.getenv("PATH") + "); .ci/run installs it in CI");
    }

    public Exec exec() {
        return exec;
    }

    /** {@code skopeo [global…] copy --src-tls-verify=false --dest-tls-verify=false [args…]} */
    public Exec.Result copy(List<String> global, String... args) {
        List<String> cmd = new ArrayList<>(List.of("skopeo"));
        cmd.addAll(global);
        cmd.addAll(List.of("copy", "--src-tls-verify=false", "--dest-tls-verify=false"));
        cmd.addAll(List.of(args));
        return exec.run(cmd);
    }

    public Exec.Result copy(String... args) {
        return copy(List.of(), args);
    }

    /** {@code skopeo [global…] <sub> --tls-verify=false [args…]} for inspect, list-tags and delete. */
    public Exec.Result cmd(List<String> global, String sub, String... args) {
        List<String> cmd = new ArrayList<>(List.of("skopeo"));
        cmd.addAll(global);
        cmd.addAll(List.of(sub, "--tls-verify=false"));
        cmd.addAll(List.of(args));
        return exec.run(cmd);
    }

    public Exec.Result cmd(String sub, String... args) {
        return cmd(List.of(), sub, args);
    }
}
