package dev.bollard.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jwt.SignedJWT;
import dev.bollard.config.BollardConfig;
import dev.bollard.config.ConfigException;
import dev.bollard.config.ConfigLoader;
import dev.bollard.metadata.Database;
import dev.bollard.metadata.SigningKeyDao;
import dev.bollard.secrets.KeyEncryption;
import dev.bollard.testing.TestDatabase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.SecureRandom;
import java.util.Base64;
import java.time.Clock;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The token signing keys are stored sealed under a key-encryption key kept outside the database, so that a copy of
 * the database alone cannot sign tokens; keys stored before this existed are sealed at start; the key-encryption key
 * can be rotated.
 */
class SigningKeysAtRestTest {
    @TempDir
    Path dir;

    private BollardConfig.Auth config(String... keyValues) {
        ConfigLoader.Builder b = ConfigLoader.builder().set("data-dir", dir.resolve("data").toString());
        for (int i = 0; i < keyValues.length; i += 2) {
            b.set(keyValues[i], keyValues[i + 1]);
        }
        return b.load().auth();
    }

    private static String newKey() {
        byte[] k = new byte[32];
        new SecureRandom().nextBytes(k);
        return Base64.getEncoder().encodeToString(k);
    }

    private static List<String> stored(Database db) {
        return db.read(SigningKeyDao::all).stream().map(SigningKeyDao.SigningKey::jwk).toList();
    }

    @ParameterizedTest
    @ValueSource(strings = {"h2", "postgres"})
    void theDatabaseHoldsNoPrivateKeyAndACopyOfItCannotSign(String kind) throws Exception {
        try (TestDatabase td = TestDatabase.of(kind, dir); Database db = Database.open(td.config(4))) {
            Auth auth = new Auth(db, config());
            String token = auth.tokens().issue("alice", List.of()).token();

            List<String> rows = stored(db);
            assertThat(rows).hasSize(1);
            assertThat(rows.getFirst()).startsWith("kek1:").doesNotContain("\"d\"").doesNotContain("\"kty\"");

            // The default key file was created beside the data, readable by its owner only, and is reused.
            Path file = dir.resolve("data/secrets/key-encryption-key");
            assertThat(Files.getPosixFilePermissions(file))
                    .containsExactlyInAnyOrder(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
            assertThat(new Auth(db, config()).tokens().verify(token).subject()).isEqualTo("alice");

            // Someone with the database but another key-encryption key is refused, naming what to do.
            assertThatThrownBy(() -> new Auth(db, config("auth.key-encryption-key", newKey())))
                    .isInstanceOf(ConfigException.class)
                    .hasMessageContaining("is encrypted with key-encryption key")
                    .hasMessageContaining("Every node must use the same key-encryption key");
            assertThat(stored(db)).isEqualTo(rows); // and changes nothing
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"h2", "postgres"})
    void keysStoredInTheClearAreSealedAtStartAndKeepVerifying(String kind) throws Exception {
        try (TestDatabase td = TestDatabase.of(kind, dir); Database db = Database.open(td.config(4))) {
            // A database from before encryption at rest: the JWK with its private part, in the clear.
            var legacy = SigningKeys.generate();
            db.inTransaction(h -> {
                SigningKeyDao.insert(h, legacy.getKeyID(), "ES256", legacy.toJSONString());
                return null;
            });
            assertThat(stored(db).getFirst()).contains("\"d\"");

            Auth auth = new Auth(db, config());
            assertThat(stored(db)).singleElement().satisfies(s -> assertThat(s).startsWith("kek1:"));
            String token = auth.tokens().issue("bob", List.of()).token();
            assertThat(SignedJWT.parse(token).getHeader().getKeyID()).isEqualTo(legacy.getKeyID());
            assertThat(auth.tokens().verify(token).subject()).isEqualTo("bob");
        }
    }

    @Test
    void theKeyEncryptionKeyRotatesWhenTheEarlierOneIsListed() throws Exception {
        Path old = dir.resolve("old.key");
        Path current = dir.resolve("new.key");
        Files.writeString(old, newKey() + "\n");
        Files.writeString(current, newKey() + "\n");
        try (TestDatabase td = TestDatabase.h2(dir); Database db = Database.open(td.config(4))) {
            Auth before = new Auth(db, config("auth.key-encryption-key-file", old.toString()));
            String token = before.tokens().issue("carol", List.of()).token();
            String sealedBefore = stored(db).getFirst();

            // The new key alone cannot open what the old one sealed: the start is refused, nothing changes.
            assertThatThrownBy(() -> new Auth(db, config("auth.key-encryption-key-file", current.toString())))
                    .isInstanceOf(ConfigException.class).hasMessageContaining("auth.previous-key-encryption-key-files");
            assertThat(stored(db)).containsExactly(sealedBefore);

            Auth after = new Auth(db, config("auth.key-encryption-key-file", current.toString(),
                    "auth.previous-key-encryption-key-files", old.toString()));
            assertThat(after.tokens().verify(token).subject()).isEqualTo("carol");
            String resealed = stored(db).getFirst();
            assertThat(resealed).isNotEqualTo(sealedBefore)
                    .isEqualTo(stored(db).getFirst());
            assertThat(KeyEncryption.sealedWith(resealed)).isNotEqualTo(KeyEncryption.sealedWith(sealedBefore));

            // Once re-sealed, the earlier key is no longer needed.
            Auth later = new Auth(db, config("auth.key-encryption-key-file", current.toString()));
            assertThat(later.tokens().verify(token).subject()).isEqualTo("carol");
        }
    }

    @Test
    void afterLosingTheKeyEncryptionKeyTheUnreadableKeysCanBeForgotten() throws Exception {
        try (TestDatabase td = TestDatabase.h2(dir); Database db = Database.open(td.config(4))) {
            String token = new Auth(db, config("auth.key-encryption-key", newKey())).tokens().issue("dan", List.of())
                    .token();
            BollardConfig.Auth replacement = config("auth.key-encryption-key", newKey());
            assertThatThrownBy(() -> new Auth(db, replacement)).isInstanceOf(ConfigException.class);

            SigningKeys keys = new SigningKeys(db, replacement.keyEncryption(), Clock.systemUTC());
            assertThat(keys.forgetUnreadable()).containsExactly(SignedJWT.parse(token).getHeader().getKeyID());
            keys.rotate();
            Auth auth = new Auth(db, replacement);
            assertThat(auth.tokens().issue("dan", List.of()).token()).isNotEmpty();
            assertThatThrownBy(() -> auth.tokens().verify(token)).isInstanceOf(Tokens.InvalidTokenException.class);
        }
    }

    @Test
    void anAlteredOrMovedSealedKeyDoesNotOpen() {
        KeyEncryption kek = KeyEncryption.of(new byte[32]);
        String sealed = kek.seal("kid-1", "{\"secret\":1}");
        assertThat(kek.open("kid-1", sealed, "key kid-1")).isEqualTo("{\"secret\":1}");
        // Sealed for another row: the key id is the associated data.
        assertThatThrownBy(() -> kek.open("kid-2", sealed, "key kid-2")).isInstanceOf(ConfigException.class)
                .hasMessageContaining("does not decrypt");
        // One bit of the ciphertext flipped (in the bytes: a base64 character can hold padding bits that decode alike).
        int colon = sealed.lastIndexOf(':') + 1;
        byte[] bytes = java.util.Base64.getDecoder().decode(sealed.substring(colon));
        bytes[bytes.length - 3] ^= 1;
        String altered = sealed.substring(0, colon) + java.util.Base64.getEncoder().encodeToString(bytes);
        assertThatThrownBy(() -> kek.open("kid-1", altered, "key kid-1")).isInstanceOf(ConfigException.class);
    }

    @Test
    void aBadKeyIsAConfigurationErrorThatDoesNotEchoIt() {
        assertThatThrownBy(() -> config("auth.key-encryption-key", "not-a-key-at-all"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("auth.key-encryption-key")
                .hasMessageContaining("openssl rand -base64 32")
                .hasMessageNotContaining("not-a-key-at-all");
    }
}
