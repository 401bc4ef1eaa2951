package dev.bollard.audit;

/**
 * Who did something, and from where: a user, a robot account ({@code owner+name}), an anonymous client, or the
 * registry itself (background work, administration commands). {@code ip} and {@code userAgent} are empty when there
 * was no request.
 */
public record Actor(Kind kind, String name, String ip, String userAgent) {
    public enum Kind { USER, ROBOT, ANONYMOUS, SYSTEM }

    public Actor {
        name = name == null ? "" : name;
        ip = ip == null ? "" : ip;
        userAgent = userAgent == null ? "" : userAgent.length() > 512 ? userAgent.substring(0, 512) : userAgent;
    }

    /** The registry acting on its own, e.g. pruning or an administration command run as {@code command}. */
    public static Actor system(String command) {
        return new Actor(Kind.SYSTEM, command, "", "");
    }

    public static Actor anonymous(String ip, String userAgent) {
        return new Actor(Kind.ANONYMOUS, "", ip, userAgent);
    }
}
