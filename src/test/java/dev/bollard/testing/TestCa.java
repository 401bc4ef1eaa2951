package dev.bollard.testing;

import dev.bollard.clients.Exec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;

/**
 * A certificate authority for tests, made with Debian's {@code openssl} command: a CA certificate, and server
 * certificates it signs for {@code localhost} and {@code 127.0.0.1} with keys in the PEM forms servers meet (PKCS#8,
 * PKCS#1 RSA, SEC 1 EC) or as PKCS#12. Clients trust {@link #certificate()}; nothing is installed system-wide.
 */
public final class TestCa {

    /** A server key and certificate: {@code chain} is the certificate followed by the CA's. */
    public record Issued(Path certificate, Path privateKey, Path chain) {
    }

    private final Path dir;
    private final Exec exec;

    private TestCa(Path dir) {
        this.dir = dir;
        this.exec = new Exec(dir);
    }

    /** A new CA (EC P-256, valid two days) under {@code dir}; needs {@code openssl} on the PATH. */
    public static TestCa create(Path dir) throws IOException {
        Requirements.onPath("openssl");
        Files.createDirectories(dir);
        TestCa ca = new TestCa(dir);
        ca.openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", "ca.key", "-out", "ca.crt", "-days", "2", "-subj", "/CN=Bollard test CA",
                "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign");
        return ca;
    }

    /** The CA certificate (PEM): what clients are told to trust. */
    public Path certificate() {
        return dir.resolve("ca.crt");
    }

    /**
     * A server certificate {@code /CN=name} for {@code localhost} and {@code 127.0.0.1} with a new key: {@code rsa}
     * or {@code ec}, written as PKCS#8 ({@code name.key}).
     */
    public Issued issue(String name, String keyType) throws IOException {
        return issue(name, keyType, java.util.List.of());
    }

    /** {@link #issue(String, String)} also for {@code extraNames} ({@code IP:192.0.2.2}, {@code DNS:registry.test}). */
    public Issued issue(String name, String keyType, java.util.List<String> extraNames) throws IOException {
        if (keyType.equals("rsa")) {
            openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", name + ".key");
        } else {
            openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", name + ".key");
        }
        openssl("req", "-new", "-key", name + ".key", "-subj", "/CN=" + name, "-out", name + ".csr");
        Files.writeString(dir.resolve(name + ".ext"), """
                basicConstraints=CA:FALSE
                keyUsage=critical,digitalSignature,keyEncipherment
                extendedKeyUsage=serverAuth
                subjectAltName=DNS:localhost,IP:127.0.0.1%s
                """.formatted(extraNames.stream().map(n -> "," + n).collect(java.util.stream.Collectors.joining())));
        openssl("x509", "-req", "-in", name + ".csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
                "-days", "2", "-extfile", name + ".ext", "-out", name + ".crt");
        Path chain = dir.resolve(name + "-chain.crt");
        Files.writeString(chain, Files.readString(dir.resolve(name + ".crt")) + Files.readString(certificate()));
        return new Issued(dir.resolve(name + ".crt"), dir.resolve(name + ".key"), chain);
    }

    /**
     * A client certificate {@code /CN=name} (extended key usage clientAuth, EC P-256) for mTLS, its key as PKCS#8
     * ({@code name.key}); {@code chain} is the certificate alone.
     */
    public Issued issueClient(String name) throws IOException {
        openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", name + ".key");
        openssl("req", "-new", "-key", name + ".key", "-subj", "/CN=" + name + "/O=Bollard tests", "-out", name + ".csr");
        Files.writeString(dir.resolve(name + ".ext"), """
                basicConstraints=CA:FALSE
                keyUsage=critical,digitalSignature
                extendedKeyUsage=clientAuth
                """);
        openssl("x509", "-req", "-in", name + ".csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
                "-days", "2", "-extfile", name + ".ext", "-out", name + ".crt");
        return new Issued(dir.resolve(name + ".crt"), dir.resolve(name + ".key"), dir.resolve(name + ".crt"));
    }

    /** The key of {@code issued} in OpenSSL's "traditional" form: {@code RSA PRIVATE KEY} or {@code EC PRIVATE KEY}. */
    public Path traditionalKey(Issued issued) throws IOException {
        Path out = dir.resolve(issued.privateKey().getFileName() + ".traditional");
        openssl("pkey", "-in", issued.privateKey().toString(), "-traditional", "-out", out.toString());
        return out;
    }

    /** {@code issued}'s key and chain as a PKCS#12 file protected by {@code password}. */
    public Path pkcs12(Issued issued, String password) throws IOException {
        Path out = dir.resolve(issued.certificate().getFileName() + ".p12");
        openssl("pkcs12", "-export", "-inkey", issued.privateKey().toString(), "-in", issued.certificate().toString(),
                "-certfile", certificate().toString(), "-passout", "pass:" + password, "-out", out.toString());
        return out;
    }

    /** Replaces {@code target} with {@code source}'s bytes in one rename, as deployment tools do. */
    public static void replace(Path source, Path target) throws IOException {
        Path temporary = target.resolveSibling(target.getFileName() + ".new");
        Files.copy(source, temporary, StandardCopyOption.REPLACE_EXISTING);
        Files.move(temporary, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** The SHA-256 fingerprint of a PEM certificate, as {@code openssl x509 -fingerprint -sha256} prints it. */
    public String fingerprint(Path certificate) {
        String out = exec.ok(List.of("openssl", "x509", "-in", certificate.toString(), "-noout", "-fingerprint",
                "-sha256")).stdout();
        return out.substring(out.indexOf('=') + 1).strip();
    }

    private void openssl(String... args) {
        exec.ok(Exec.concat(List.of("openssl"), args));
    }
}
