package dev.bollard.auth;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PasswordsTest {

    @Test
    void hashIsArgon2idPhcAndVerifiesOnlyTheRightPassword() {
        String hash = Passwords.hash("correct horse battery staple");
        assertThat(hash).startsWith("$argon2id$v=19$m=19456,t=2,p=1$").doesNotContain("correct");
        assertThat(Passwords.verify("correct horse battery staple", hash)).isTrue();
        assertThat(Passwords.verify("correct horse battery stapl", hash)).isFalse();
        assertThat(Passwords.verify("", hash)).isFalse();
    }

    @Test
    void eachHashHasItsOwnSalt() {
        assertThat(Passwords.hash("same password")).isNotEqualTo(Passwords.hash("same password"));
    }

    @Test
    void malformedOrForeignHashesNeverVerify() {
        String hash = Passwords.hash("pw-12345678");
        assertThat(Passwords.verify("pw-12345678", null)).isFalse();
        assertThat(Passwords.verify("pw-12345678", "")).isFalse();
        assertThat(Passwords.verify("pw-12345678", hash.replace("argon2id", "argon2i"))).isFalse();
        assertThat(Passwords.verify("pw-12345678", hash.replace("m=19456", "m=999999999"))).isFalse();
        assertThat(Passwords.verify("pw-12345678", "$2a$10$abcdefghijklmnopqrstuv")).isFalse();
        assertThat(Passwords.verify("pw-12345678", hash.substring(0, hash.length() - 4))).isFalse();
    }

    @Test
    void tokensAreLongRandomAndStoredOnlyAsSha256() {
        String a = Secrets.newToken(Secrets.ROBOT_TOKEN_PREFIX);
        String b = Secrets.newToken(Secrets.ROBOT_TOKEN_PREFIX);
        assertThat(a).isNotEqualTo(b).startsWith("bollard_robot_").hasSizeGreaterThanOrEqualTo(14 + 43);
        assertThat(Secrets.sha256(a)).hasSize(64).doesNotContain(a);
        assertThat(Secrets.matches(a, Secrets.sha256(a))).isTrue();
        assertThat(Secrets.matches(b, Secrets.sha256(a))).isFalse();
    }
}
