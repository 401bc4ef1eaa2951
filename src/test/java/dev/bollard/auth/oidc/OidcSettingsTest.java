package dev.bollard.auth.oidc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.bollard.config.BollardConfig;
import dev.bollard.config.ConfigException;
import dev.bollard.config.ConfigLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** auth.oidc.* from YAML (a list of providers) and from the environment, and the clear refusals of bad settings. */
class OidcSettingsTest {
    @TempDir
    Path dir;

    @Test
    void providersComeFromAYamlListAndSecretsFromTheEnvironment() throws Exception {
        Path file = dir.resolve("bollard.yml");
        Files.writeString(file, """
                auth:
                  oidc:
                    workload-issuers: https://token.actions.githubusercontent.com, http://127.0.0.1:8080/realms/ci
                    providers:
                      - id: keycloak
                        display-name: Company SSO
                        issuer: https://sso.example.org/realms/staff
                        client-id: bollard
                        scopes: profile email groups
                        admin-group: registry-admins
                      - id: gitlab
                        issuer: https://gitlab.example.org
                        client-id: bollard-gl
                """);
        BollardConfig.Oidc oidc = ConfigLoader.builder().file(file)
                .environment(Map.of("BOLLARD_AUTH_OIDC_PROVIDERS_0_CLIENT_SECRET", "kc-secret")).load().auth().oidc();
        assertThat(oidc.providers()).hasSize(2);
        BollardConfig.OidcProvider kc = oidc.providers().get(0);
        assertThat(kc.id()).isEqualTo("keycloak");
        assertThat(kc.displayName()).isEqualTo("Company SSO");
        assertThat(kc.clientSecret()).isEqualTo("kc-secret");
        assertThat(kc.scopes()).containsExactly("openid", "profile", "email", "groups");
        assertThat(kc.usernameClaim()).isEqualTo("preferred_username");
        assertThat(kc.adminGroup()).isEqualTo("registry-admins");
        assertThat(kc.toString()).doesNotContain("kc-secret");
        assertThat(oidc.providers().get(1).displayName()).isEqualTo("gitlab");
        assertThat(oidc.providers().get(1).clientSecret()).isEmpty();
        assertThat(oidc.workloadIssuers()).containsExactly("https://token.actions.githubusercontent.com",
                "http://127.0.0.1:8080/realms/ci");
    }

    @Test
    void badProvidersAreRefusedWithTheirKeys() {
        assertThatThrownBy(() -> ConfigLoader.builder()
                .set("auth.oidc.providers[0].id", "Key Cloak")
                .set("auth.oidc.providers[0].issuer", "http://sso.example.org/realms/x")
                .set("auth.oidc.providers[2].issuer", "https://other.example.org").load())
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("auth.oidc.providers[0].id (from command line) must be 1 to 32 of a-z")
                .hasMessageContaining("auth.oidc.providers[0].issuer (from command line) must be an https:// URL")
                .hasMessageContaining("auth.oidc.providers[0].client-id must not be empty")
                .hasMessageContaining("numbered from 0 without gaps");
        assertThatThrownBy(() -> ConfigLoader.builder().set("auth.oidc.providers[0].isuer", "x").load())
                .isInstanceOf(ConfigException.class).hasMessageContaining("unknown configuration key");
    }

    @Test
    void noProvidersByDefault() {
        assertThat(ConfigLoader.builder().load().auth().oidc().providers()).isEqualTo(List.of());
    }
}
