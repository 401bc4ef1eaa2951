package dev.bollard.auth;

import dev.bollard.metadata.Database;
import dev.bollard.metadata.UiSessionDao;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * Sign-in sessions of the web UI, kept in the database so that any node serves any request. A session is a long
 * random value (the cookie) of which only the SHA-256 is stored, with a CSRF token that every form must send back.
 * It ends after {@code idleTimeout} without a request, {@code maxAge} after it began, at sign-out, or with its user.
 */
public final class WebSessions {
    private static final String SESSION_PREFIX = "bollard_session_";

    private final Database db;
    private final Auth auth;
    private final Duration idleTimeout;
    private final Duration maxAge;
    private final Clock clock;

    public WebSessions(Database db, Auth auth, Duration idleTimeout, Duration maxAge) {
        this(db, auth, idleTimeout, maxAge, Clock.systemUTC());
    }

    WebSessions(Database db, Auth auth, Duration idleTimeout, Duration maxAge, Clock clock) {
        this.db = db;
        this.auth = auth;
        this.idleTimeout = idleTimeout;
        this.maxAge = maxAge;
        this.clock = clock;
    }

    /** A session just begun: the cookie value (shown to nobody but the browser) and its CSRF token. */
    public record Started(String cookieValue, String csrfToken) {
        @Override
        public String toString() {
            return "Started[...]";
        }
    }

    /** A valid session: who it belongs to (as they are now) and the CSRF token its forms carry. */
    public record Active(Principal.User user, String csrfToken) {
        @Override
        public String toString() {
            return "Active[" + user.name() + "]";
        }
    }

    /** How long a session lasts at most, for the cookie's Max-Age. */
    public Duration maxAge() {
        return maxAge;
    }

    /** Begins a session for a user who just signed in; sessions that ended meanwhile are swept on the way. */
    public Started start(Principal.User user) {
        String cookie = Secrets.newToken(SESSION_PREFIX);
        String csrf = Secrets.newToken("");
        Instant now = clock.instant();
        db.inTransaction(h -> {
            UiSessionDao.deleteExpired(h, now, now.minus(idleTimeout));
            UiSessionDao.insert(h, Secrets.sha256(cookie), user.id(), csrf, now, now.plus(maxAge));
            return null;
        });
        return new Started(cookie, csrf);
    }

    /** The session a cookie names, when it exists and has not ended; an ended one is deleted. */
    public Optional<Active> find(@Nullable String cookieValue) {
        if (cookieValue == null || !cookieValue.startsWith(SESSION_PREFIX) || cookieValue.length() > 128) {
            return Optional.empty();
        }
        String hash = Secrets.sha256(cookieValue);
        Optional<UiSessionDao.Session> found = db.read(h -> UiSessionDao.find(h, hash));
        if (found.isEmpty()) {
            return Optional.empty();
        }
        UiSessionDao.Session session = found.get();
        Instant now = clock.instant();
        if (!now.isBefore(session.expiresAt()) || session.lastSeenAt().plus(idleTimeout).isBefore(now)) {
            end(cookieValue);
            return Optional.empty();
        }
        Optional<Principal.User> user = auth.user(session.userId());
        if (user.isEmpty()) {
            return Optional.empty();
        }
        // Record the request, but not on every one: a write per page view buys nothing at a minute's precision.
        Duration sinceSeen = Duration.between(session.lastSeenAt(), now);
        if (sinceSeen.compareTo(Duration.ofMinutes(1)) > 0 || sinceSeen.compareTo(idleTimeout.dividedBy(10)) > 0) {
            db.inTransaction(h -> {
                UiSessionDao.touch(h, hash, now);
                return null;
            });
        }
        return Optional.of(new Active(user.get(), session.csrfToken()));
    }

    /** Ends the session (sign-out). */
    public void end(@Nullable String cookieValue) {
        if (cookieValue == null) {
            return;
        }
        db.inTransaction(h -> {
            UiSessionDao.delete(h, Secrets.sha256(cookieValue));
            return null;
        });
    }

    /** A random token for a form that has no session yet (the sign-in form's CSRF cookie). */
    public static String newFormToken() {
        return Secrets.newToken("");
    }

    /** Compares two secrets in constant time; false when either is missing. */
    public static boolean same(@Nullable String a, @Nullable String b) {
        return a != null && b != null && !a.isEmpty()
                && MessageDigest.isEqual(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
    }
}
