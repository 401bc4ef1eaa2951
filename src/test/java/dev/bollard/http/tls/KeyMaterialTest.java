package dev.bollard.http.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.bollard.config.BollardConfig;
import dev.bollard.config.ConfigException;
import dev.bollard.testing.TestCa;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The key and certificate forms server.tls.* reads — PEM with a PKCS#8, PKCS#1 (RSA) or SEC 1 (EC) key, PKCS#12 with
 * a password as text or in a file — made by openssl, and the errors for what cannot be used.
 */
class KeyMaterialTest {

    @TempDir
    static Path dir;
    private static TestCa ca;
    private static TestCa.Issued rsa;
    private static TestCa.Issued ec;

    @BeforeAll
    static void makeCertificates() throws Exception {
        ca = TestCa.create(dir.resolve("ca"));
        rsa = ca.issue("rsa-server", "rsa");
        ec = ca.issue("ec-server", "ec");
    }

    private static BollardConfig.Tls pem(Path certificate, Path key) {
        return new BollardConfig.Tls(certificate, key, null, "", null, Duration.ofSeconds(10), Duration.ofDays(1));
    }

    private static BollardConfig.Tls pkcs12(Path file, String password, @Nullable Path passwordFile) {
        return new BollardConfig.Tls(null, null, file, password, passwordFile, Duration.ofSeconds(10),
                Duration.ofDays(1));
    }

    @Test
    void pemWithPkcs8RsaAndEcKeysAndTheChain() {
        KeyMaterial fromRsa = KeyMaterial.load(pem(rsa.chain(), rsa.privateKey()));
        assertThat(fromRsa.chain()).hasSize(2);
        assertThat(fromRsa.leaf().getSubjectX500Principal().getName()).isEqualTo("CN=rsa-server");
        assertThat(fromRsa.fingerprint()).isEqualTo(ca.fingerprint(rsa.certificate()));
        assertThat(KeyMaterial.load(pem(ec.certificate(), ec.privateKey())).fingerprint())
                .isEqualTo(ca.fingerprint(ec.certificate()));
    }

    @Test
    void traditionalRsaAndEcKeys() throws Exception {
        Path rsaKey = ca.traditionalKey(rsa);
        assertThat(Files.readString(rsaKey)).contains("BEGIN RSA PRIVATE KEY");
        assertThat(KeyMaterial.load(pem(rsa.chain(), rsaKey)).leaf().getSubjectX500Principal().getName())
                .isEqualTo("CN=rsa-server");
        Path ecKey = ca.traditionalKey(ec);
        assertThat(Files.readString(ecKey)).contains("BEGIN EC PRIVATE KEY");
        assertThat(KeyMaterial.load(pem(ec.chain(), ecKey)).fingerprint()).isEqualTo(ca.fingerprint(ec.certificate()));
    }

    @Test
    void oneFileWithTheCertificateAndTheKey() throws Exception {
        Path both = Files.writeString(dir.resolve("both.pem"), Files.readString(ec.privateKey())
                + Files.readString(ec.chain()));
        assertThat(KeyMaterial.load(pem(both, both)).chain()).hasSize(2);
    }

    @Test
    void pkcs12WithThePasswordAsTextOrInAFile() throws Exception {
        Path p12 = ca.pkcs12(rsa, "s3cret-p12");
        assertThat(KeyMaterial.load(pkcs12(p12, "s3cret-p12", null)).fingerprint())
                .isEqualTo(ca.fingerprint(rsa.certificate()));
        Path passwordFile = Files.writeString(dir.resolve("p12-password"), "s3cret-p12\n");
        assertThat(KeyMaterial.load(pkcs12(p12, "", passwordFile)).chain()).hasSize(2);
        assertThatThrownBy(() -> KeyMaterial.load(pkcs12(p12, "wrong", null))).isInstanceOf(ConfigException.class)
                .hasMessageContaining("wrong password").hasMessageNotContaining("s3cret");
    }

    @Test
    void aKeyThatIsNotTheCertificatesIsRefused() {
        assertThatThrownBy(() -> KeyMaterial.load(pem(rsa.certificate(), ec.privateKey())))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("does not hold the private key of the certificate CN=rsa-server");
    }

    @Test
    void filesWithoutCertificateOrKeyOrWithEncryptedKeysAreRefused() throws Exception {
        Path garbage = Files.writeString(dir.resolve("garbage.pem"), "not a certificate\n");
        assertThatThrownBy(() -> KeyMaterial.load(pem(garbage, rsa.privateKey())))
                .isInstanceOf(ConfigException.class).hasMessageContaining("holds no certificate");
        assertThatThrownBy(() -> KeyMaterial.load(pem(rsa.certificate(), rsa.certificate())))
                .isInstanceOf(ConfigException.class).hasMessageContaining("holds no private key");
        Path truncated = Files.writeString(dir.resolve("truncated.pem"),
                "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
        assertThatThrownBy(() -> KeyMaterial.load(pem(truncated, rsa.privateKey())))
                .isInstanceOf(ConfigException.class).hasMessageContaining("cannot be read");
        Path encrypted = Files.writeString(dir.resolve("encrypted.pem"),
                "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIB\n-----END ENCRYPTED PRIVATE KEY-----\n");
        assertThatThrownBy(() -> KeyMaterial.load(pem(rsa.certificate(), encrypted)))
                .isInstanceOf(ConfigException.class).hasMessageContaining("encrypted private key");
    }
}
