package dev.bollard.scan.policy;

import dev.bollard.error.BollardException;
import dev.bollard.oci.RepositoryName;

/**
 * What a policy, an allow-list entry or a bypass grant belongs to: an organization ({@code org}, its name) or a
 * repository ({@code repository}, its full name).
 */
public record PolicyScope(Kind kind, String name) {
    public enum Kind {
        ORG("org", "organization"), REPOSITORY("repository", "repository");

        /** As stored ({@code scan_policy.scope_kind}) and in the API. */
        public final String stored;
        /** As messages say it. */
        public final String word;

        Kind(String stored, String word) {
            this.stored = stored;
            this.word = word;
        }

        static Kind ofStored(String stored) {
            return stored.equals("org") ? ORG : REPOSITORY;
        }
    }

    public static PolicyScope organization(String name) {
        if (name.isEmpty() || name.contains("/") || !RepositoryName.isValid(name + "/x")) {
            throw BollardException.invalid("'" + name + "' is not an organization name");
        }
        return new PolicyScope(Kind.ORG, name);
    }

    public static PolicyScope repository(RepositoryName repository) {
        return new PolicyScope(Kind.REPOSITORY, repository.value());
    }

    /** {@code acme} is an organization, {@code acme/app} a repository (the command line's way of naming a scope). */
    public static PolicyScope parse(String text) {
        return text.contains("/") ? repository(BollardException.parsed(() -> new RepositoryName(text)))
                : organization(text);
    }

    /** "organization acme", "repository acme/app". */
    @Override
    public String toString() {
        return kind.word + " " + name;
    }
}
