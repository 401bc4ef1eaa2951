package dev.bollard.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class ConfigLoaderTest {

    @TempDir
    Path tmp;

    Path yaml(String text) throws IOException {
        Path file = tmp.resolve("bollard-" + System.nanoTime() + ".yaml");
        Files.writeString(file, text, StandardCharsets.UTF_8);
        return file;
    }

    static BollardConfig with(String key, String value) {
        return ConfigLoader.builder().set(key, value).load();
    }

    static AbstractThrowableAssert<?, ? extends Throwable> invalid(String key, String value) {
        return assertThatThrownBy(() -> with(key, value))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("invalid configuration:")
                .hasMessageContaining(key);
    }

    @Nested
    class Defaults {
        @Test
        void embeddedDefaults() {
            BollardConfig c = ConfigLoader.builder().load();
            Path dataDir = Path.of("./data").toAbsolutePath().normalize();
            assertThat(c.dataDir()).isEqualTo(dataDir).isAbsolute();
            assertThat(c.server().host()).isEqualTo("127.0.0.1");
            assertThat(c.server().port()).isEqualTo(5000);
            assertThat(c.server().isLoopback()).isTrue();
            assertThat(c.storage().type()).isEqualTo("filesystem");
            assertThat(c.storage().path()).isEqualTo(dataDir.resolve("blobs"));
            assertThat(c.database().url()).isEqualTo("jdbc:h2:file:" + dataDir.resolve("db").resolve("bollard"));
            assertThat(c.database().username()).isEmpty();
            assertThat(c.database().password()).isEmpty();
            assertThat(c.database().maxPoolSize()).isEqualTo(16);
            assertThat(c.uploads().stagingPath()).isEqualTo(dataDir.resolve("uploads"));
            assertThat(c.uploads().expiry()).isEqualTo(Duration.ofHours(24));
            assertThat(c.uploads().cleanupInterval()).isEqualTo(Duration.ofMinutes(10));
            assertThat(c.registry().deleteEnabled()).isTrue();
            assertThat(c.registry().maxManifestBytes()).isEqualTo(4 * 1024 * 1024);
        }

        @Test
        void derivedPathsFollowDataDir() {
            Path dir = tmp.resolve("d");
            BollardConfig c = with("data-dir", dir.toString());
            assertThat(c.dataDir()).isEqualTo(dir.toAbsolutePath());
            assertThat(c.storage().path()).isEqualTo(dir.resolve("blobs"));
            assertThat(c.uploads().stagingPath()).isEqualTo(dir.resolve("uploads"));
            assertThat(c.database().url()).isEqualTo("jdbc:h2:file:" + dir.resolve("db").resolve("bollard"));
        }

        @Test
        void relativePathsAreMadeAbsoluteAndNormalized() {
            BollardConfig c = ConfigLoader.builder()
                    .set("data-dir", "x/../y")
                    .set("storage.path", "blobs/./b")
                    .set("uploads.path", "up")
                    .load();
            Path cwd = Path.of("").toAbsolutePath();
            assertThat(c.dataDir()).isEqualTo(cwd.resolve("y"));
            assertThat(c.storage().path()).isEqualTo(cwd.resolve("blobs").resolve("b"));
            assertThat(c.uploads().stagingPath()).isEqualTo(cwd.resolve("up"));
        }

        @Test
        void explicitPathsOverrideDerivedOnes() {
            Path blobs = tmp.resolve("elsewhere/blobs");
            BollardConfig c = ConfigLoader.builder().set("data-dir", tmp.toString())
                    .set("storage.path", blobs.toString()).load();
            assertThat(c.storage().path()).isEqualTo(blobs);
            assertThat(c.uploads().stagingPath()).isEqualTo(tmp.resolve("uploads"));
        }

        @Test
        void everyKeyHasADescriptionAndEveryDefaultLoads() {
            assertThat(ConfigLoader.KEYS).containsKeys("data-dir", "server.listen", "storage.type", "storage.path",
                    "database.url", "database.username", "database.password", "database.max-pool-size",
                    "uploads.path", "uploads.expiry", "uploads.cleanup-interval", "registry.delete-enabled",
                    "registry.max-manifest-bytes");
            ConfigLoader.KEYS.forEach((key, meta) -> {
                assertThat(meta).hasSize(2);
                assertThat(meta[1]).as(key).isNotBlank();
                // setting each key to its own default changes nothing
                if (!meta[0].isEmpty()) {
                    assertThat(with(key, meta[0])).as(key).isEqualTo(ConfigLoader.builder().load());
                }
            });
        }

        @Test
        void keysCannotBeModified() {
            assertThatThrownBy(() -> ConfigLoader.KEYS.put("x", new String[] {"", ""}))
                    .isInstanceOf(UnsupportedOperationException.class);
        }

        @Test
        void bollardConfigDefaultsHelper() {
            BollardConfig c = BollardConfig.defaults(tmp, "127.0.0.1", 0);
            assertThat(c.dataDir()).isEqualTo(tmp.toAbsolutePath().normalize());
            assertThat(c.server().host()).isEqualTo("127.0.0.1");
            assertThat(c.server().port()).isZero();
            assertThat(c.storage().path()).isEqualTo(tmp.resolve("blobs"));
        }
    }

    @Nested
    class File {
        @Test
        void nestedKeys() throws IOException {
            Path file = yaml("""
                    data-dir: /srv/bollard
                    server:
                      listen: "0.0.0.0:8080"
                      allow-plain-http: true
                    storage:
                      type: filesystem
                      path: /mnt/blobs
                    database:
                      url: "jdbc:postgresql://db.example.com:5432/bollard"
                      username: bollard
                      password: "s3cret: with colon"
                      max-pool-size: 32
                    uploads:
                      path: /tmp/uploads
                      expiry: 2h
                      cleanup-interval: 90s
                    registry:
                      delete-enabled: false
                      max-manifest-bytes: 1048576
                    """);
            BollardConfig c = ConfigLoader.builder().file(file).load();
            assertThat(c.dataDir()).isEqualTo(Path.of("/srv/bollard"));
            assertThat(c.server().host()).isEqualTo("0.0.0.0");
            assertThat(c.server().port()).isEqualTo(8080);
            assertThat(c.server().isLoopback()).isFalse();
            assertThat(c.server().allowPlainHttp()).isTrue();
            assertThat(c.storage().path()).isEqualTo(Path.of("/mnt/blobs"));
            assertThat(c.database().url()).isEqualTo("jdbc:postgresql://db.example.com:5432/bollard");
            assertThat(c.database().username()).isEqualTo("bollard");
            assertThat(c.database().password()).isEqualTo("s3cret: with colon");
            assertThat(c.database().maxPoolSize()).isEqualTo(32);
            assertThat(c.uploads().stagingPath()).isEqualTo(Path.of("/tmp/uploads"));
            assertThat(c.uploads().expiry()).isEqualTo(Duration.ofHours(2));
            assertThat(c.uploads().cleanupInterval()).isEqualTo(Duration.ofSeconds(90));
            assertThat(c.registry().deleteEnabled()).isFalse();
            assertThat(c.registry().maxManifestBytes()).isEqualTo(1048576);
        }

        @Test
        void dottedKeysAtTopLevelAreTheSameKeys() throws IOException {
            Path file = yaml("""
                    server.listen: "127.0.0.1:6000"
                    registry.delete-enabled: false
                    """);
            BollardConfig c = ConfigLoader.builder().file(file).load();
            assertThat(c.server().port()).isEqualTo(6000);
            assertThat(c.registry().deleteEnabled()).isFalse();
        }

        @Test
        void unquotedHostPort() throws IOException {
            BollardConfig c = ConfigLoader.builder().file(yaml("server:\n  listen: 0.0.0.0:5001\n  allow-plain-http: true\n")).load();
            assertThat(c.server().host()).isEqualTo("0.0.0.0");
            assertThat(c.server().port()).isEqualTo(5001);
        }

        @Test
        void quotedIpv6Listen() throws IOException {
            BollardConfig c = ConfigLoader.builder().file(yaml("server:\n  listen: \"[::1]:5000\"\n")).load();
            assertThat(c.server().host()).isEqualTo("::1");
            assertThat(c.server().port()).isEqualTo(5000);
        }

        @Test
        void emptyFileAndCommentsOnlyGiveDefaults() throws IOException {
            BollardConfig defaults = ConfigLoader.builder().load();
            assertThat(ConfigLoader.builder().file(yaml("")).load()).isEqualTo(defaults);
            assertThat(ConfigLoader.builder().file(yaml("# nothing here\n\n# at all\n")).load()).isEqualTo(defaults);
            assertThat(ConfigLoader.builder().file(yaml("---\n")).load()).isEqualTo(defaults);
        }

        @Test
        void nullValueMeansDefault() throws IOException {
            Path file = yaml("""
                    storage:
                      path: ~
                    database:
                      url:
                    """);
            BollardConfig c = ConfigLoader.builder().file(file).load();
            assertThat(c.storage().path()).isEqualTo(c.dataDir().resolve("blobs"));
            assertThat(c.database().url()).startsWith("jdbc:h2:file:");
        }

        @Test
        void sectionWithEveryEntryCommentedOutIsEmptyNotUnknown() throws IOException {
            Path file = yaml("""
                    server:
                      listen: "127.0.0.1:7000"
                    database:
                    #  url: jdbc:postgresql://db/bollard
                    #  username: bollard
                    uploads: ~
                    """);
            BollardConfig c = ConfigLoader.builder().file(file).load();
            assertThat(c.server().port()).isEqualTo(7000);
            assertThat(c.database().url()).startsWith("jdbc:h2:file:");
        }

        @Test
        void emptyMappingSectionIsFine() throws IOException {
            assertThat(ConfigLoader.builder().file(yaml("registry: {}\n")).load())
                    .isEqualTo(ConfigLoader.builder().load());
        }

        @Test
        void nullForANameThatIsNeitherKeyNorSectionIsStillUnknown() throws IOException {
            Path file = yaml("serverr:\n");
            assertThatThrownBy(() -> ConfigLoader.builder().file(file).load())
                    .isInstanceOf(ConfigException.class)
                    .hasMessageContaining("unknown configuration key 'serverr'");
        }

        @Test
        void unknownTopLevelKeyIsRejectedNamingKeyAndFile() throws IOException {
            Path file = yaml("datadir: /srv\n");
            assertThatThrownBy(() -> ConfigLoader.builder().file(file).load())
                    .isInstanceOf(ConfigException.class)
                    .hasMessageContaining("unknown configuration key 'datadir'")
                    .hasMessageContaining(file.toString())
                    .hasMessageContaining("(did you mean data-dir?)");
        }

        @Test
        void unknownNestedKeyIsRejectedWithItsFullName() throws IOException {
            Path file = yaml("server:\n  port: 5000\n");
            assertThatThrownBy(() -> ConfigLoader.builder().file(file).load())
                    .isInstanceOf(ConfigException.class)
                    .hasMessageContaining("unknown configuration key 'server.port' (the keys under server are server.listen");
        }

        @Test
        void misspelledNestedKeyIsRejected() throws IOException {
            Path file = yaml("uploads:\n  cleanup_interval: 5m\n");
            assertThatThrownBy(() -> ConfigLoader.builder().file(file).load())
                    .isInstanceOf(ConfigException.class)
                    .hasMessageContaining("'uploads.cleanup_interval' (did you mean uploads.cleanup-interval?)");
        }

        @Test
        void keyThatIsASectionNameWithAValueIsRejected() throws IOException {
            Path file = yaml("server: 127.0.0.1:5000\n");
            assertThatThrownBy(() -> ConfigLoader.builder().file(file).load())
                    .isInstanceOf(ConfigException.class)
                    .hasMessageContaining("'server'");
        }

        @Test
        void listValueIsRejected() throws IOException {
            Path file = yaml("server:\n  listen:\n    - 127.0.0.1:5000\n    - 127.0.0.1:5001\n");
            assertThatThrownBy(() -> ConfigLoader.builder().file(file).load())
                    .isInstanceOf(ConfigException.class)
                    .hasMessageContaining("server.listen must be a single value");
        }

        @Test
        void rootThatIsNotAMapping() throws IOException {
            Path file = yaml("- a\n- b\n");
            assertThatThrownBy(() -> ConfigLoader.builder().file(file))
                    .isInstanceOf(ConfigException.class)
                    .hasMessageContaining("must be a YAML mapping");
            Path scalar = yaml("just text\n");
            assertThatThrownBy(() -> ConfigLoader.builder().file(scalar))
                    .isInstanceOf(ConfigException.class)
                    .hasMessageContaining("must be a YAML mapping");
        }

        @Test
        void missingFile() {
            Path file = tmp.resolve("nope.yaml");
            assertThatThrownBy(() -> ConfigLoader.builder().file(file))
                    .isInstanceOf(ConfigException.class)
                    .hasMessage("the configuration file " + file + " does not exist");
        }

        @Test
        void malformedYaml() throws IOException {
            Path file = yaml("server:\n  listen: \"unterminated\n");
            assertThatThrownBy(() -> ConfigLoader.builder().file(file))
                    .isInstanceOf(ConfigException.class)
                    .hasMessageContaining(file.toString());
            Path tabs = yaml("server:\n\tlisten: x\n");
            assertThatThrownBy(() -> ConfigLoader.builder().file(tabs)).isInstanceOf(ConfigException.class);
        }

        @Test
        void invalidValueInAFileNamesTheFile() throws IOException {
            Path file = yaml("uploads:\n  expiry: forever\n");
            assertThatThrownBy(() -> ConfigLoader.builder().file(file).load())
                    .isInstanceOf(ConfigException.class)
                    .hasMessageContaining("uploads.expiry (from " + file + ")")
                    .hasMessageContaining("'forever'");
        }

        @Test
        void laterFileOverridesEarlierFile() throws IOException {
            Path base = yaml("server:\n  listen: \"127.0.0.1:1111\"\nregistry:\n  delete-enabled: false\n");
            Path override = yaml("server:\n  listen: \"127.0.0.1:2222\"\n");
            BollardConfig c = ConfigLoader.builder().file(base).file(override).load();
            assertThat(c.server().port()).isEqualTo(2222);
            assertThat(c.registry().deleteEnabled()).isFalse();
        }
    }

    @Nested
    class Environment {
        @ParameterizedTest
        @CsvSource({
                "data-dir, BOLLARD_DATA_DIR",
                "server.listen, BOLLARD_SERVER_LISTEN",
                "storage.path, BOLLARD_STORAGE_PATH",
                "database.max-pool-size, BOLLARD_DATABASE_MAX_POOL_SIZE",
                "uploads.cleanup-interval, BOLLARD_UPLOADS_CLEANUP_INTERVAL",
                "registry.max-manifest-bytes, BOLLARD_REGISTRY_MAX_MANIFEST_BYTES",
        })
        void environmentNames(String key, String variable) {
            assertThat(ConfigLoader.environmentName(key)).isEqualTo(variable);
        }

        @Test
        void everyKeyHasADistinctVariable() {
            assertThat(ConfigLoader.KEYS.keySet().stream().map(ConfigLoader::environmentName))
                    .doesNotHaveDuplicates()
                    .allMatch(v -> v.matches("BOLLARD_[A-Z0-9_]+"));
        }

        @Test
        void variablesOverrideDefaults() {
            BollardConfig c = ConfigLoader.builder().environment(Map.of(
                    "BOLLARD_SERVER_LISTEN", "0.0.0.0:9000",
                    "BOLLARD_SERVER_ALLOW_PLAIN_HTTP", "true",
                    "BOLLARD_DATA_DIR", tmp.toString(),
                    "BOLLARD_DATABASE_MAX_POOL_SIZE", "4",
                    "BOLLARD_DATABASE_PASSWORD", "pw",
                    "BOLLARD_UPLOADS_EXPIRY", "7d",
                    "BOLLARD_REGISTRY_DELETE_ENABLED", "false")).load();
            assertThat(c.server().host()).isEqualTo("0.0.0.0");
            assertThat(c.server().port()).isEqualTo(9000);
            assertThat(c.dataDir()).isEqualTo(tmp.toAbsolutePath());
            assertThat(c.database().maxPoolSize()).isEqualTo(4);
            assertThat(c.database().password()).isEqualTo("pw");
            assertThat(c.uploads().expiry()).isEqualTo(Duration.ofDays(7));
            assertThat(c.registry().deleteEnabled()).isFalse();
        }

        @Test
        void unrelatedVariablesAreIgnored() {
            BollardConfig c = ConfigLoader.builder().environment(Map.of(
                    "PATH", "/usr/bin", "HOME", "/root", "BOLLARD_HOME", "/opt/bollard", "bollard_server_listen",
                    "0.0.0.0:1")).load();
            assertThat(c).isEqualTo(ConfigLoader.builder().load());
        }

        @Test
        void invalidValueNamesTheVariable() {
            assertThatThrownBy(() -> ConfigLoader.builder()
                    .environment(Map.of("BOLLARD_SERVER_LISTEN", "127.0.0.1:99999")).load())
                    .isInstanceOf(ConfigException.class)
                    .hasMessageContaining("server.listen (from environment BOLLARD_SERVER_LISTEN)")
                    .hasMessageContaining("between 0 and 65535")
                    .hasMessageContaining("99999");
        }

        @Test
        void emptyVariableMeansEmptyValue() {
            assertThat(ConfigLoader.builder().environment(Map.of("BOLLARD_STORAGE_PATH", "")).load()
                    .storage().path()).isEqualTo(Path.of("./data/blobs").toAbsolutePath().normalize());
            assertThatThrownBy(() -> ConfigLoader.builder().environment(Map.of("BOLLARD_SERVER_LISTEN", " ")).load())
                    .isInstanceOf(ConfigException.class)
                    .hasMessageContaining("server.listen (from environment BOLLARD_SERVER_LISTEN) must not be empty");
        }
    }

    @Nested
    class Set {
        @Test
        void setOverridesDefault() {
            assertThat(with("server.listen", "localhost:5555").server().port()).isEqualTo(5555);
        }

        @Test
        void unknownKeyIsRejectedNamingTheKeyAndTheKnownOnes() {
            assertThatThrownBy(() -> ConfigLoader.builder().set("server.port", "5000").load())
                    .isInstanceOf(ConfigException.class)
                    .hasMessageStartingWith("invalid configuration:\n  command line: unknown configuration key "
                            + "'server.port' (the keys under server are server.listen");
        }

        @ParameterizedTest
        @ValueSource(strings = {"", "server", "SERVER.LISTEN", "server.listen ", "data_dir", "database.max_pool_size"})
        void keysAreExact(String key) {
            assertThatThrownBy(() -> ConfigLoader.builder().set(key, "x").load())
                    .isInstanceOf(ConfigException.class)
                    .hasMessageContaining("'" + key + "'");
        }

        @Test
        void laterSetWins() {
            assertThat(ConfigLoader.builder().set("server.listen", "127.0.0.1:1").set("server.listen", "127.0.0.1:2")
                    .load().server().port()).isEqualTo(2);
        }

        @Test
        void invalidValueNamesTheCommandLine() {
            invalid("registry.delete-enabled", "maybe")
                    .hasMessageContaining("registry.delete-enabled (from command line) must be true or false, not 'maybe'");
        }
    }

    @Nested
    class Precedence {
        @Test
        void fileThenEnvironmentThenSet() throws IOException {
            Path file = yaml("""
                    server:
                      listen: "127.0.0.1:1001"
                    uploads:
                      expiry: 1h
                      cleanup-interval: 1m
                    registry:
                      max-manifest-bytes: 2048
                    """);
            BollardConfig c = ConfigLoader.builder()
                    .file(file)
                    .environment(Map.of("BOLLARD_SERVER_LISTEN", "127.0.0.1:1002",
                            "BOLLARD_UPLOADS_EXPIRY", "2h"))
                    .set("server.listen", "127.0.0.1:1003")
                    .load();
            assertThat(c.server().port()).as("set beats environment and file").isEqualTo(1003);
            assertThat(c.uploads().expiry()).as("environment beats file").isEqualTo(Duration.ofHours(2));
            assertThat(c.uploads().cleanupInterval()).as("file beats default").isEqualTo(Duration.ofMinutes(1));
            assertThat(c.registry().maxManifestBytes()).isEqualTo(2048);
            assertThat(c.registry().deleteEnabled()).as("default").isTrue();
        }

        @Test
        void sourceOfAnInvalidValueIsTheOneThatWon() throws IOException {
            Path file = yaml("uploads:\n  expiry: 1h\n");
            assertThatThrownBy(() -> ConfigLoader.builder().file(file)
                    .environment(Map.of("BOLLARD_UPLOADS_EXPIRY", "bad")).load())
                    .hasMessageContaining("uploads.expiry (from environment BOLLARD_UPLOADS_EXPIRY)");
            assertThatThrownBy(() -> ConfigLoader.builder().file(file)
                    .environment(Map.of("BOLLARD_UPLOADS_EXPIRY", "bad")).set("uploads.expiry", "worse").load())
                    .hasMessageContaining("uploads.expiry (from command line)")
                    .hasMessageContaining("'worse'");
        }

        @Test
        void overridingAnInvalidValueWithAValidOneIsFine() {
            BollardConfig c = ConfigLoader.builder().environment(Map.of("BOLLARD_UPLOADS_EXPIRY", "bad"))
                    .set("uploads.expiry", "3h").load();
            assertThat(c.uploads().expiry()).isEqualTo(Duration.ofHours(3));
        }
    }

    @Nested
    class Listen {
        @ParameterizedTest
        @CsvSource({
                "127.0.0.1:5000, 127.0.0.1, 5000",
                "0.0.0.0:80, 0.0.0.0, 80",
                "localhost:0, localhost, 0",
                "registry.example.com:65535, registry.example.com, 65535",
                "[::1]:5000, ::1, 5000",
                "[::]:5000, ::, 5000",
                "[fe80::1%eth0]:443, fe80::1%eth0, 443",
                "'  127.0.0.1:5000  ', 127.0.0.1, 5000",
        })
        void valid(String listen, String host, int port) {
            BollardConfig.Server s = ConfigLoader.builder().set("server.listen", listen)
                    .set("server.allow-plain-http", "true").load().server();
            assertThat(s.host()).isEqualTo(host);
            assertThat(s.port()).isEqualTo(port);
        }

        @ParameterizedTest
        @ValueSource(strings = {"127.0.0.1:65536", "127.0.0.1:-1", "127.0.0.1:100000", "[::1]:70000"})
        void portOutOfRange(String listen) {
            invalid("server.listen", listen).hasMessageContaining("between 0 and 65535");
        }

        @ParameterizedTest
        @ValueSource(strings = {"127.0.0.1:http", "127.0.0.1:", "127.0.0.1:50 00", "127.0.0.1:5000.0"})
        void portNotANumber(String listen) {
            invalid("server.listen", listen).hasMessageContaining("whole number");
        }

        @ParameterizedTest
        @ValueSource(strings = {"127.0.0.1", "localhost", ":5000", "5000"})
        void notHostPort(String listen) {
            invalid("server.listen", listen).hasMessageContaining("host:port");
        }

        @ParameterizedTest
        @ValueSource(strings = {"::1", "::1:5000", "fe80::1:443", "[::1]", "[::1]5000", "[::1:5000", "[]:5000"})
        void ipv6WithoutBracketsOrMalformedBracketsIsRejected(String listen) {
            // "::1" would otherwise be read as host "::" (every interface) and port 1.
            invalid("server.listen", listen).hasMessageContaining("[::1]:5000");
        }

        @Test
        void bollardConfigDefaultsWithAnIpv6Host() {
            BollardConfig c = BollardConfig.defaults(tmp, "::1", 5000);
            assertThat(c.server().host()).isEqualTo("::1");
            assertThat(c.server().port()).isEqualTo(5000);
            assertThat(c.server().isLoopback()).isTrue();
            assertThat(BollardConfig.defaults(tmp, "[::1]", 0).server().host()).isEqualTo("::1");
            assertThatThrownBy(() -> BollardConfig.defaults(tmp, "::", 0)).isInstanceOf(ConfigException.class)
                    .hasMessageContaining("[::]:0 is not a loopback address");
        }

        @Test
        void malformedListenIsEchoedInTheMessage() {
            invalid("server.listen", "::1").hasMessageContaining("not '::1'");
        }

        @ParameterizedTest
        @CsvSource({"localhost, true", "127.0.0.1, true", "127.1.2.3, true", "::1, true", "[::1], true",
                "0.0.0.0, false", "::, false", "192.168.1.10, false", "example.com, false", "localhost.example.com, false"})
        void isLoopback(String host, boolean loopback) {
            assertThat(new BollardConfig.Server(host, 5000, Duration.ofMinutes(1)).isLoopback()).isEqualTo(loopback);
        }
    }

    @Nested
    class Tls {
        @ParameterizedTest
        @ValueSource(strings = {"0.0.0.0:5000", "[::]:5000", "192.168.1.10:443", "registry.example.com:5000"})
        void plainHttpOffLoopbackIsRefusedNamingTheSettings(String listen) {
            invalid("server.listen", listen).hasMessageContaining(listen + " is not a loopback address")
                    .hasMessageContaining("server.tls.certificate and server.tls.private-key")
                    .hasMessageContaining("server.allow-plain-http: true");
        }

        @Test
        void tlsOrTheOptionAllowsANonLoopbackAddress() throws IOException {
            Path certificate = Files.writeString(tmp.resolve("tls.crt"), "");
            Path key = Files.writeString(tmp.resolve("tls.key"), "");
            BollardConfig c = ConfigLoader.builder().set("server.listen", "0.0.0.0:443")
                    .set("server.tls.certificate", certificate.toString())
                    .set("server.tls.private-key", key.toString()).load();
            assertThat(c.server().tls().enabled()).isTrue();
            assertThat(c.server().tls().files()).containsExactly(certificate, key);
            assertThat(c.server().tls().hstsMaxAge()).isEqualTo(Duration.ofDays(365));
            assertThat(c.server().tls().reloadInterval()).isEqualTo(Duration.ofSeconds(10));
            assertThat(ConfigLoader.builder().set("server.listen", "0.0.0.0:5000")
                    .set("server.allow-plain-http", "true").load().server().tls().enabled()).isFalse();
        }

        @Test
        void pemAndPkcs12AreOneOrTheOther() throws IOException {
            Path file = Files.writeString(tmp.resolve("any"), "");
            assertThatThrownBy(() -> ConfigLoader.builder().set("server.tls.certificate", file.toString()).load())
                    .hasMessageContaining("server.tls.certificate and server.tls.private-key must be set together");
            assertThatThrownBy(() -> ConfigLoader.builder().set("server.tls.certificate", file.toString())
                    .set("server.tls.private-key", file.toString()).set("server.tls.pkcs12", file.toString()).load())
                    .hasMessageContaining("set one of them");
            assertThatThrownBy(() -> ConfigLoader.builder().set("server.tls.pkcs12-password", "x").load())
                    .hasMessageContaining("server.tls.pkcs12 is not");
            assertThatThrownBy(() -> ConfigLoader.builder().set("server.tls.pkcs12", tmp.resolve("absent.p12")
                    .toString()).load()).hasMessageContaining("absent.p12 does not exist");
        }

        @Test
        void thePkcs12PasswordIsNeverPrinted() throws IOException {
            Path p12 = Files.writeString(tmp.resolve("server.p12"), "");
            BollardConfig c = ConfigLoader.builder().set("server.tls.pkcs12", p12.toString())
                    .set("server.tls.pkcs12-password", "p12-s3cret").load();
            assertThat(c.server().tls().pkcs12Password()).isEqualTo("p12-s3cret");
            assertThat(c.toString()).doesNotContain("p12-s3cret");
        }

        @Test
        void hstsMaxAgeZeroMeansNoHeader() {
            assertThat(with("server.tls.hsts-max-age", "0s").server().tls().hstsMaxAge()).isZero();
            invalid("server.tls.hsts-max-age", "forever").hasMessageContaining("0s for no HSTS header");
        }
    }

    @Nested
    class Durations {
        @ParameterizedTest
        @CsvSource({
                "500ms, PT0.5S",
                "1ms, PT0.001S",
                "90s, PT1M30S",
                "10m, PT10M",
                "24h, PT24H",
                "7d, PT168H",
                "1d, PT24H",
                "' 15m ', PT15M",
                "3600s, PT1H",
        })
        void valid(String text, String iso) {
            assertThat(with("uploads.expiry", text).uploads().expiry()).isEqualTo(Duration.parse(iso));
            assertThat(with("uploads.cleanup-interval", text).uploads().cleanupInterval()).isEqualTo(Duration.parse(iso));
        }

        @ParameterizedTest
        @ValueSource(strings = {"0s", "0ms", "00h", "10", "1.5h", "-5m", "+5m", "1h30m", "10M", "10H", "10 m", "5w",
                "PT10M", "ten minutes", "ms", "h", "10sec", "10mins"})
        void invalid(String text) {
            ConfigLoaderTest.invalid("uploads.expiry", text)
                    .hasMessageContaining("positive duration")
                    .hasMessageContaining("'" + text.trim() + "'");
        }

        @Test
        void empty() {
            ConfigLoaderTest.invalid("uploads.cleanup-interval", "").hasMessageContaining("positive duration");
        }

        @ParameterizedTest
        @ValueSource(strings = {"99999999999999999999s", "9223372036854775807d", "106751991167301d",
                "9223372036854775807h", "999999999999999999999999999999ms"})
        void absurdlyLargeDurationsAreReportedNotThrown(String text) {
            ConfigLoaderTest.invalid("uploads.expiry", text).hasMessageContaining("too long")
                    .hasMessageContaining("'" + text + "'");
        }

        /**
         * These three were read after the check that reports every problem, so a wrong value was taken silently as the
         * fallback (found by ConfigLoaderPropertiesTest).
         */
        @ParameterizedTest
        @CsvSource({"server.request-warning-after, abc", "registry.pull-stats-flush-interval, 10",
                "registry.max-open-uploads-per-repository, many", "registry.max-open-uploads-per-repository, 0"})
        void keysReadLastAreCheckedToo(String key, String value) {
            ConfigLoaderTest.invalid(key, value);
        }

        /** Path.of refused a NUL with its own exception instead of the configuration error. */
        @ParameterizedTest
        @ValueSource(strings = {"data-dir", "storage.path", "server.tls.certificate", "database.password"})
        void aNulIsAConfigurationError(String key) {
            ConfigLoaderTest.invalid(key, "a\u0000b").hasMessageContaining("NUL");
        }

        @Test
        void longDurationsAreAccepted() {
            assertThat(with("uploads.expiry", "36500d").uploads().expiry()).isEqualTo(Duration.ofDays(36500));
        }
    }

    @Nested
    class Values {
        @ParameterizedTest
        @CsvSource({"true, true", "false, false", "TRUE, true", "False, false", "' true ', true"})
        void booleans(String text, boolean value) {
            assertThat(with("registry.delete-enabled", text).registry().deleteEnabled()).isEqualTo(value);
        }

        @ParameterizedTest
        @ValueSource(strings = {"yes", "no", "1", "0", "on", "off", "t", "enabled", ""})
        void badBooleans(String text) {
            ConfigLoaderTest.invalid("registry.delete-enabled", text).hasMessageContaining("true or false");
        }

        @ParameterizedTest
        @ValueSource(strings = {"jdbc:h2:mem:test", "jdbc:h2:file:/var/lib/bollard/db",
                "jdbc:postgresql://localhost/bollard", "jdbc:postgresql://db:5432/bollard?sslmode=require"})
        void jdbcUrls(String url) {
            assertThat(with("database.url", url).database().url()).isEqualTo(url);
        }

        @ParameterizedTest
        @ValueSource(strings = {"postgresql://localhost/bollard", "jdbc:mysql://localhost/bollard", "h2:mem:x",
                "jdbc:sqlite:x.db", "jdbc:h2", "JDBC:H2:mem:x", "not a url"})
        void badJdbcUrls(String url) {
            ConfigLoaderTest.invalid("database.url", url).hasMessageContaining("jdbc:h2: or jdbc:postgresql:");
        }

        @ParameterizedTest
        @CsvSource({"1, true", "16, true", "1000, true", "0, false", "-1, false", "1001, false"})
        void poolSizeRange(String text, boolean ok) {
            if (ok) {
                assertThat(with("database.max-pool-size", text).database().maxPoolSize())
                        .isEqualTo(Integer.parseInt(text));
            } else {
                ConfigLoaderTest.invalid("database.max-pool-size", text).hasMessageContaining("between 1 and 1000");
            }
        }

        @ParameterizedTest
        @ValueSource(strings = {"sixteen", "16.0", "", "1e3", "99999999999999999999"})
        void poolSizeNotANumber(String text) {
            ConfigLoaderTest.invalid("database.max-pool-size", text).hasMessageContaining("whole number");
        }

        @ParameterizedTest
        @CsvSource({"1024, true", "67108864, true", "1023, false", "67108865, false", "0, false"})
        void maxManifestBytesRange(String text, boolean ok) {
            if (ok) {
                assertThat(with("registry.max-manifest-bytes", text).registry().maxManifestBytes())
                        .isEqualTo(Long.parseLong(text));
            } else {
                ConfigLoaderTest.invalid("registry.max-manifest-bytes", text)
                        .hasMessageContaining("between 1024 and 67108864");
            }
        }

        @Test
        void unsupportedStorageType() {
            ConfigLoaderTest.invalid("storage.type", "gcs").hasMessageContaining("'gcs' is not supported (filesystem, s3)");
        }

        @Test
        void s3NeedsABucketAndBothStaticKeysOrNeither() {
            ConfigLoaderTest.invalid("storage.type", "s3").hasMessageContaining("storage.s3.bucket")
                    .hasMessageContaining("must name the bucket");
            assertThatThrownBy(() -> ConfigLoader.builder().set("storage.type", "s3").set("storage.s3.bucket", "b")
                    .set("storage.s3.access-key", "AKIA").load())
                    .hasMessageContaining("storage.s3.access-key and storage.s3.secret-key must be set together");
            assertThatThrownBy(() -> ConfigLoader.builder().set("storage.type", "s3").set("storage.s3.bucket", "b")
                    .set("storage.s3.part-size", "1000").load())
                    .hasMessageContaining("storage.s3.part-size (from command line) must be between 5242880");
            assertThatThrownBy(() -> ConfigLoader.builder().set("storage.type", "s3").set("storage.s3.bucket", "b")
                    .set("storage.s3.endpoint", "minio:9000").load())
                    .hasMessageContaining("storage.s3.endpoint (from command line) must be an http:// or https:// URL");
        }

        @Test
        void s3SettingsAreIgnoredUnlessS3IsTheStore() {
            assertThat(ConfigLoader.builder().set("storage.s3.part-size", "1").load().storage().isS3()).isFalse();
        }

        @Test
        void s3Settings() {
            var s3 = ConfigLoader.builder().set("storage.type", "s3").set("storage.s3.bucket", "blobs")
                    .set("storage.s3.prefix", "bollard").set("storage.s3.endpoint", "http://127.0.0.1:9000")
                    .set("storage.s3.path-style", "true").set("storage.s3.access-key", "minio")
                    .set("storage.s3.secret-key", "very-secret").set("storage.s3.redirect", "true").load().storage().s3();
            assertThat(s3.bucket()).isEqualTo("blobs");
            assertThat(s3.prefix()).as("a prefix names a folder").isEqualTo("bollard/");
            assertThat(s3.pathStyle()).isTrue();
            assertThat(s3.redirect()).isTrue();
            assertThat(s3.redirectExpiry()).isEqualTo(java.time.Duration.ofMinutes(15));
            assertThat(s3.partSize()).isEqualTo(16L << 20);
            assertThat(s3.toString()).doesNotContain("very-secret");
        }

        @Test
        void emptyRequiredValues() {
            ConfigLoaderTest.invalid("data-dir", "  ").hasMessageContaining("data-dir (from command line) must not be empty");
            ConfigLoaderTest.invalid("storage.type", "").hasMessageContaining("must not be empty");
        }

        @Test
        void everyProblemIsReportedAtOnce() {
            assertThatThrownBy(() -> ConfigLoader.builder()
                    .set("server.listen", "127.0.0.1:70000")
                    .set("storage.type", "s3")
                    .set("database.url", "mysql://x")
                    .set("database.max-pool-size", "0")
                    .set("uploads.expiry", "forever")
                    .set("uploads.cleanup-interval", "1h30m")
                    .set("registry.delete-enabled", "yes")
                    .set("registry.max-manifest-bytes", "big")
                    .load())
                    .isInstanceOf(ConfigException.class)
                    .hasMessageStartingWith("invalid configuration:")
                    .hasMessageContaining("server.listen")
                    .hasMessageContaining("storage.type")
                    .hasMessageContaining("database.url")
                    .hasMessageContaining("database.max-pool-size")
                    .hasMessageContaining("uploads.expiry")
                    .hasMessageContaining("uploads.cleanup-interval")
                    .hasMessageContaining("registry.delete-enabled")
                    .hasMessageContaining("registry.max-manifest-bytes")
                    .satisfies(e -> assertThat(e.getMessage().lines().count()).isEqualTo(9));
        }
    }

    @Nested
    class Secrets {
        @Test
        void passwordIsNotInDatabaseToString() {
            BollardConfig c = ConfigLoader.builder()
                    .set("database.url", "jdbc:postgresql://db/bollard")
                    .set("database.username", "bollard")
                    .set("database.password", "hunter2-SECRET")
                    .load();
            assertThat(c.database().password()).isEqualTo("hunter2-SECRET");
            assertThat(c.database().toString())
                    .doesNotContain("hunter2-SECRET")
                    .contains("jdbc:postgresql://db/bollard")
                    .contains("bollard")
                    .contains("maxPoolSize=16");
            assertThat(c.toString()).doesNotContain("hunter2-SECRET");
        }

        @Test
        void keyEncryptionKeyIsNotInToString() {
            String key = java.util.Base64.getEncoder().encodeToString("0123456789abcdef0123456789ABCDEF".getBytes(
                    java.nio.charset.StandardCharsets.US_ASCII));
            BollardConfig c = with("auth.key-encryption-key", key);
            assertThat(c.auth().keyEncryption().key()).isEqualTo(key);
            assertThat(c.toString()).doesNotContain(key);
        }

        @Test
        void passwordIsKeptVerbatim() {
            assertThat(with("database.password", "  spaced  ").database().password()).isEqualTo("  spaced  ");
        }

        @Test
        void passwordIsNotEchoedInErrors() {
            assertThatThrownBy(() -> ConfigLoader.builder()
                    .set("database.password", "hunter2-SECRET")
                    .set("uploads.expiry", "never")
                    .load())
                    .isInstanceOf(ConfigException.class)
                    .satisfies(e -> assertThat(e.getMessage()).doesNotContain("hunter2-SECRET"));
        }
    }

    @Nested
    class FormatDuration {
        @Test
        void durationsArePrintedAsPeopleWriteThem() {
            assertThat(ConfigLoader.formatDuration(Duration.ofDays(30))).isEqualTo("30d");
            assertThat(ConfigLoader.formatDuration(Duration.ofDays(1))).isEqualTo("24h");
            assertThat(ConfigLoader.formatDuration(Duration.ofHours(36))).isEqualTo("36h");
            assertThat(ConfigLoader.formatDuration(Duration.ofMinutes(15))).isEqualTo("15m");
            assertThat(ConfigLoader.formatDuration(Duration.ofMinutes(90))).isEqualTo("90m");
            assertThat(ConfigLoader.formatDuration(Duration.ofSeconds(45))).isEqualTo("45s");
            assertThat(ConfigLoader.formatDuration(Duration.ofMillis(1500))).isEqualTo("1500ms");
            assertThat(ConfigLoader.formatDuration(Duration.ZERO)).isEqualTo("0s");
        }

        @Test
        void whatIsPrintedReadsBackAsTheSameDuration() {
            for (String text : new String[] {"30d", "24h", "7d", "15m", "90s", "250ms", "365d", "5m"}) {
                Duration d = ConfigLoader.parseDuration(text);
                assertThat(ConfigLoader.parseDuration(ConfigLoader.formatDuration(d))).isEqualTo(d);
            }
        }
    }
}
