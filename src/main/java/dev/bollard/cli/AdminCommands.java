package dev.bollard.cli;

import dev.bollard.audit.Actor;
import dev.bollard.audit.AuditExport;
import dev.bollard.audit.AuditLog;
import dev.bollard.auth.DirectoryTeams;
import dev.bollard.auth.Identities;
import dev.bollard.auth.RobotCertificates;
import dev.bollard.auth.RobotTrust;
import dev.bollard.auth.SigningKeys;
import dev.bollard.auth.Users;
import dev.bollard.config.BollardConfig;
import dev.bollard.config.ConfigLoader;
import dev.bollard.error.BollardException;
import dev.bollard.error.ErrorCode;
import dev.bollard.registry.PullStats;
import dev.bollard.registry.Registry;
import dev.bollard.events.Outbox;
import dev.bollard.metadata.AuditDao;
import dev.bollard.metadata.Database;
import dev.bollard.metadata.DatabaseUnavailableException;
import dev.bollard.mirror.Mirror;
import dev.bollard.mirror.MirrorRun;
import dev.bollard.mirror.Mirrors;
import dev.bollard.oci.RepositoryName;
import dev.bollard.proxy.ProxyLimits;
import dev.bollard.proxy.ProxyOrganizations;
import dev.bollard.proxy.Upstream;
import dev.bollard.registry.RepositoryAbout;
import dev.bollard.secrets.KeyEncryption;
import java.io.BufferedReader;
import java.io.Console;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalInt;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine;

/**
 * Administration of identities, grants and signing keys, straight on the metadata database, or, while a registry
 * runs on the data directory, inside it through its {@link ControlSocket} (H2 lets one process open its file).
 * They work on an existing database only: pointed at a data directory where no registry ran, they say so rather
 * than create an empty one.
 */
final class AdminCommands {
    private AdminCommands() {
    }

    /**
     * Opens the database of the configuration, runs the work, reports problems as one line. When the registry runs
     * on the data directory and holds its embedded database, the command is sent to it through its
     * {@link ControlSocket} and runs there; inside the registry, it uses the registry's database.
     */
    abstract static class DbCommand implements Callable<Integer> {
        @CommandLine.Mixin
        Main.ConfigOptionsMixin options;

        @Spec
        CommandSpec spec;

        private @Nullable BollardConfig config;

        abstract void run(Database db) throws Exception;

        private @Nullable AuditLog audit;

        /** The configuration loaded, for commands that need more than the database; loaded before {@link #run}. */
        BollardConfig config() {
            return Objects.requireNonNull(config, "call() loads the configuration before run()");
        }

        /** Where the command prints its results. */
        PrintWriter out() {
            return spec.commandLine().getOut();
        }

        Invocation invocation() {
            return Main.of(spec);
        }

        /** Changes are audit-logged as the registry's own, run from the command line by the OS user who ran it. */
        Actor actor() {
            return Actor.system("cli:" + invocation().user());
        }

        /**
         * What the command will read from its input, read here, where the user is, before the command is sent to
         * the running registry (which has no terminal to prompt on); nothing by default.
         */
        byte[] inputForRegistry() throws IOException {
            return new byte[0];
        }

        /** The audit log of the database, for commands that change or read it. */
        AuditLog audit(Database db) {
            if (audit == null) {
                audit = new AuditLog(db, 1024);
            }
            return audit;
        }

        /** Identities administration, recorded in the audit log as done from the command line by this OS user. */
        Identities identities(Database db) {
            return new Identities(db, new Outbox(audit(db)::catchUp)).as(actor());
        }

        /** Repository mirrors, their passwords sealed with the registry's key-encryption key. */
        Mirrors mirrors(Database db) {
            return new Mirrors(db, new Outbox(audit(db)::catchUp), KeyEncryption.load(config().auth().keyEncryption()),
                    config().lifecycle().proxyUpstreamTimeout(), config().registry().maxManifestBytes());
        }

        /** Proxy organizations, their passwords sealed with the registry's key-encryption key. */
        ProxyOrganizations proxies(Database db) {
            return new ProxyOrganizations(db, new Outbox(audit(db)::catchUp),
                    KeyEncryption.load(config().auth().keyEncryption()),
                    config().lifecycle().proxyUpstreamTimeout(), config().registry().maxManifestBytes());
        }

        @Override
        public Integer call() throws Exception {
            Invocation.Hosted hosted = invocation().hosted();
            if (hosted != null) {
                config = hosted.config();
                runAudited(hosted.database());
                return 0;
            }
            BollardConfig loaded = options.options.load();
            config = loaded;
            if (!Database.exists(loaded.database())) {
                // Opening would create an empty database: a user created there could never sign in to the registry.
                throw new CliErrors.Failure(loaded.dataDir() + " holds no Bollard database (no registry has run with "
                        + "--data " + loaded.dataDir() + ")\n  give the registry's data directory with --data DIR or its "
                        + "--config FILE; a new registry begins with bollard serve (BOLLARD_ADMIN_PASSWORD creates its "
                        + "first administrator)", CliErrors.FAILED);
            }
            // A registry running here takes the command (its embedded database admits no second process).
            Path socket = ControlSocket.pathIn(loaded.dataDir());
            OptionalInt sent = ControlSocket.send(socket, spec.root().commandLine().getParseResult().originalArgs(),
                    this::inputForRegistry, invocation(), out(), spec.commandLine().getErr());
            if (sent.isPresent()) {
                return sent.getAsInt();
            }
            Database db;
            try {
                db = Database.open(loaded.database());
            } catch (DatabaseUnavailableException e) {
                throw CliErrors.databaseUnavailable(e, "is the registry running on " + loaded.dataDir() + "? A "
                        + "running registry takes these commands through " + socket + ", but nothing answers there "
                        + "(an older registry, or another program holding the database): stop it, run this command, "
                        + "then start it again");
            }
            try (db) {
                runAudited(db);
            }
            return 0;
        }

        private void runAudited(Database db) throws Exception {
            try {
                run(db);
            } finally {
                out().flush();
                if (audit != null) {
                    audit.close();
                }
            }
        }
    }

    /** How a command gets a new password: from standard input, by prompting twice, or generated and printed once. */
    static final class PasswordSource {
        @Option(names = "--password-stdin", description = "read the password from the first line of standard input")
        boolean stdin;

        @Option(names = "--generate-password", description = "generate a random password and print it once")
        boolean generate;

        /** The password; null when one is to be generated (and printed). */
        @Nullable String read(Invocation invocation) throws IOException {
            if (stdin && generate) {
                throw BollardException.invalid("choose --password-stdin or --generate-password, not both");
            }
            if (generate) {
                return null;
            }
            Console console = invocation.console();
            if (stdin || console == null) {
                String line = new BufferedReader(new InputStreamReader(invocation.in(), StandardCharsets.UTF_8)).readLine();
                if (line == null || line.isEmpty()) {
                    throw BollardException.invalid("no password on standard input (or use --generate-password)");
                }
                return line;
            }
            char[] first = console.readPassword("Password: ");
            char[] second = console.readPassword("Repeat password: ");
            if (first == null || second == null || !Arrays.equals(first, second)) {
                throw BollardException.invalid("the passwords differ");
            }
            return new String(first);
        }

        /**
         * The password, read (or prompted for) here, as the input of the command sent to the running registry;
         * nothing when it is to be generated there.
         */
        byte[] forRegistry(Invocation invocation) throws IOException {
            String password = read(invocation);
            return password == null ? new byte[0] : (password + "\n").getBytes(StandardCharsets.UTF_8);
        }
    }

    /** How the registry signs in to an upstream (a proxy organization's, a mirror's): user, password, CA bundle. */
    static final class UpstreamAccess {
        @Option(names = "--username", description = "pull as this user (default: anonymously)")
        @Nullable String username;

        @Option(names = "--password-stdin", description = "read the upstream password from the first line of standard "
                + "input (with --username; without, a stored password of the same user is kept)")
        boolean passwordStdin;

        @Option(names = "--ca-bundle", paramLabel = "FILE", description = "PEM certificates the upstream's TLS "
                + "certificate must chain to (instead of the JDK's trust store)")
        @Nullable Path caBundle;

        /** The password from standard input with --password-stdin (which needs --username); null without. */
        @Nullable String password(Invocation invocation) throws IOException {
            if (!passwordStdin) {
                return null;
            }
            String password = new BufferedReader(new InputStreamReader(invocation.in(), StandardCharsets.UTF_8))
                    .readLine();
            if (password == null || password.isEmpty() || username == null) {
                throw BollardException.invalid("--password-stdin needs --username and a password on standard input");
            }
            return password;
        }

        /** The CA bundle's PEM text, the file resolved where the user typed the command; null without. */
        @Nullable String caBundle(Invocation invocation) throws IOException {
            return caBundle == null ? null : Files.readString(invocation.resolve(caBundle));
        }
    }

    @Command(name = "user", description = "Manage users and their application tokens.",
            subcommands = {UserCreate.class, UserResetPassword.class, UserList.class, TokenCreate.class, TokenRevoke.class})
    static final class UserCommand extends CommandGroup {
    }

    @Command(name = "create", description = "Create a user (the password is "
            + "prompted for, read from standard input, or generated and printed once).")
    static final class UserCreate extends DbCommand {
        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Option(names = "--superuser", description = "may do everything, everywhere")
        boolean superuser;

        @CommandLine.Mixin
        PasswordSource password;

        @Override
        byte[] inputForRegistry() throws IOException {
            return password.forRegistry(invocation());
        }

        @Override
        void run(Database db) throws Exception {
            String given = password.read(invocation());
            boolean generated = given == null;
            String pw = given != null ? given : Users.generatePassword();
            identities(db).users().create(name, pw, superuser);
            out().println("created " + (superuser ? "superuser " : "user ") + name);
            if (generated) {
                out().println("password (shown once): " + pw);
            }
        }
    }

    @Command(name = "reset-password", description = "Set a new password (prompted, from standard input, or generated); revokes refresh tokens.")
    static final class UserResetPassword extends DbCommand {
        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @CommandLine.Mixin
        PasswordSource password;

        @Override
        byte[] inputForRegistry() throws IOException {
            return password.forRegistry(invocation());
        }

        @Override
        void run(Database db) throws Exception {
            String given = password.read(invocation());
            boolean generated = given == null;
            String pw = given != null ? given : Users.generatePassword();
            identities(db).users().resetPassword(name, pw);
            out().println("password of " + name + " changed");
            if (generated) {
                out().println("password (shown once): " + pw);
            }
        }
    }

    @Command(name = "list", description = "List users.")
    static final class UserList extends DbCommand {
        @Override
        void run(Database db) {
            identities(db).users().names().forEach(out()::println);
        }
    }

    @Command(name = "create-token", description = "Create an application token for a user (a password replacement for clients); printed once.")
    static final class TokenCreate extends DbCommand {
        @Parameters(index = "0", paramLabel = "USER")
        String user;

        @Parameters(index = "1", paramLabel = "TOKEN-NAME")
        String tokenName;

        @Override
        void run(Database db) {
            String token = identities(db).appTokens().create(user, tokenName);
            out().println("application token '" + tokenName + "' of " + user + " (shown once):");
            out().println(token);
        }
    }

    @Command(name = "revoke-token", description = "Revoke an application token.")
    static final class TokenRevoke extends DbCommand {
        @Parameters(index = "0", paramLabel = "USER")
        String user;

        @Parameters(index = "1", paramLabel = "TOKEN-NAME")
        String tokenName;

        @Override
        void run(Database db) {
            if (!identities(db).appTokens().revoke(user, tokenName)) {
                throw BollardException.notFound(user + " has no application token '" + tokenName + "'");
            }
            out().println("revoked");
        }
    }

    @Command(name = "org", description = "Manage organizations.",
            subcommands = {OrgCreate.class, OrgMember.class, OrgProxy.class, OrgProxyRemove.class})
    static final class OrgCommand extends CommandGroup {
    }

    @Command(name = "create", description = "Create an organization.")
    static final class OrgCreate extends DbCommand {
        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Option(names = "--owner", required = true, paramLabel = "USER", description = "its first owner")
        String owner;

        @Override
        void run(Database db) {
            identities(db).organizations().create(name, owner);
            out().println("created organization " + name + " owned by " + owner);
        }
    }

    @Command(name = "member", description = "Add a user to an organization, or change their role (owner, admin, member).")
    static final class OrgMember extends DbCommand {
        @Parameters(index = "0", paramLabel = "ORG")
        String org;

        @Parameters(index = "1", paramLabel = "USER")
        String user;

        @Option(names = "--role", defaultValue = "member", description = "owner, admin or member (default member)")
        String role;

        @Override
        void run(Database db) {
            identities(db).organizations().setMember(org, user, role);
            out().println(user + " is " + role + " of " + org);
        }
    }

    @Command(name = "proxy", description = "Make an organization a proxy (pull-through cache) of an upstream registry, "
            + "or change its upstream (docs/proxy-and-mirroring.md).")
    static final class OrgProxy extends DbCommand {
        @Parameters(index = "0", paramLabel = "ORG")
        String org;

        @Option(names = "--url", required = true, description = "the upstream, e.g. https://registry-1.docker.io")
        String url;

        @Option(names = "--prefix", defaultValue = "", description = "the upstream namespace ORG/x stands for (x is "
                + "PREFIX/x upstream)")
        String prefix;

        @Option(names = "--library-names", negatable = true, description = "a single name is library/NAME upstream "
                + "(default: on for Docker Hub)")
        @Nullable Boolean libraryNames;

        @CommandLine.Mixin
        UpstreamAccess upstream = new UpstreamAccess();

        @Option(names = "--tag-check-interval", paramLabel = "DURATION", defaultValue = "5m",
                converter = DurationOption.class, description = "how often a tag is compared with the upstream at most, "
                + "e.g. 90s, 5m, 1h (default 5m)")
        Duration tagCheckInterval;

        @Option(names = "--fallback", paramLabel = "URL", description = "a further upstream of the same content, tried "
                + "in order when the first fails (repeatable)")
        List<String> fallbacks = List.of();

        @Option(names = "--cache-max-bytes", paramLabel = "N", description = "evict the least recently pulled images "
                + "when the cache holds more than N bytes (default: no limit)")
        @Nullable Long cacheMaxBytes;

        @Option(names = "--cache-expiry-days", paramLabel = "N", description = "evict images not pulled for N days "
                + "(default: never)")
        @Nullable Integer cacheExpiryDays;

        @Option(names = "--rate-limit-per-second", paramLabel = "N", description = "send at most N requests a second "
                + "to each upstream (default: no limit)")
        @Nullable Integer ratePerSecond;

        @Option(names = "--rate-limit-per-minute", paramLabel = "N", description = "send at most N requests a minute "
                + "to each upstream (default: no limit)")
        @Nullable Integer ratePerMinute;

        @Override
        byte[] inputForRegistry() throws IOException {
            return upstream.passwordStdin ? invocation().in().readAllBytes() : new byte[0];
        }

        @Override
        void run(Database db) throws IOException {
            Upstream set = proxies(db).set(actor(), org, new ProxyOrganizations.Spec(url, prefix, libraryNames,
                    upstream.username, upstream.password(invocation()), upstream.caBundle(invocation()), tagCheckInterval, fallbacks,
                    new ProxyLimits(cacheMaxBytes, cacheExpiryDays, ratePerSecond, ratePerMinute)));
            out().println(org + " is a proxy of " + set.url() + (set.prefix().isEmpty() ? "" : " under "
                    + set.prefix()) + (set.username() == null ? ", pulling anonymously" : ", pulling as "
                    + set.username()) + "; tags checked at most every " + ConfigLoader.formatDuration(set.tagCheckInterval()));
        }
    }

    @Command(name = "proxy-remove", description = "Make a proxy organization an ordinary one (what it cached stays).")
    static final class OrgProxyRemove extends DbCommand {
        @Parameters(index = "0", paramLabel = "ORG")
        String org;

        @Override
        void run(Database db) {
            proxies(db).delete(actor(), org);
            out().println(org + " is no proxy organization any more");
        }
    }

    @Command(name = "team", description = "Manage the teams of organizations, and bind them to directory groups.",
            subcommands = {TeamCommands.TeamCreate.class, TeamCommands.TeamDelete.class, TeamCommands.TeamList.class,
                TeamCommands.TeamAddMember.class, TeamCommands.TeamRemoveMember.class, TeamCommands.TeamMembers.class,
                TeamBindGroup.class, TeamUnbindGroup.class, TeamListGroups.class})
    static final class TeamCommand extends CommandGroup {
    }

    @Command(name = "bind-group", description = "Bind a team to a directory group: its directory users follow the "
            + "group's members (nested groups included) from each login and the periodic sync.")
    static final class TeamBindGroup extends DbCommand {
        @Parameters(index = "0", paramLabel = "ORG")
        String org;

        @Parameters(index = "1", paramLabel = "TEAM")
        String team;

        @Parameters(index = "2", paramLabel = "GROUP-DN")
        String groupDn;

        @Option(names = "--member-attribute", defaultValue = "member",
                description = "member, uniqueMember or memberUid (default member)")
        String memberAttribute;

        @Option(names = "--oidc", paramLabel = "PROVIDER", description = "bind to a value of this OIDC provider's "
                + "groups claim (GROUP-DN is then that value, e.g. a Keycloak group name) instead of an LDAP group")
        @Nullable String oidcProvider;

        @Override
        void run(Database db) {
            if (oidcProvider != null) {
                identities(db).directoryTeams().bindClaim(org, team, oidcProvider, groupDn);
                out().println("team " + org + "/" + team + " follows " + oidcProvider + "'s group " + groupDn);
                return;
            }
            identities(db).directoryTeams().bind(org, team, groupDn, memberAttribute);
            out().println("team " + org + "/" + team + " follows " + groupDn + " (" + memberAttribute + ")");
        }
    }

    @Command(name = "unbind-group", description = "Unbind a team from its directory group; its members stay.")
    static final class TeamUnbindGroup extends DbCommand {
        @Parameters(index = "0", paramLabel = "ORG")
        String org;

        @Parameters(index = "1", paramLabel = "TEAM")
        String team;

        @Option(names = "--oidc", description = "unbind the team from its OIDC group (bound with bind-group --oidc) "
                + "instead of its LDAP group")
        boolean oidc;

        @Override
        void run(Database db) {
            if (oidc) {
                if (!identities(db).directoryTeams().unbindClaim(org, team)) {
                    throw new CliErrors.Failure("team " + org + "/" + team + " is not bound to an OIDC group",
                            CliErrors.FAILED);
                }
                out().println("team " + org + "/" + team + " follows no OIDC group");
                return;
            }
            if (!identities(db).directoryTeams().unbind(org, team)) {
                throw new CliErrors.Failure("team " + org + "/" + team + " is not bound to a directory group",
                        CliErrors.FAILED);
            }
            out().println("team " + org + "/" + team + " follows no directory group");
        }
    }

    @Command(name = "list-groups", description = "List the teams bound to directory groups.")
    static final class TeamListGroups extends DbCommand {
        @Override
        void run(Database db) {
            for (DirectoryTeams.Binding b : identities(db).directoryTeams().bindings()) {
                out().println(b.organization() + "/" + b.team() + "\t" + b.groupDn() + "\t" + b.memberAttribute());
            }
            // OIDC bindings: the provider stands where an LDAP binding has its member attribute.
            for (DirectoryTeams.Binding b : identities(db).directoryTeams().claimBindings()) {
                out().println(b.organization() + "/" + b.team() + "\t" + b.groupDn() + "\toidc:" + b.memberAttribute());
            }
        }
    }

    @Command(name = "robot", description = "Manage robot accounts (OWNER+NAME).",
            subcommands = {RobotCreate.class, RobotRegenerate.class, RobotDelete.class, RobotTrustAdd.class,
                RobotTrustList.class, RobotUntrust.class, RobotCertCommand.class})
    static final class RobotCommand extends CommandGroup {
    }

    @Command(name = "cert", description = "Client certificates (mTLS) bound to a robot: a client presenting one over "
            + "TLS (server.tls.client-auth) gets the robot's access without a password.",
            subcommands = {RobotCertAdd.class, RobotCertList.class, RobotCertRemove.class})
    static final class RobotCertCommand extends CommandGroup {
    }

    @Command(name = "add", description = "Bind the client certificate in a PEM file to a robot.")
    static final class RobotCertAdd extends DbCommand {
        @Parameters(index = "0", paramLabel = "OWNER+NAME")
        String robot;

        @Parameters(index = "1", paramLabel = "CERTIFICATE.pem")
        Path file;

        @Override
        void run(Database db) {
            String pem;
            try {
                // Where the user typed the command: a command sent to the running registry is run there.
                pem = Files.readString(invocation().resolve(file), StandardCharsets.US_ASCII);
            } catch (IOException e) {
                throw new CliErrors.Failure("cannot read " + file + ": " + e.getMessage(), CliErrors.FAILED);
            }
            RobotCertificates.Binding b = identities(db).robotCertificates().add(robot, pem);
            out().println("bound " + b.subject() + " (SHA-256 " + b.fingerprint() + ", valid until " + b.notAfter()
                    + ") to " + robot);
        }
    }

    @Command(name = "list", description = "List the client certificates bound to a robot.")
    static final class RobotCertList extends DbCommand {
        @Parameters(index = "0", paramLabel = "OWNER+NAME")
        String robot;

        @Override
        void run(Database db) {
            for (RobotCertificates.Binding b : identities(db).robotCertificates().list(robot)) {
                out().println(b.fingerprint() + "\t" + b.notAfter() + "\t" + b.subject());
            }
        }
    }

    @Command(name = "remove", description = "Unbind a client certificate from a robot (by the SHA-256 fingerprint "
            + "list shows, or as openssl x509 -fingerprint -sha256 prints it).")
    static final class RobotCertRemove extends DbCommand {
        @Parameters(index = "0", paramLabel = "OWNER+NAME")
        String robot;

        @Parameters(index = "1", paramLabel = "FINGERPRINT")
        String fingerprint;

        @Override
        void run(Database db) {
            if (!identities(db).robotCertificates().remove(robot, fingerprint)) {
                throw new CliErrors.Failure("no certificate " + fingerprint + " is bound to " + robot, CliErrors.FAILED);
            }
            out().println("unbound " + RobotCertificates.normalize(fingerprint) + " from " + robot);
        }
    }

    @Command(name = "create", description = "Create robot OWNER+NAME owned by a user or organization; its token is printed once.")
    static final class RobotCreate extends DbCommand {
        @Parameters(index = "0", paramLabel = "OWNER")
        String owner;

        @Parameters(index = "1", paramLabel = "NAME")
        String name;

        @Override
        void run(Database db) {
            String token = identities(db).robots().create(owner, name);
            out().println("robot " + owner + "+" + name + ", token (shown once):");
            out().println(token);
        }
    }

    @Command(name = "regenerate", description = "Replace a robot's token (the old one stops working); the new one is printed once.")
    static final class RobotRegenerate extends DbCommand {
        @Parameters(index = "0", paramLabel = "OWNER+NAME")
        String robot;

        @Override
        void run(Database db) {
            String token = identities(db).robots().regenerateToken(robot);
            out().println("new token of " + robot + " (shown once):");
            out().println(token);
        }
    }

    @Command(name = "delete", description = "Delete a robot and its grants.")
    static final class RobotDelete extends DbCommand {
        @Parameters(index = "0", paramLabel = "OWNER+NAME")
        String robot;

        @Override
        void run(Database db) {
            identities(db).robots().delete(robot);
            out().println("deleted " + robot);
        }
    }

    @Command(name = "trust", description = "Make a robot keyless: it accepts ID tokens of an external OIDC issuer "
            + "(GitHub Actions, GitLab CI, Kubernetes, Keycloak) whose subject and claims match, as its password.")
    static final class RobotTrustAdd extends DbCommand {
        @Parameters(index = "0", paramLabel = "OWNER+NAME")
        String robot;

        @Option(names = "--issuer", required = true, description = "the token's iss, e.g. https://token.actions.githubusercontent.com")
        String issuer;

        @Option(names = "--subject", required = true, description = "the token's sub exactly, or a prefix ending in *")
        String subject;

        @Option(names = "--audience", description = "the value the token's aud must hold (default the registry's "
                + "service name, auth.service)")
        @Nullable String audience;

        @Option(names = "--claim", paramLabel = "NAME=VALUE", description = "a further claim that must hold VALUE (repeatable)")
        List<String> claims = new ArrayList<>();

        @Override
        void run(Database db) {
            Map<String, String> wanted = new LinkedHashMap<>();
            for (String c : claims) {
                int eq = c.indexOf('=');
                if (eq <= 0) {
                    throw new CliErrors.Failure("--claim takes NAME=VALUE, not '" + c + "'", CliErrors.FAILED);
                }
                wanted.put(c.substring(0, eq), c.substring(eq + 1));
            }
            RobotTrust.Rule rule = identities(db).robotTrust().add(robot, issuer, subject,
                    audience == null ? config().auth().service() : audience, wanted);
            out().println("rule " + rule.id() + ": " + robot + " accepts tokens of " + rule.issuer() + " for "
                    + rule.audience() + " with subject " + rule.subject() + (wanted.isEmpty() ? "" : " and " + wanted));
        }
    }

    @Command(name = "trust-list", description = "List a robot's trust rules.")
    static final class RobotTrustList extends DbCommand {
        @Parameters(index = "0", paramLabel = "OWNER+NAME")
        String robot;

        @Override
        void run(Database db) {
            for (RobotTrust.Rule r : identities(db).robotTrust().list(robot)) {
                out().println(r.id() + "\t" + r.issuer() + "\t" + r.audience() + "\t" + r.subject() + "\t" + r.claims());
            }
        }
    }

    @Command(name = "untrust", description = "Remove a robot's trust rule (by the id trust-list shows).")
    static final class RobotUntrust extends DbCommand {
        @Parameters(index = "0", paramLabel = "OWNER+NAME")
        String robot;

        @Parameters(index = "1", paramLabel = "RULE-ID")
        long id;

        @Override
        void run(Database db) {
            if (!identities(db).robotTrust().remove(robot, id)) {
                throw new CliErrors.Failure(robot + " has no trust rule " + id, CliErrors.FAILED);
            }
            out().println("removed rule " + id + " of " + robot);
        }
    }

    @Command(name = "repo", description = "Repository permissions, visibility, description and labels.",
            subcommands = {RepoGrant.class, RepoRevoke.class, RepoVisibility.class, RepoDescribe.class,
                    RepoLabel.class, RepoPulls.class, RepoMirror.class,
                    RepoMirrorRemove.class, RepoMirrorSync.class, RepoMirrorStatus.class})
    static final class RepoCommand extends CommandGroup {
    }

    @Command(name = "grant", description = "Grant read, write or admin on a repository to a robot (OWNER+NAME), a user, "
            + "or (--team) a team of the repository's organization.")
    static final class RepoGrant extends DbCommand {
        @Parameters(index = "0", paramLabel = "REPOSITORY")
        String repository;

        @Parameters(index = "1", paramLabel = "GRANTEE")
        String grantee;

        @Parameters(index = "2", paramLabel = "ROLE", description = "read, write or admin")
        String role;

        @Option(names = "--team", description = "GRANTEE is a team of the repository's organization")
        boolean team;

        @Override
        void run(Database db) {
            if (team) {
                identities(db).repositories().grantTeam(repository, grantee, role);
                out().println("team " + grantee + " may " + role + " " + repository);
                return;
            }
            identities(db).repositories().grant(repository, grantee, role);
            out().println(grantee + " may " + role + " " + repository);
        }
    }

    @Command(name = "revoke", description = "Remove a grant.")
    static final class RepoRevoke extends DbCommand {
        @Parameters(index = "0", paramLabel = "REPOSITORY")
        String repository;

        @Parameters(index = "1", paramLabel = "GRANTEE")
        String grantee;

        @Option(names = "--team", description = "GRANTEE is a team of the repository's organization")
        boolean team;

        @Override
        void run(Database db) {
            boolean revoked = team ? identities(db).repositories().revoke(repository, "team", grantee)
                    : identities(db).repositories().revoke(repository, grantee);
            out().println(revoked ? "revoked" : "there was no such grant");
        }
    }

    @Command(name = "visibility", description = "Make a repository public (anyone may pull) or private (the default).")
    static final class RepoVisibility extends DbCommand {
        @Parameters(index = "0", paramLabel = "REPOSITORY")
        String repository;

        @Parameters(index = "1", paramLabel = "public|private")
        String visibility;

        @Override
        void run(Database db) {
            if (!visibility.equals("public") && !visibility.equals("private")) {
                throw BollardException.invalid("visibility is public or private, not '" + visibility + "'");
            }
            identities(db).repositories().setVisibility(repository, visibility.equals("public"));
            out().println(repository + " is " + visibility);
        }
    }

    /** A repository's description and labels, changes recorded as made from the command line. */
    abstract static class AboutCommand extends DbCommand {
        @Parameters(index = "0", paramLabel = "REPOSITORY")
        String repository;

        abstract void runAbout(Database db) throws IOException;

        /** As {@link #runAbout}; a repository that does not exist yet is refused with how to create it. */
        @Override
        final void run(Database db) throws IOException {
            try {
                runAbout(db);
            } catch (BollardException e) {
                throw e.code() == ErrorCode.NAME_UNKNOWN ? notKnown(e, repository) : e;
            }
        }

        RepositoryAbout about(Database db) {
            return new RepositoryAbout(db, new Outbox(audit(db)::catchUp));
        }

        RepositoryName name() {
            if (!RepositoryName.isValid(repository)) {
                throw BollardException.invalid("'" + repository + "' is not a valid repository name");
            }
            return new RepositoryName(repository);
        }
    }

    @Command(name = "describe", description = "Set a repository's description (Markdown, at most 32768 characters) "
            + "from a file or standard input, or remove it; without an option, print it.")
    static final class RepoDescribe extends AboutCommand {
        @Option(names = "--file", paramLabel = "FILE", description = "read the Markdown from FILE (e.g. README.md)")
        @Nullable Path file;

        @Option(names = "--stdin", description = "read the Markdown from standard input")
        boolean stdin;

        @Option(names = "--clear", description = "remove the description")
        boolean clear;

        @Override
        byte[] inputForRegistry() throws IOException {
            return stdin ? invocation().in().readAllBytes() : new byte[0];
        }

        @Override
        void runAbout(Database db) throws IOException {
            if ((file != null ? 1 : 0) + (stdin ? 1 : 0) + (clear ? 1 : 0) > 1) {
                throw BollardException.invalid("choose one of --file, --stdin and --clear");
            }
            RepositoryName name = name();
            if (file == null && !stdin && !clear) {
                String description = about(db).of(name).description();
                out().println(description.isEmpty() ? name + " has no description" : description);
                return;
            }
            String markdown = clear ? "" : file != null ? Files.readString(invocation().resolve(file))
                    : new String(invocation().in().readAllBytes(), StandardCharsets.UTF_8);
            about(db).describe(actor(), name, markdown.replace("\r\n", "\n"));
            out().println(clear ? "removed the description of " + name
                    : "set the description of " + name + " (" + markdown.length() + " characters)");
        }
    }

    @Command(name = "label", description = "Replace a repository's labels (KEY=VALUE or WORD, at most 20), or remove "
            + "them with --clear; without labels, print them.")
    static final class RepoLabel extends AboutCommand {
        @Parameters(index = "1..*", paramLabel = "LABEL", arity = "0..*", description = "KEY=VALUE or WORD")
        List<String> labels = new ArrayList<>();

        @Option(names = "--clear", description = "remove every label")
        boolean clear;

        @Override
        void runAbout(Database db) {
            RepositoryName name = name();
            if (clear && !labels.isEmpty()) {
                throw BollardException.invalid("give labels or --clear, not both");
            }
            if (!clear && labels.isEmpty()) {
                List<RepositoryAbout.Label> current = about(db).of(name).labels();
                if (current.isEmpty()) {
                    out().println(name + " has no labels");
                }
                current.forEach(out()::println);
                return;
            }
            List<RepositoryAbout.Label> parsed = RepositoryAbout.parseLabels(labels);
            about(db).label(actor(), name, parsed);
            out().println(parsed.isEmpty() ? "removed the labels of " + name : name + " is labelled "
                    + String.join(", ", parsed.stream().map(RepositoryAbout.Label::toString).toList()));
        }
    }

    /**
     * The refusal of a change to a repository that does not exist yet, saying how one comes to exist: the registry
     * creates a repository on its first push, or on a grant.
     */
    static CliErrors.Failure notKnown(BollardException e, String repository) {
        return new CliErrors.Failure(e.getMessage() + "\n  a repository is created by the first push to it, or by "
                + "granting on it: bollard repo grant " + repository + " USER|OWNER+ROBOT read|write|admin",
                CliErrors.FAILED);
    }

    @Command(name = "pulls", description = "Show how often a repository and each of its tags were pulled, and when last "
            + "(manifest pulls; a running registry adds its counts every registry.pull-stats-flush-interval).")
    static final class RepoPulls extends LifecycleCommands.RegistryCommand {
        @Parameters(index = "0", paramLabel = "REPOSITORY")
        String repository;

        @Option(names = "--days", description = "also print the pulls of each of the last 30 days (UTC)")
        boolean days;

        @Override
        void run(Registry registry, Database db) {
            if (registry.browser().repository(repository).isEmpty()) {
                throw notKnown(new BollardException(ErrorCode.NAME_UNKNOWN, "repository " + repository
                        + " not known to registry", Map.of("name", repository)), repository);
            }
            PullStats pulls = registry.pulls();
            out().println(repository + ": " + pulled(pulls.ofRepository(repository)));
            pulls.ofTags(repository).forEach((tag, count) -> out().println("  " + tag + ": " + pulled(count)));
            if (days) {
                for (PullStats.Day d : pulls.daily(repository, LocalDate.now(ZoneOffset.UTC))) {
                    out().println("  " + d.day() + " " + d.pulls());
                }
            }
        }

        /** "pulled 3 times, last 2026-12-07T19:30:12Z" or "never pulled". */
        private static String pulled(PullStats.Count count) {
            Instant last = count.lastPulledAt();
            return last == null ? "never pulled" : "pulled " + count.pulls() + (count.pulls() == 1 ? " time" : " times")
                    + ", last " + last.truncatedTo(ChronoUnit.SECONDS);
        }
    }

    @Command(name = "mirror", description = "Make a repository a mirror of an upstream repository, synced on a "
            + "schedule, or change it (docs/proxy-and-mirroring.md). Setting it makes it due at once.")
    static final class RepoMirror extends DbCommand {
        @Parameters(index = "0", paramLabel = "REPOSITORY")
        String repository;

        @Option(names = "--url", required = true, description = "the upstream registry, e.g. https://quay.io")
        String url;

        @Option(names = "--upstream-repository", required = true, paramLabel = "NAME",
                description = "the repository upstream, e.g. prometheus/node-exporter")
        String upstreamRepository;

        @CommandLine.Mixin
        UpstreamAccess upstream = new UpstreamAccess();

        @Option(names = "--interval", paramLabel = "DURATION", defaultValue = "1h", converter = DurationOption.class,
                description = "time between syncs, e.g. 30m, 6h, 1d (default 1h)")
        Duration interval;

        @Option(names = "--cron", paramLabel = "EXPRESSION", description = "sync on this cron schedule instead of the "
                + "interval: five fields, in UTC, e.g. '0 3 * * *' (every day at 03:00)")
        @Nullable String cron;

        @Option(names = "--tag", paramLabel = "GLOB", description = "copy the tags matching this glob (repeatable; "
                + "default: every tag)")
        List<String> tagGlobs = List.of();

        @Option(names = "--tag-regex", paramLabel = "REGEX", description = "copy only the tags this regular expression "
                + "matches whole")
        @Nullable String tagRegex;

        @Option(names = "--tag-semver", paramLabel = "RANGE", description = "copy only the tags that are versions in "
                + "this semantic-version range, e.g. '>=1.2 <2', '^1.4' (with --newest: the N highest versions)")
        @Nullable String tagSemver;

        @Option(names = "--newest", paramLabel = "N", description = "of the tags selected, only the last N in the "
                + "upstream's order")
        @Nullable Integer newest;

        @Option(names = "--arch", paramLabel = "ARCH", description = "keep this architecture of a multi-platform image "
                + "(repeatable, e.g. amd64, arm64, arm/v7; default: all)")
        List<String> architectures = List.of();

        @Option(names = "--mirror-deletions", description = "delete local tags the upstream no longer has (or the "
                + "filters no longer select)")
        boolean mirrorDeletions;

        @Option(names = "--concurrency", defaultValue = "4", description = "tags copied at once (default 4)")
        int concurrency;

        @Option(names = "--disabled", description = "keep the settings but do not sync")
        boolean disabled;

        @Override
        byte[] inputForRegistry() throws IOException {
            return upstream.passwordStdin ? invocation().in().readAllBytes() : new byte[0];
        }

        @Override
        void run(Database db) throws IOException {
            Mirror set = mirrors(db).set(actor(), BollardException.parsed(() -> new RepositoryName(repository)),
                    new Mirrors.Spec(url, upstreamRepository, upstream.username, upstream.password(invocation()),
                            upstream.caBundle(invocation()),
                            interval, tagGlobs, tagRegex, newest, architectures,
                            mirrorDeletions, concurrency, !disabled, cron, tagSemver));
            out().println(repository + " mirrors " + set.url() + set.upstreamRepository()
                    + (set.username() == null ? ", pulling anonymously" : ", pulling as " + set.username())
                    + (set.cron() == null ? ", every " + ConfigLoader.formatDuration(set.interval())
                            : ", on the schedule '" + set.cron() + "' (UTC)") + (set.enabled() ? "" : " (disabled)"));
        }
    }

    @Command(name = "mirror-remove", description = "Stop mirroring a repository (what it copied stays; it takes "
            + "pushes again).")
    static final class RepoMirrorRemove extends DbCommand {
        @Parameters(index = "0", paramLabel = "REPOSITORY")
        String repository;

        @Override
        void run(Database db) {
            mirrors(db).delete(actor(), BollardException.parsed(() -> new RepositoryName(repository)));
            out().println(repository + " is no mirror any more");
        }
    }

    @Command(name = "mirror-sync", description = "Sync a mirror now (a running registry's next look for due "
            + "mirrors, within seconds, starts it).")
    static final class RepoMirrorSync extends DbCommand {
        @Parameters(index = "0", paramLabel = "REPOSITORY")
        String repository;

        @Override
        void run(Database db) {
            mirrors(db).syncNow(actor(), BollardException.parsed(() -> new RepositoryName(repository)));
            out().println(repository + " syncs now");
        }
    }

    @Command(name = "mirror-status", description = "A mirror's settings and its last syncs.")
    static final class RepoMirrorStatus extends DbCommand {
        @Parameters(index = "0", paramLabel = "REPOSITORY")
        String repository;

        @Option(names = "--runs", defaultValue = "5", description = "how many syncs to show (default 5)")
        int runs;

        @Override
        void run(Database db) {
            RepositoryName name = BollardException.parsed(() -> new RepositoryName(repository));
            Mirror m = mirrors(db).get(name);
            out().println(repository + " mirrors " + m.url() + m.upstreamRepository() + (m.enabled() ? "" : " (disabled)")
                    + (m.cron() == null ? "" : " on the schedule '" + m.cron() + "' (UTC)") + "; next sync " + m.nextRun());
            for (MirrorRun run : mirrors(db).runs(name, runs)) {
                var r = run.describe();
                out().println("  #" + r.get("id") + " " + r.get("status") + " " + r.get("started_at")
                        + (r.get("duration_ms") == null ? "" : " " + r.get("duration_ms") + " ms")
                        + ": " + r.get("tags_copied") + " copied, " + r.get("tags_unchanged") + " unchanged, "
                        + r.get("tags_failed") + " failed, " + r.get("tags_deleted") + " deleted, " + r.get("bytes")
                        + " bytes" + (r.get("message") == null ? "" : " — " + r.get("message")));
                for (var f : run.failures()) {
                    out().println("    " + f.get("tag") + ": " + f.get("reason"));
                }
            }
        }
    }

    @Command(name = "audit", description = "The audit log.",
            subcommands = {AuditVerify.class, AuditExportCommand.class, AuditPrune.class})
    static final class AuditCommand extends CommandGroup {
    }

    @Command(name = "verify", description = "Check the audit log's hash chain: "
            + "exit 0 when intact, 1 naming every entry edited or deleted.")
    static final class AuditVerify extends DbCommand {
        @Override
        void run(Database db) {
            AuditLog.Verification v = audit(db).verify();
            if (v.intact()) {
                out().println("audit log intact: " + v.checked() + " entries (" + v.firstSeq() + " to "
                        + v.lastSeq() + ")");
                return;
            }
            v.problems().forEach(p -> out().println("TAMPERED: " + p));
            // The log's integrity is broken: a failure of what the registry stores, not of the command.
            throw new BollardException(ErrorCode.INTERNAL, "the audit log was tampered with: " + v.problems().size()
                    + " problem(s) in entries " + v.firstSeq() + " to " + v.lastSeq());
        }
    }

    @Command(name = "export", description = "Write the audit log, oldest first, "
            + "to standard output as JSON lines or CSV.")
    static final class AuditExportCommand extends DbCommand {
        @Option(names = "--format", defaultValue = "jsonl", description = "jsonl (default) or csv")
        String format;

        @Override
        void run(Database db) throws IOException {
            if (!format.equals("jsonl") && !format.equals("csv")) {
                throw BollardException.invalid("--format is jsonl or csv, not '" + format + "'");
            }
            PrintWriter out = out();
            if (format.equals("csv")) {
                out.print(AuditExport.CSV_HEADER);
            }
            audit(db).forEachPage(AuditDao.Filter.ALL, page -> page.forEach(
                    e -> out.print(format.equals("csv") ? AuditExport.csvRow(e) : AuditExport.jsonLine(e))));
            out.flush();
        }
    }

    @Command(name = "prune", description = "Delete audit log entries older than "
            + "the given age now (the registry does it hourly with audit.retention); the chain stays verifiable.")
    static final class AuditPrune extends DbCommand {
        @Option(names = "--older-than", required = true, paramLabel = "DAYS", description = "age in days")
        int days;

        @Override
        void run(Database db) {
            if (days < 0) {
                throw BollardException.invalid("--older-than must not be negative");
            }
            int pruned = audit(db).prune(Instant.now().minus(Duration.ofDays(days)));
            out().println("pruned " + pruned + " audit log entries");
        }
    }

    @Command(name = "keys", description = "Token signing keys.", subcommands = {KeysRotate.class, KeysList.class})
    static final class KeysCommand extends CommandGroup {
    }

    @Command(name = "rotate", description = "Create a new signing key; the old one "
            + "keeps verifying tokens for 2 hours.")
    static final class KeysRotate extends DbCommand {
        @Option(names = "--forget-unreadable", description = "First delete the signing keys that no configured "
                + "key-encryption key decrypts (after losing it); tokens they signed are refused, clients log in again.")
        boolean forgetUnreadable;

        @Override
        void run(Database db) {
            SigningKeys keys = new SigningKeys(db, config().auth().keyEncryption(), Clock.systemUTC());
            if (forgetUnreadable) {
                List<String> forgotten = keys.forgetUnreadable();
                out().println("deleted " + forgotten.size() + " signing key(s) that could not be decrypted"
                        + (forgotten.isEmpty() ? "" : ": " + String.join(", ", forgotten)));
            }
            out().println("new signing key " + keys.rotate());
        }
    }

    @Command(name = "list", description = "List the signing keys.")
    static final class KeysList extends DbCommand {
        @Override
        void run(Database db) {
            new SigningKeys(db, config().auth().keyEncryption(), Clock.systemUTC()).describe().forEach(out()::println);
        }
    }
}
