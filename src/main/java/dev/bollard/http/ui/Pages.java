package dev.bollard.http.ui;

import dev.bollard.auth.Identities;
import dev.bollard.metadata.AuditDao;
import dev.bollard.metadata.RepositoryDao;
import dev.bollard.registry.RepositoryBrowser;
import java.util.List;

/** What each page's template is given, besides its {@link Frame}. */
public final class Pages {
    private Pages() {
    }

    public record SignIn(String username, String next, String formToken) {
    }

    public record Problem(int status, String message) {
    }

    /** A namespace the user can see: their own, or an organization. */
    public record Namespace(String name, boolean organization) {
    }

    public record Dashboard(List<Namespace> namespaces, List<RepositoryDao.Summary> recent) {
    }

    public record Repositories(String query, List<RepositoryDao.Summary> repositories, boolean more) {
    }

    /** {@code registry}: host[:port] as clients reach it, for the pull command. */
    public record Repository(String name, boolean isPublic, String registry, List<RepositoryBrowser.TagSummary> tags,
                             List<RepositoryBrowser.TagEvent> history, boolean administers) {
        /** The tag the pull command names: latest when there is one, else the first; null without tags. */
        public String pullTag() {
            return tags.stream().map(RepositoryBrowser.TagSummary::name).filter("latest"::equals).findFirst()
                    .orElse(tags.isEmpty() ? null : tags.getFirst().name());
        }
    }

    /** A tag's (or a manifest's, {@code tag} null) details. */
    public record Image(String repository, String tag, String registry, RepositoryBrowser.Details details) {
    }

    public record RepositorySettings(String name, boolean isPublic, List<Identities.GrantInfo> grants) {
    }

    /** A team with its members. */
    public record Team(Identities.TeamInfo team, List<String> members) {
    }

    /**
     * An organization as its member {@code role} sees it ({@code manages}: owners and admins). {@code secret}: a robot
     * token just created or regenerated, shown once, for robot {@code secretFor}.
     */
    public record Organization(String name, String role, boolean manages, List<Identities.MemberInfo> members,
                               List<Team> teams, List<Identities.GrantInfo> defaults, List<String> robots,
                               List<RepositoryDao.Summary> repositories, String secret, String secretFor) {
    }

    /** {@code secret}: an application token or a robot's token just created, shown once, for {@code secretFor}. */
    public record Settings(String user, List<String> tokens, List<String> robots, List<String> organizations,
                           String secret, String secretFor) {
    }

    public record Admin(List<Identities.AccountInfo> users, List<String> organizations) {
    }

    /** The audit log, filtered: {@code scope} is the organization it is limited to (null: the whole registry). */
    public record Audit(String scope, String actor, String action, String repository, String since, String until,
                        List<AuditDao.Entry> entries, Long nextBefore) {
    }
}
