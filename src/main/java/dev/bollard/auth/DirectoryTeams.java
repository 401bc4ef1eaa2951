package dev.bollard.auth;

import static dev.bollard.auth.Lookups.requireTeam;

import com.unboundid.ldap.sdk.DN;
import dev.bollard.audit.AuditActions;
import dev.bollard.error.BollardException;
import dev.bollard.metadata.AccountDao;
import dev.bollard.metadata.Database;
import dev.bollard.metadata.DirectoryDao;
import dev.bollard.metadata.TeamDao;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.jdbi.v3.core.Handle;

/**
 * Directory users and the teams bound to directory groups: a team bound to a group (its DN and the attribute that
 * lists its members) has as its directory users exactly those in the group, nested groups included; each login and
 * the periodic sync apply what the directory says ({@link #apply}). Local users and robots in a bound team are left
 * alone. A directory user is onboarded on their first login as a user without a local password; a local user of the
 * same name is linked instead (the migration from local to directory accounts), keeping their namespace, teams and
 * robots. Each change is recorded in the outbox, in its transaction.
 */
public final class DirectoryTeams {
    /** Group attributes listing members: DNs (member, uniqueMember, nested groups allowed) or user names (memberUid). */
    public static final List<String> MEMBER_ATTRIBUTES = List.of("member", "uniqueMember", "memberUid");

    /** The source of users who sign in through an OIDC provider: {@code oidc:<provider id>}. */
    public static final String OIDC_SOURCE = "oidc:";

    private final Database db;
    private final Changes changes;

    DirectoryTeams(Database db, Changes changes) {
        this.db = db;
        this.changes = changes;
    }

    /** A team's binding to a directory group. */
    public record Binding(String organization, String team, String groupDn, String memberAttribute) {
    }

    /** A group whose membership the sources are asked about. */
    public record Group(String dn, String memberAttribute) {
    }

    /** Binds the team to a group (replacing an earlier binding); its directory users follow it from the next sync. */
    public void bind(String organization, String team, String groupDn, String memberAttribute) {
        if (groupDn == null || groupDn.isBlank() || groupDn.length() > 1024 || !DN.isValidDN(groupDn)) {
            throw BollardException.invalid("'" + groupDn + "' is not a distinguished name such as "
                    + "cn=developers,ou=groups,dc=example,dc=org");
        }
        if (!MEMBER_ATTRIBUTES.contains(memberAttribute)) {
            throw BollardException.invalid("the member attribute is member, uniqueMember or memberUid, not '"
                    + memberAttribute + "'");
        }
        db.inTransaction(h -> {
            TeamDao.Team t = requireTeam(h, organization, team);
            DirectoryDao.bind(h, t.id(), groupDn.trim(), memberAttribute);
            changes.onNamespace(h, organization, AuditActions.TEAM_GROUP_BIND,
                    Map.of("team", team, "group", groupDn.trim(), "member_attribute", memberAttribute));
            return null;
        });
    }

    /**
     * Binds the team to a value of OIDC provider {@code provider}'s groups claim (replacing an earlier such binding):
     * its users of that provider follow the claim from their next sign-in.
     */
    public void bindClaim(String organization, String team, String provider, String groupValue) {
        if (provider == null || !provider.matches("[a-z0-9][a-z0-9-]{0,31}")) {
            throw BollardException.invalid("'" + provider + "' is not an OIDC provider id (auth.oidc.providers[N].id)");
        }
        if (groupValue == null || groupValue.isBlank() || groupValue.length() > 1024) {
            throw BollardException.invalid("the group is a value of the provider's groups claim, 1 to 1024 characters");
        }
        db.inTransaction(h -> {
            TeamDao.Team t = requireTeam(h, organization, team);
            DirectoryDao.bindClaim(h, t.id(), provider, groupValue.trim());
            changes.onNamespace(h, organization, AuditActions.TEAM_GROUP_BIND,
                    Map.of("team", team, "group", groupValue.trim(), "provider", provider));
            return null;
        });
    }

    /** Ends the team's binding to an OIDC groups claim value; its members stay. False when unbound. */
    public boolean unbindClaim(String organization, String team) {
        return db.inTransaction(h -> {
            boolean removed = DirectoryDao.unbindClaim(h, requireTeam(h, organization, team).id());
            if (removed) {
                changes.onNamespace(h, organization, AuditActions.TEAM_GROUP_UNBIND, Map.of("team", team, "oidc", true));
            }
            return removed;
        });
    }

    /** The team's binding to an OIDC groups claim value ({@code groupDn}: the value, {@code memberAttribute}: the provider). */
    public Optional<Binding> claimBinding(String organization, String team) {
        return db.read(h -> DirectoryDao.claimBinding(h, requireTeam(h, organization, team).id())
                .map(DirectoryTeams::info));
    }

    /** Every team bound to an OIDC groups claim value. */
    public List<Binding> claimBindings() {
        return db.read(h -> DirectoryDao.claimBindings(h, null).stream().map(DirectoryTeams::info).toList());
    }

    /** Ends the team's binding; its members stay as they are, managed by hand from now on. False when unbound. */
    public boolean unbind(String organization, String team) {
        return db.inTransaction(h -> {
            boolean removed = DirectoryDao.unbind(h, requireTeam(h, organization, team).id());
            if (removed) {
                changes.onNamespace(h, organization, AuditActions.TEAM_GROUP_UNBIND, Map.of("team", team));
            }
            return removed;
        });
    }

    /** The team's binding; empty when it is not bound. */
    public Optional<Binding> binding(String organization, String team) {
        return db.read(h -> DirectoryDao.binding(h, requireTeam(h, organization, team).id()).map(DirectoryTeams::info));
    }

    /** Every bound team. */
    public List<Binding> bindings() {
        return db.read(h -> DirectoryDao.bindings(h).stream().map(DirectoryTeams::info).toList());
    }

    /** The groups bound teams follow, each once. */
    public List<Group> groups() {
        Set<Group> groups = new LinkedHashSet<>();
        bindings().forEach(b -> groups.add(new Group(b.groupDn(), b.memberAttribute())));
        return List.copyOf(groups);
    }

    /** Names of the users who sign in through {@code source}. */
    public List<String> users(String source) {
        return db.read(h -> DirectoryDao.users(h, source).stream().map(DirectoryDao.DirectoryUser::name).toList());
    }

    /**
     * Applies what a directory says about a user who proved their password there (or whom the periodic sync looked
     * up): onboards or links the account, updates its entry and e-mail, its superuser flag (when the source has a say
     * and the account has no local password, which a break-glass superuser keeps), and its membership of every bound
     * team. The user as they are now.
     *
     * @throws BollardException INVALID_REQUEST when the directory's user name cannot name a Bollard user, CONFLICT when
     *                          an organization has that name
     */
    public Principal.User apply(IdentitySource.Identity identity) {
        return apply(identity, true);
    }

    /**
     * As {@link #apply(IdentitySource.Identity)}; {@code linkLocal} false refuses (CONFLICT) to link a local account of
     * the same name — an OIDC provider whose {@code link-local-users} is off, since its users may choose their names.
     */
    public Principal.User apply(IdentitySource.Identity identity, boolean linkLocal) {
        String name = identity.username().toLowerCase(Locale.ROOT);
        Lookups.checkName(name);
        return db.inTransaction(h -> {
            Optional<AccountDao.Account> found = AccountDao.find(h, name);
            if (found.isPresent() && !found.get().isUser()) {
                throw BollardException.conflict("the directory user '" + name + "' has the name of an organization");
            }
            long id;
            boolean superuser;
            boolean localPassword;
            if (found.isEmpty()) {
                superuser = Boolean.TRUE.equals(identity.admin());
                id = AccountDao.insert(h, name, "user", null, superuser);
                localPassword = false;
                DirectoryDao.linkToDirectory(h, id, identity.source(), identity.externalId(), identity.email());
                changes.onNamespace(h, name, AuditActions.USER_CREATE,
                        Map.of("user", name, "superuser", superuser, "source", identity.source()));
            } else {
                AccountDao.Account user = found.get();
                id = user.id();
                superuser = user.superuser();
                String source = DirectoryDao.source(h, id).orElse("local");
                boolean linked = !source.equals(identity.source());
                // One account, one way in: a name that is free in another source must not hand it this account.
                if (linked && !source.equals("local")) {
                    throw BollardException.conflict("the user '" + name + "' signs in through " + source
                            + ", not " + identity.source() + ": an account has one sign-in source");
                }
                if (linked && !linkLocal) {
                    throw BollardException.conflict("a local user '" + name + "' exists, and " + identity.source()
                            + " does not link local accounts (its link-local-users is off): an administrator turns it "
                            + "on, or renames or deletes the local account");
                }
                // A provider may let people choose their user name: it never gets a superuser (the break-glass account).
                if (linked && superuser && identity.source().startsWith("oidc:")) {
                    throw BollardException.conflict("'" + name + "' is a local superuser: sign-in through "
                            + identity.source() + " does not take over a superuser's account");
                }
                // A linked superuser keeps the local password: the break-glass account while the directory is down.
                if (linked && !superuser && user.passwordHash() != null) {
                    DirectoryDao.clearPassword(h, id);
                }
                localPassword = superuser && user.passwordHash() != null;
                DirectoryDao.linkToDirectory(h, id, identity.source(), identity.externalId(), identity.email());
                if (linked) {
                    changes.onNamespace(h, name, AuditActions.USER_UPDATE,
                            Map.of("user", name, "source", identity.source(), "linked", true));
                }
            }
            Boolean admin = identity.admin();
            if (admin != null && admin != superuser && !localPassword) {
                AccountDao.setSuperuser(h, id, admin);
                superuser = admin;
                changes.onNamespace(h, name, AuditActions.USER_UPDATE,
                        Map.of("user", name, "superuser", admin, "source", identity.source()));
            }
            syncTeams(h, id, name, identity.groups(), identity.source());
            return new Principal.User(id, name, superuser);
        });
    }

    /**
     * A directory user the directory no longer knows: out of every bound team (and no superuser by the directory's
     * say when {@code directoryDecidesAdmin}); the account stays, with its namespace.
     */
    public void gone(String username, boolean directoryDecidesAdmin) {
        db.inTransaction(h -> {
            AccountDao.find(h, username).filter(AccountDao.Account::isUser).ifPresent(user -> {
                String source = DirectoryDao.source(h, user.id()).orElse("local");
                if (directoryDecidesAdmin && user.superuser() && user.passwordHash() == null) {
                    AccountDao.setSuperuser(h, user.id(), false);
                    changes.onNamespace(h, username, AuditActions.USER_UPDATE,
                            Map.of("user", username, "superuser", false, "source", source));
                }
                syncTeams(h, user.id(), username, Set.of(), source);
            });
            return null;
        });
    }

    /**
     * The user in exactly the teams bound to groups of their source whose group is among {@code groups}: LDAP groups
     * for directory users, the values of {@code oidc:<provider>}'s groups claim for that provider's users. A source's
     * sync leaves the teams bound to another source's groups alone.
     */
    private void syncTeams(Handle h, long userId, String name, Set<String> groups, String source) {
        List<DirectoryDao.Binding> bindings = source.startsWith(OIDC_SOURCE)
                ? DirectoryDao.claimBindings(h, source.substring(OIDC_SOURCE.length())) : DirectoryDao.bindings(h);
        for (DirectoryDao.Binding b : bindings) {
            boolean wanted = groups.contains(b.groupDn());
            boolean member = TeamDao.isMember(h, b.teamId(), userId);
            Map<String, Object> details = new LinkedHashMap<>();
            details.put("team", b.team());
            details.put("member", name);
            details.put("via", source);
            details.put("group", b.groupDn());
            if (wanted && !member) {
                if (AccountDao.memberRole(h, b.orgId(), userId).isEmpty()) {
                    AccountDao.putMember(h, b.orgId(), userId, "member");
                }
                TeamDao.addMember(h, b.teamId(), userId);
                changes.onNamespace(h, b.organization(), AuditActions.TEAM_MEMBER_ADD, details);
            } else if (!wanted && member) {
                TeamDao.removeMember(h, b.teamId(), userId);
                // The sync made them a plain member of the organization for the team: in no team of it any more,
                // they leave it, so that no read access stays behind.
                if (AccountDao.memberRole(h, b.orgId(), userId).filter("member"::equals).isPresent()
                        && TeamDao.rolesInOrg(h, b.orgId(), userId).isEmpty()) {
                    AccountDao.removeMember(h, b.orgId(), userId);
                }
                changes.onNamespace(h, b.organization(), AuditActions.TEAM_MEMBER_REMOVE, details);
            }
        }
    }

    private static Binding info(DirectoryDao.Binding b) {
        return new Binding(b.organization(), b.team(), b.groupDn(), b.memberAttribute());
    }
}
