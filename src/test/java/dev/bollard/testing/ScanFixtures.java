package dev.bollard.testing;

import dev.bollard.clients.Exec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The scan tests' image contents and vulnerability data: a Debian 12 file system whose packages real advisories in
 * {@code src/test/resources/osv/real} name (DSA-5514-1 affects its glibc, DSA-5724-1 is fixed in its openssh), and
 * an OCI layout of such files made by umoci.
 */
public final class ScanFixtures {
    /** OSV records of real advisories, one file each ({@code DSA-5514-1.json}). */
    public static final Path OSV = Path.of("src/test/resources/osv/real");

    private ScanFixtures() {
    }

    /**
     * The files of a Debian 12 image: its os-release and a dpkg status with libc6 from glibc 2.36-9+deb12u1 (below
     * DSA-5514-1's fix) and openssh-client at 1:9.2p1-2+deb12u3 (DSA-5724-1's fix), then {@code moreStanzas}.
     */
    public static Map<String, byte[]> debian12(String moreStanzas) {
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("etc/os-release", """
                PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
                ID=debian
                VERSION_ID="12"
                """.getBytes(StandardCharsets.UTF_8));
        files.put("var/lib/dpkg/status", ("""
                Package: libc6
                Status: install ok installed
                Architecture: amd64
                Source: glibc
                Version: 2.36-9+deb12u1

                Package: openssh-client
                Status: install ok installed
                Architecture: amd64
                Source: openssh
                Version: 1:9.2p1-2+deb12u3
                """ + moreStanzas).getBytes(StandardCharsets.UTF_8));
        return files;
    }

    /**
     * An OCI layout in {@code dir} whose image {@code :v1} holds {@code files} (paths relative to the root), made by
     * umoci: the files are written to a directory tree and each top-level directory inserted as a layer.
     */
    public static Path umociImage(Path dir, Map<String, byte[]> files) throws IOException {
        Path root = Files.createDirectories(dir.resolve("rootfs"));
        for (Map.Entry<String, byte[]> f : files.entrySet()) {
            Path file = root.resolve(f.getKey());
            Files.createDirectories(file.getParent());
            Files.write(file, f.getValue());
        }
        Exec umoci = new Exec(dir);
        Path layout = dir.resolve("layout");
        umoci.ok("umoci", "init", "--layout", layout.toString());
        umoci.ok("umoci", "new", "--image", layout + ":v1");
        try (var top = Files.list(root)) {
            for (Path p : top.sorted().toList()) {
                umoci.ok("umoci", "insert", "--rootless", "--image", layout + ":v1", p.toString(),
                        "/" + p.getFileName());
            }
        }
        return layout;
    }
}
