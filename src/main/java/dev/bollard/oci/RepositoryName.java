package dev.bollard.oci;

import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * A repository name as the distribution spec defines it: path components of lower-case alphanumerics,
 * separated inside a component by '.', '_', '__' or runs of '-', joined by '/'.
 */
public record RepositoryName(String value) implements Comparable<RepositoryName> {

    /** Distribution's limit; the spec asks clients to stay below 255 characters including the host name. */
    public static final int MAX_LENGTH = 255;

    private static final Pattern GRAMMAR = Pattern.compile(
            "[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*)*");

    public RepositoryName {
        String problem = problemWith(value);
        if (problem != null) {
            throw new IllegalArgumentException(problem);
        }
    }

    public static RepositoryName parse(String value) {
        return new RepositoryName(value);
    }

    /** Why {@code value} is not a valid repository name, or null when it is. */
    public static @Nullable String problemWith(@Nullable String value) {
        if (value == null || value.isEmpty()) {
            return "repository name is empty";
        }
        if (value.length() > MAX_LENGTH) {
            return "repository name is longer than " + MAX_LENGTH + " characters";
        }
        if (!GRAMMAR.matcher(value).matches()) {
            return "invalid repository name '" + value + "': use lower-case letters, digits and separators "
                    + "('.', '_', '__', '-') between them, components joined by '/'";
        }
        return null;
    }

    public static boolean isValid(@Nullable String value) {
        return problemWith(value) == null;
    }

    /**
     * The namespace (organization or user) the repository lives in: its first component, or null for a
     * single-component name, which has none.
     */
    public static @Nullable String namespaceOf(String repository) {
        int slash = repository.indexOf('/');
        return slash < 0 ? null : repository.substring(0, slash);
    }

    @Override
    public String toString() {
        return value;
    }

    @Override
    public int compareTo(RepositoryName other) {
        return value.compareTo(other.value);
    }
}
