package dev.bollard.auth.ldap;

import dev.bollard.auth.DirectoryTeams;
import dev.bollard.auth.IdentitySource;
import dev.bollard.jobs.Worker;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Syncs the directory users' bound teams (and superuser flags, where the directory decides them) every
 * {@code auth.ldap.sync-interval}, on one node at a time, so that removal from a group removes team access without
 * waiting for the user's next login. Users the directory no longer finds leave their bound teams. A directory that
 * does not answer fails the turn (logged, retried with back-off); nothing is changed then.
 */
public final class DirectorySyncWorker extends Worker {
    private static final Logger LOG = LoggerFactory.getLogger(DirectorySyncWorker.class);

    private final LdapDirectory directory;
    private final DirectoryTeams teams;

    public DirectorySyncWorker(LdapDirectory directory, DirectoryTeams teams) {
        super("directory-sync", Schedule.every(directory.syncInterval()).onOneNode());
        this.directory = directory;
        this.teams = teams;
    }

    @Override
    protected void turn(Runnable heartbeat) {
        syncNow();
    }

    /** One sync of every directory user; how many users it looked at. */
    public int syncNow() {
        List<String> users = teams.users(directory.name());
        Map<String, Optional<IdentitySource.Identity>> found = directory.lookUp(users);
        int gone = 0;
        for (Map.Entry<String, Optional<IdentitySource.Identity>> e : found.entrySet()) {
            if (e.getValue().isPresent()) {
                teams.apply(e.getValue().get());
            } else {
                teams.gone(e.getKey(), directory.decidesSuperusers());
                gone++;
            }
        }
        LOG.debug("directory sync: {} users, {} no longer in the directory", users.size(), gone);
        return users.size();
    }
}
