package dev.bollard.proxy;

import dev.bollard.secrets.KeyEncryption;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/** How an upstream registry's password is kept at rest, for proxy organizations and mirrors alike. */
public final class UpstreamPasswords {
    private UpstreamPasswords() {
    }

    /**
     * The value to store when an upstream's login is set to {@code username} and {@code password}: a new password
     * sealed for {@code context}; none given with the stored user name unchanged keeps the stored (sealed) one, so that
     * an edit of other settings need not repeat it; anonymous, or another user without a password, stores none.
     */
    public static @Nullable String toStore(KeyEncryption sealing, String context, @Nullable String username,
                                           @Nullable String password, @Nullable String storedUsername,
                                           @Nullable String storedPassword) {
        if (username == null) {
            return null;
        }
        if (password != null) {
            return sealing.seal(context, password);
        }
        return Objects.equals(username, storedUsername) ? storedPassword : null;
    }
}
