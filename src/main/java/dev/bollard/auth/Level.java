package dev.bollard.auth;

/** How much a principal may do with a repository, each level including the ones before it. */
enum Level {
    NONE, READ, WRITE, ADMIN;

    static Level ofRole(String role) {
        return switch (role) {
            case "read", "member" -> READ;
            case "write" -> WRITE;
            case "admin", "owner" -> ADMIN;
            default -> NONE;
        };
    }

    Level max(Level other) {
        return compareTo(other) >= 0 ? this : other;
    }

    boolean allows(Action action) {
        return switch (action) {
            case PING, CATALOG -> true;
            case PULL -> compareTo(READ) >= 0;
            case PUSH, DELETE -> compareTo(WRITE) >= 0;
        };
    }
}
