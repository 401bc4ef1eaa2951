package dev.bollard.metadata;

/**
 * SQL {@code LIKE} patterns built from text that may hold the wildcards {@code %} and {@code _}: used as
 * {@code column LIKE :pattern ESCAPE '!'} (an escape character that H2 and PostgreSQL read alike, unlike a
 * backslash).
 */
final class LikePattern {
    static final String ESCAPE = " ESCAPE '!'";

    private LikePattern() {
    }

    /** Everything that begins with {@code literal}. */
    static String startingWith(String literal) {
        return literal.replace("!", "!!").replace("%", "!%").replace("_", "!_") + "%";
    }
}
