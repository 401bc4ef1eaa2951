package dev.bollard.auth;

import java.util.Optional;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Where users prove who they are with a user name and a password: the local accounts ({@code local}), an LDAP /
 * Active Directory directory ({@code ldap}), and later others (OIDC). {@link Credentials} asks the sources in order;
 * the first that recognises the password wins. A source that cannot answer (its server is down) says so with
 * {@link Unavailable}, and the next source is still asked, so that a local superuser can sign in while the directory
 * is down.
 */
public interface IdentitySource {

    /** The source's name in audit entries and on accounts: {@code local}, {@code ldap}. */
    String name();

    /**
     * The identity {@code password} proves, or empty when the user is unknown here or the password is wrong (the
     * two are not told apart). The user name and password are never empty.
     *
     * @throws Unavailable when the source cannot tell (its server does not answer)
     */
    Optional<Identity> authenticate(String username, String password);

    /**
     * A user as a source knows them: the user name (as the account's name), their e-mail, the groups among those
     * the source was asked about (team bindings) they are in, and whether the source makes them a superuser
     * ({@code admin}: null when the source has no say). {@code externalId} is the source's own key (an LDAP DN).
     */
    record Identity(String source, String username, @Nullable String email, Set<String> groups,
                    @Nullable Boolean admin, String externalId) {
        public Identity {
            groups = Set.copyOf(groups);
        }
    }

    /** The source's server could not be asked; {@code getMessage()} says which one and why, without secrets. */
    final class Unavailable extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public Unavailable(String message, @Nullable Throwable cause) {
            super(message, cause);
        }
    }
}
