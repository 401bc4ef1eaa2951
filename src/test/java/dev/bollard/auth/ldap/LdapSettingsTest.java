package dev.bollard.auth.ldap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.bollard.config.BollardConfig;
import dev.bollard.config.ConfigException;
import dev.bollard.config.ConfigLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The {@code auth.ldap.*} settings: the bind password from a file or the environment, never printed; checks. */
class LdapSettingsTest {
    @TempDir
    Path dir;

    private ConfigLoader.Builder enabled() {
        return ConfigLoader.builder().set("data-dir", dir.toString()).set("auth.ldap.enabled", "true")
                .set("auth.ldap.urls", "ldap://ldap1.example.org:389, ldaps://ldap2.example.org:636")
                .set("auth.ldap.user-base", "ou=people,dc=example,dc=org")
                .set("auth.ldap.bind-dn", "cn=bollard,dc=example,dc=org");
    }

    @Test
    void theBindPasswordComesFromAFileOrTheEnvironmentAndIsNeverPrinted() throws Exception {
        Path file = Files.writeString(dir.resolve("bind-password"), "from-the-file\n");
        BollardConfig.Ldap fromFile = enabled().set("auth.ldap.bind-password-file", file.toString()).load().auth().ldap();
        assertThat(fromFile.bindPassword()).isEqualTo("from-the-file");
        assertThat(fromFile.urls()).containsExactly("ldap://ldap1.example.org:389", "ldaps://ldap2.example.org:636");
        BollardConfig config = enabled().environment(Map.of("BOLLARD_AUTH_LDAP_BIND_PASSWORD", "from-the-env")).load();
        assertThat(config.auth().ldap().bindPassword()).isEqualTo("from-the-env");
        assertThat(config.toString()).doesNotContain("from-the-env");
        assertThat(fromFile.toString()).doesNotContain("from-the-file");
    }

    @Test
    void anEnabledDirectoryNeedsServersAUserBaseAndAFilterWithThePlaceholder() {
        assertThatThrownBy(() -> ConfigLoader.builder().set("data-dir", dir.toString())
                .set("auth.ldap.enabled", "true").set("auth.ldap.user-filter", "(uid=alice)")
                .set("auth.ldap.nested-groups", "deep").load())
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("auth.ldap.urls must name at least one server")
                .hasMessageContaining("auth.ldap.user-base must name the DN")
                .hasMessageContaining("auth.ldap.user-filter (from command line) must contain {0}")
                .hasMessageContaining("auth.ldap.nested-groups");
        assertThatThrownBy(() -> enabled().set("auth.ldap.urls", "http://ldap.example.org").load())
                .isInstanceOf(ConfigException.class).hasMessageContaining("ldap://host:port or ldaps://host:port");
        assertThatThrownBy(() -> enabled().load()).isInstanceOf(ConfigException.class)
                .hasMessageContaining("auth.ldap.bind-dn needs a password");
        // Disabled, nothing of it is checked.
        assertThat(ConfigLoader.builder().set("data-dir", dir.toString()).load().auth().ldap().enabled()).isFalse();
    }
}
