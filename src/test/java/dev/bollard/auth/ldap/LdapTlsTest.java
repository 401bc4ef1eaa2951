package dev.bollard.auth.ldap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.bollard.auth.IdentitySource;
import dev.bollard.config.BollardConfig;
import dev.bollard.config.ConfigLoader;
import dev.bollard.testing.SlapdServer;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The directory over TLS against a real slapd with a certificate from a test CA: StartTLS on {@code ldap://} and
 * {@code ldaps://} work with that CA as {@code auth.ldap.ca-file}; a directory whose certificate another CA signed is
 * unavailable (the password never leaves over an unverified connection).
 */
class LdapTlsTest {
    @TempDir
    Path dir;

    private BollardConfig.Ldap ldap(String url, boolean startTls, Path ca) {
        return ConfigLoader.builder()
                .set("data-dir", dir.resolve("data").toString())
                .set("auth.ldap.enabled", "true")
                .set("auth.ldap.urls", url)
                .set("auth.ldap.start-tls", Boolean.toString(startTls))
                .set("auth.ldap.ca-file", ca.toString())
                .set("auth.ldap.bind-dn", SlapdServer.ROOT_DN)
                .set("auth.ldap.bind-password", SlapdServer.ROOT_PASSWORD)
                .set("auth.ldap.user-base", "ou=people," + SlapdServer.SUFFIX)
                // Generous: a TLS handshake took more than 3 s on a machine at a load average of 20, and failed the
                // test; the refusals below come from the certificate check, not from a timeout.
                .set("auth.ldap.connect-timeout", "10s")
                .set("auth.ldap.response-timeout", "30s")
                .load().auth().ldap();
    }

    @Test
    void startTlsAndLdapsWithTheDirectorysCaAndRefusedWithAnotherCa() throws Exception {
        try (SlapdServer slapd = SlapdServer.start(dir.resolve("slapd"), true);
             SlapdServer other = SlapdServer.start(dir.resolve("other"), true)) {
            try (LdapDirectory startTls = new LdapDirectory(ldap(slapd.url(), true, slapd.caCertificate()), List::of)) {
                assertThat(startTls.authenticate("alice", "alice-directory-pw")).get()
                        .extracting(IdentitySource.Identity::email).isEqualTo("alice@example.org");
                assertThat(startTls.authenticate("alice", "wrong")).isEmpty();
            } catch (IdentitySource.Unavailable e) {
                throw new AssertionError("StartTLS failed; slapd logged:\n" + slapd.log(), e);
            }
            try (LdapDirectory ldaps = new LdapDirectory(ldap(slapd.ldapsUrl(), false, slapd.caCertificate()), List::of)) {
                assertThat(ldaps.authenticate("bob", "bob-directory-pw")).isPresent();
            }
            // The other directory's CA did not sign this server's certificate.
            try (LdapDirectory untrusted = new LdapDirectory(ldap(slapd.ldapsUrl(), false, other.caCertificate()),
                    List::of)) {
                assertThatThrownBy(() -> untrusted.authenticate("bob", "bob-directory-pw"))
                        .isInstanceOf(IdentitySource.Unavailable.class).hasMessageContaining(slapd.ldapsUrl());
            }
            try (LdapDirectory untrusted = new LdapDirectory(ldap(slapd.url(), true, other.caCertificate()), List::of)) {
                assertThatThrownBy(() -> untrusted.authenticate("bob", "bob-directory-pw"))
                        .isInstanceOf(IdentitySource.Unavailable.class);
            }
        }
    }
}
