package dev.bollard.clients;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** skopeo against a plain-HTTP registry on loopback. */
public final class Skopeo {
    private final Exec exec;

    public Skopeo(Path workDir) {
        this.exec = new Exec(workDir);
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
