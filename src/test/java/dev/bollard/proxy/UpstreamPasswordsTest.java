package dev.bollard.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bollard.secrets.KeyEncryption;
import org.junit.jupiter.api.Test;

/** An edit of an upstream keeps its password only for the same user, and never stores one in the clear. */
class UpstreamPasswordsTest {
    private final KeyEncryption sealing = KeyEncryption.of(new byte[32]);

    @Test
    void aNewPasswordIsSealedAndAnOmittedOneIsKeptOnlyForTheSameUser() {
        String sealed = UpstreamPasswords.toStore(sealing, "ctx", "bot", "s3cret", null, null);
        assertThat(sealed).isNotNull().doesNotContain("s3cret");
        assertThat(sealing.open("ctx", sealed, "test")).isEqualTo("s3cret");

        assertThat(UpstreamPasswords.toStore(sealing, "ctx", "bot", null, "bot", sealed)).isEqualTo(sealed);
        assertThat(UpstreamPasswords.toStore(sealing, "ctx", "other", null, "bot", sealed)).isNull();
        assertThat(UpstreamPasswords.toStore(sealing, "ctx", null, "ignored", "bot", sealed)).isNull();
    }
}
