package dev.bollard.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.bollard.testing.JsonArbitraries;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Pattern;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Properties of the configuration loader: any keys and values, from the command line, the environment or a YAML file
 * (any YAML a mapping of values can be), give a configuration or the one defined {@link ConfigException} listing the
 * problems, never another exception; every key with a duration or a number as its default refuses what is not one,
 * naming the key; durations print and read back unchanged ({@code 30d}, {@code 24h}, {@code 15m}).
 */
class ConfigLoaderPropertiesTest {
    private static final Pattern DURATION = Pattern.compile("\\d+(ms|s|m|h|d)");
    private static final Pattern NUMBER = Pattern.compile("\\d+(\\.\\d+)?");
    private static Path dir;

    @BeforeContainer
    static void makeDirectory() throws IOException {
        dir = Files.createTempDirectory("bollard-config-properties");
    }

    @AfterContainer
    static void removeDirectory() throws IOException {
        try (var files = Files.walk(dir)) {
            for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    /** Loads, and says whether it gave a configuration; anything thrown but a ConfigException fails the property. */
    private static boolean loads(ConfigLoader.Builder builder) {
        try {
            builder.load();
            return true;
        } catch (ConfigException e) {
            assertThat(e.getMessage()).isNotBlank();
            return false;
        }
    }

    // ---- any input: a configuration or the configuration error ----

    @Property(tries = 2000)
    void anyKeysAndValuesLoadOrAreAConfigurationError(@ForAll("settings") List<Map.Entry<String, String>> settings) {
        ConfigLoader.Builder b = ConfigLoader.builder();
        settings.forEach(e -> b.set(e.getKey(), e.getValue()));
        loads(b);
    }

    @Property(tries = 1000)
    void anyEnvironmentLoadsOrIsAConfigurationError(@ForAll("settings") List<Map.Entry<String, String>> settings) {
        Map<String, String> env = new java.util.HashMap<>();
        settings.forEach(e -> env.put(ConfigLoader.environmentName(e.getKey()), e.getValue()));
        loads(ConfigLoader.builder().environment(env));
    }

    /** YAML files of nested keys with any JSON value (JSON is YAML), and files that are not YAML at all. */
    @Property(tries = 500)
    void anyYamlFileLoadsOrIsAConfigurationError(@ForAll("yamlFiles") String text) throws IOException {
        Path file = Files.createTempFile(dir, "bollard", ".yaml");
        Files.writeString(file, text);
        try {
            ConfigLoader.Builder b;
            try {
                b = ConfigLoader.builder().file(file);
            } catch (ConfigException e) {
                assertThat(e.getMessage()).contains(file.toString());
                return;
            }
            loads(b);
        } finally {
            Files.delete(file);
        }
    }

    // ---- every typed key refuses what is not of its type, naming it ----

    /**
     * What switches a section on: the loader checks a section's keys only then (an S3 setting is not read, and not
     * refused, while storage.type is filesystem).
     */
    private static final Map<String, Map<String, String>> SWITCHED_ON = Map.of(
            "storage.s3.", Map.of("storage.type", "s3", "storage.s3.bucket", "b"),
            "auth.ldap.", Map.of("auth.ldap.enabled", "true", "auth.ldap.urls", "ldap://127.0.0.1:1",
                    "auth.ldap.user-base", "dc=example,dc=org"),
            "notifications.smtp.", Map.of("notifications.smtp.host", "127.0.0.1", "notifications.smtp.from", "r@example.org"),
            "auth.oidc.providers[0].", Map.of("auth.oidc.providers[0].id", "idp",
                    "auth.oidc.providers[0].issuer", "https://idp.example.org", "auth.oidc.providers[0].client-id", "c"),
            "tracing.", Map.of("tracing.enabled", "true"));

    /** {@code key} set to {@code value}, with its section switched on. */
    private static ConfigLoader.Builder withSectionOn(String key, String value) {
        ConfigLoader.Builder b = ConfigLoader.builder();
        SWITCHED_ON.forEach((prefix, settings) -> {
            if (key.startsWith(prefix)) {
                settings.forEach(b::set);
            }
        });
        return b.set(key, value);
    }

    @Property(tries = 300)
    void everyDurationKeyRefusesWhatIsNotADuration(@ForAll("durationKeys") String key, @ForAll("notDurations") String value) {
        assertThatThrownBy(() -> withSectionOn(key, value).load())
                .isInstanceOf(ConfigException.class).hasMessageContaining(key);
    }

    @Property(tries = 300)
    void everyNumberKeyRefusesWhatIsNotANumber(@ForAll("numberKeys") String key, @ForAll("notNumbers") String value) {
        assertThatThrownBy(() -> withSectionOn(key, value).load())
                .isInstanceOf(ConfigException.class).hasMessageContaining(key);
    }

    // ---- durations ----

    @Property
    void durationsPrintAndReadBackUnchanged(@ForAll @LongRange(min = 0, max = 100L * 365 * 86_400_000) long millis) {
        Duration d = Duration.ofMillis(millis);
        String text = ConfigLoader.formatDuration(d);
        assertThat(ConfigLoader.parseDuration(text)).isEqualTo(d);
        assertThat(text).matches(DURATION);
    }

    @Property
    void writtenDurationsReadAndPrintInTheLargestUnit(@ForAll @LongRange(min = 1, max = 100_000) long n,
                                                      @ForAll("units") String unit) {
        Duration d = ConfigLoader.parseDuration(n + unit);
        assertThat(ConfigLoader.parseDuration(ConfigLoader.formatDuration(d))).isEqualTo(d);
        assertThat(ConfigLoader.parseDuration(" " + n + unit + " ")).as("surrounding blanks").isEqualTo(d);
        String printed = ConfigLoader.formatDuration(d);
        if (!d.equals(Duration.ofDays(1))) { // one day prints as the defaults write it, 24h
            assertThat(printed.length()).as("%s%s printed as %s", n, unit, printed)
                    .isLessThanOrEqualTo((n + unit).length());
        }
    }

    @Property(tries = 200)
    void aDurationKeyLoadsWhatItPrints(@ForAll("loadedDurations") Map.Entry<String, Function<BollardConfig, Duration>> key,
                                       @ForAll @LongRange(min = 1, max = 999L * 86_400) long seconds) {
        Duration d = Duration.ofSeconds(seconds);
        BollardConfig c = ConfigLoader.builder().set(key.getKey(), ConfigLoader.formatDuration(d)).load();
        assertThat(key.getValue().apply(c)).isEqualTo(d);
    }

    @Property(tries = 10)
    void theUsualDurationsStayAsWritten(@ForAll("usual") String text) {
        assertThat(ConfigLoader.formatDuration(ConfigLoader.parseDuration(text))).isEqualTo(text);
    }

    // ---- generators ----

    /** The known keys (a provider's with N = 0..2) and, less often, unknown ones. */
    @Provide
    Arbitrary<String> keys() {
        List<String> known = ConfigLoader.KEYS.keySet().stream().toList();
        Arbitrary<String> provider = Combinators.combine(Arbitraries.integers().between(0, 2),
                        Arbitraries.of(known.stream().filter(k -> k.startsWith(ConfigLoader.PROVIDER)).toList()))
                .as((i, k) -> k.replace("[N]", "[" + i + "]"));
        return Arbitraries.frequencyOf(
                Tuple.of(8, Arbitraries.of(known.stream().filter(k -> !k.startsWith(ConfigLoader.PROVIDER)).toList())),
                Tuple.of(2, provider),
                Tuple.of(1, Arbitraries.of("auth.oidc.providers[99].id", "auth.oidc.providers[x].id", "server",
                        "server.", ".", "", "SERVER.LISTEN", "server.listen.port", "auth.oidc.providers[0]")),
                Tuple.of(1, JsonArbitraries.strings()));
    }

    /** Values of every type a key takes, near misses of them, and any string. */
    @Provide
    Arbitrary<String> values() {
        return Arbitraries.frequencyOf(
                Tuple.of(3, JsonArbitraries.strings()),
                Tuple.of(2, Arbitraries.of("", " ", "0", "-1", "1", "true", "false", "TRUE", "yes", "30d", "24h",
                        "15m", "500ms", "0s", "1.5h", "10 m", "-5m", "99999999999999999999d", "9223372036854775807ms",
                        "106751991167300d", "2147483648", "5242880", "5368709120", "1e3", "0.5", "NaN", "Infinity",
                        "127.0.0.1:0", "[::1]:0", "0.0.0.0:5000", ":", "host:99999", "http://127.0.0.1:1/x", "file:///",
                        "jdbc:h2:mem:x", "jdbc:postgresql://", "s3", "json", "need", "a\u0000b", "/dev/null",
                        "/nonexistent/file", "{summary} {nope}", "{", "%s", "(uid={0})", "openid,,")),
                Tuple.of(2, Combinators.combine(Arbitraries.longs().between(-5, 1_000_000_000_000L),
                        Arbitraries.of("", "ms", "s", "m", "h", "d", "w", "M")).as((n, u) -> n + u)));
    }

    @Provide
    Arbitrary<List<Map.Entry<String, String>>> settings() {
        return Combinators.combine(keys(), values()).as(Map::entry).list().ofMinSize(1).ofMaxSize(6);
    }

    @Provide
    Arbitrary<String> yamlFiles() {
        ObjectMapper yaml = new ObjectMapper(new YAMLFactory());
        Arbitrary<JsonNode> value = Arbitraries.frequencyOf(
                Tuple.of(3, values().map(JsonNodeFactory.instance::textNode)),
                Tuple.of(2, JsonArbitraries.values(2)));
        Arbitrary<String> tree = Combinators.combine(keys(), value).as(Map::entry).list().ofMaxSize(6).map(entries -> {
            ObjectNode root = JsonNodeFactory.instance.objectNode();
            for (Map.Entry<String, JsonNode> e : entries) {
                ObjectNode at = root;
                String[] parts = e.getKey().split("\\.", -1);
                for (int i = 0; i < parts.length - 1; i++) {
                    JsonNode next = at.get(parts[i]);
                    at = next instanceof ObjectNode o ? o : at.putObject(parts[i]);
                }
                at.set(parts[parts.length - 1], e.getValue());
            }
            try {
                return yaml.writeValueAsString(root);
            } catch (IOException x) {
                throw new IllegalStateException(x);
            }
        });
        return Arbitraries.frequencyOf(
                Tuple.of(6, tree),
                Tuple.of(1, JsonArbitraries.values(3).map(JsonNode::toString)),
                Tuple.of(1, Arbitraries.of("", "---", "- a\n- b", "a: [", "a: b: c", "\t- x", "!!binary x", "&a [*a]",
                        "auth:\n  oidc:\n    providers:\n      - 1\n      - id: x", "? [a]\n: b", "server: !!map {}",
                        "a: *unknown", "%YAML 9.9\n---\na: 1")),
                Tuple.of(1, JsonArbitraries.strings()));
    }

    private static List<String> keysWithDefault(Pattern pattern) {
        return ConfigLoader.KEYS.entrySet().stream().filter(e -> pattern.matcher(e.getValue()[0]).matches())
                .map(e -> e.getKey().replace("[N]", "[0]")).toList();
    }

    @Provide
    Arbitrary<String> durationKeys() {
        return Arbitraries.of(keysWithDefault(DURATION));
    }

    @Provide
    Arbitrary<String> numberKeys() {
        return Arbitraries.of(keysWithDefault(NUMBER));
    }

    @Provide
    Arbitrary<String> notDurations() {
        return Arbitraries.oneOf(Arbitraries.of("abc", "10", "1.5h", "-5m", "10 m", "h", "5w", "99999999999999999999d",
                        "1e3s", "\u0663s", "true"),
                Arbitraries.strings().alpha().ofMinLength(1).ofMaxLength(10));
    }

    @Provide
    Arbitrary<String> notNumbers() {
        return Arbitraries.oneOf(Arbitraries.of("abc", "1x", "x1", "99999999999999999999999", "NaN", "-", "1,5", "true"),
                Arbitraries.strings().alpha().ofMinLength(1).ofMaxLength(10));
    }

    @Provide
    Arbitrary<String> units() {
        return Arbitraries.of("ms", "s", "m", "h", "d");
    }

    @Provide
    Arbitrary<String> usual() {
        return Arbitraries.of("30d", "24h", "15m", "90s", "500ms", "7d", "365d", "12h", "1h", "10m");
    }

    @Provide
    Arbitrary<Map.Entry<String, Function<BollardConfig, Duration>>> loadedDurations() {
        return Arbitraries.of(List.<Map.Entry<String, Function<BollardConfig, Duration>>>of(
                Map.entry("uploads.expiry", c -> c.uploads().expiry()),
                Map.entry("gc.grace-period", c -> c.lifecycle().gcGracePeriod()),
                Map.entry("audit.retention", c -> c.audit().retention()),
                Map.entry("events.retention", c -> c.events().retention()),
                Map.entry("server.request-warning-after", c -> c.server().requestWarningAfter())));
    }
}
