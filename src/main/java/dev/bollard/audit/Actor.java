package dev.bollard.audit;

import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * Who did something, and from where: a user, a robot account ({@code owner+name}), an anonymous client, or the
 * registry itself (background work, administration commands). {@code ip} and {@code userAgent} are empty when there
 * was no request.
 */
public record Actor(Kind kind, String name, String ip, String userAgent) {
    public enum Kind { USER, ROBOT, ANONYMOUS, SYSTEM }

    /** A null name, address or User-Agent is empty. */
    public Actor(Kind kind, @Nullable String name, @Nullable String ip, @Nullable String userAgent) {
        this.kind = kind;
        this.name = name == null ? "" : name;
        this.ip = ip == null ? "" : ip;
        this.userAgent = userAgent == null ? "" : userAgent.length() > 512 ? userAgent.substring(0, 512) : userAgent;
    }

    /** The registry acting on its own, e.g. pruning or an administration command run as {@code command}. */
    public static Actor system(String command) {
        return new Actor(Kind.SYSTEM, command, "", "");
    }

    public static Actor anonymous(@Nullable String ip, @Nullable String userAgent) {
        return new Actor(Kind.ANONYMOUS, "", ip, userAgent);
    }

    /** The kind as stored in the audit log and the outbox ({@code user}, {@code robot}, …): hashed into the chain. */
    public String kindName() {
        return kind.name().toLowerCase(Locale.ROOT);
    }
}
