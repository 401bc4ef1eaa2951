package dev.bollard.auth;

import dev.bollard.audit.Actor;
import dev.bollard.metadata.RepositoryFilter;
import org.jspecify.annotations.Nullable;

/** Who is asking: nobody, a user, or a robot account ({@code owner+name}). */
public sealed interface Principal {
    /** The name in tokens' {@code sub} and in logs: empty for anonymous. */
    String name();

    /** Which repositories this principal may see in the catalog. */
    RepositoryFilter visible(boolean anonymousPull);

    record Anonymous() implements Principal {
        @Override
        public String name() {
            return "";
        }

        @Override
        public RepositoryFilter visible(boolean anonymousPull) {
            return anonymousPull ? new RepositoryFilter(false, true, null, null) : RepositoryFilter.NONE;
        }
    }

    record User(long id, String name, boolean superuser) implements Principal {
        @Override
        public RepositoryFilter visible(boolean anonymousPull) {
            return superuser ? RepositoryFilter.ALL : new RepositoryFilter(false, true, id, null);
        }
    }

    record Robot(long id, long ownerId, String name) implements Principal {
        @Override
        public RepositoryFilter visible(boolean anonymousPull) {
            return new RepositoryFilter(false, true, null, id);
        }
    }

    // Safe: Anonymous has no static state and is constructed only here, so it is only ever initialized from within
    // Principal's own initialization (instanceof and pattern matches do not initialize a class).
    @SuppressWarnings("ClassInitializationDeadlock")
    Principal ANONYMOUS = new Anonymous();

    /** This principal as the actor of an audit event, calling from {@code ip} with {@code userAgent}. */
    default Actor actor(@Nullable String ip, @Nullable String userAgent) {
        return switch (this) {
            case Anonymous a -> Actor.anonymous(ip, userAgent);
            case User u -> new Actor(Actor.Kind.USER, u.name(), ip, userAgent);
            case Robot r -> new Actor(Actor.Kind.ROBOT, r.name(), ip, userAgent);
        };
    }
}
