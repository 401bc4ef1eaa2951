package dev.bollard.http.ui;

import dev.bollard.metadata.AccountDao;
import dev.bollard.metadata.GrantDao;
import dev.bollard.metadata.RepositoryDao;
import dev.bollard.metadata.RobotDao;
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

    /** A namespace the user can see: their own, or an organization with their role in it. */
    public record Namespace(String name, boolean organization, String role) {
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

    public record RepositorySettings(String name, boolean isPublic, List<GrantDao.Listed> grants) {
    }

    /** {@code secret}: a robot token just created or regenerated, shown once, for robot {@code secretFor}. */
    public record Organization(String name, String role, boolean manages, List<AccountDao.Member> members,
                               List<RobotDao.Listed> robots, List<RepositoryDao.Summary> repositories, String secret,
                               String secretFor) {
    }

    /** {@code secret}: an application token or a robot's token just created, shown once, for {@code secretFor}. */
    public record Settings(String user, List<String> tokens, List<RobotDao.Listed> robots,
                           List<AccountDao.Membership> memberships, String secret, String secretFor) {
    }

    public record Admin(List<AccountDao.Account> users, List<String> organizations) {
    }
}
