package dev.bollard.auth;

import dev.bollard.audit.Actor;
import dev.bollard.error.BollardException;
import dev.bollard.events.Outbox;
import dev.bollard.metadata.Database;

/**
 * The administration that the CLI, the management API and the web UI drive, one class per aggregate: {@link #users},
 * {@link #organizations} (and their members), {@link #teams}, {@link #robots}, {@link #appTokens} and
 * {@link #repositories} (their visibility, grants and organizations' default permissions). Every change is recorded in
 * the outbox, in the transaction that makes it, as made by the actor {@link #as} names. Secrets are returned once, when
 * created, and stored only as hashes. Failures are {@link BollardException}s: NOT_FOUND, CONFLICT or, for invalid
 * input, INVALID_REQUEST. (Checking credentials is {@link Auth}'s.)
 */
public final class Identities {
    private final Database db;
    private final Changes changes;

    /** Administration whose changes are not recorded (set-up in tests). */
    public Identities(Database db) {
        this(db, Outbox.NONE);
    }

    /** Administration whose changes are recorded in {@code outbox}, as the registry itself until {@link #as} names someone. */
    public Identities(Database db, Outbox outbox) {
        this(db, new Changes(outbox, Actor.system("cli")));
    }

    private Identities(Database db, Changes changes) {
        this.db = db;
        this.changes = changes;
    }

    /** The same administration, with the changes recorded as made by {@code who}. */
    public Identities as(Actor who) {
        return new Identities(db, changes.as(who));
    }

    public Users users() {
        return new Users(db, changes);
    }

    public Organizations organizations() {
        return new Organizations(db, changes);
    }

    public Teams teams() {
        return new Teams(db, changes);
    }

    public Robots robots() {
        return new Robots(db, changes);
    }

    public RobotTrust robotTrust() {
        return new RobotTrust(db, changes);
    }

    public RobotCertificates robotCertificates() {
        return new RobotCertificates(db, changes);
    }

    public AppTokens appTokens() {
        return new AppTokens(db, changes);
    }

    public DirectoryTeams directoryTeams() {
        return new DirectoryTeams(db, changes);
    }

    public RepositoryAccess repositories() {
        return new RepositoryAccess(db, changes);
    }
}
