package dev.bollard.cli;

import dev.bollard.events.Outbox;
import dev.bollard.metadata.Database;
import dev.bollard.scan.policy.PolicyScope;
import dev.bollard.scan.policy.PullPolicies;
import dev.bollard.scan.policy.PullPolicy;
import java.io.PrintWriter;
import java.time.Clock;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code bollard scan policy …}: the vulnerability pull policy of an organization ({@code acme}) or a repository
 * ({@code acme/app}), its allow-list and bypass grants (docs/scanning.md, "Pull policy"). While the registry runs, a
 * change made here reaches its pulls within {@link PullPolicies#REFRESH}.
 */
final class ScanPolicyCommands {
    private ScanPolicyCommands() {
    }

    private static final String SCOPE = "an organization (acme) or a repository (acme/app)";

    @Command(name = "policy", description = "The vulnerability pull policy of an organization or a repository: pulls "
            + "of images with fixable vulnerabilities of a severity or above are refused (403 DENIED).",
            subcommands = {Set.class, Show.class, Remove.class, AllowCommand.class, BypassCommand.class})
    static final class Policy extends CommandGroup {
    }

    /** A policy command: the scope it is about and the policies, changes audited as this OS user's. */
    abstract static class PolicyCommand extends AdminCommands.DbCommand {
        @Parameters(index = "0", paramLabel = "ORG|REPOSITORY", description = SCOPE)
        String scope;

        PullPolicies policies(Database db) {
            return new PullPolicies(db, new Outbox(audit(db)::catchUp), Clock.systemUTC());
        }

        PolicyScope scope() {
            return PolicyScope.parse(scope);
        }

        void print(PullPolicies.Settings s) {
            PrintWriter out = out();
            PullPolicy own = s.policy();
            PullPolicy effective = s.effective();
            if (own != null) {
                out.println(s.scope() + ": blocks " + own.describe() + " (set by " + own.updatedBy() + " at "
                        + own.updatedAt() + ")");
            } else if (effective != null) {
                out.println(s.scope() + ": no policy of its own; the policy of " + effective.scope() + " applies: it "
                        + "blocks " + effective.describe());
            } else {
                out.println(s.scope() + ": no vulnerability pull policy");
            }
            for (PullPolicies.AllowEntry e : s.allowList()) {
                out.println("  allowed " + e.vulnId() + " until " + e.expiresAt()
                        + (e.reason() == null ? "" : ": " + e.reason()) + " (by " + e.createdBy() + ")");
            }
            for (PullPolicies.Bypass b : s.bypass()) {
                out.println("  bypass  " + b.principal() + " (by " + b.createdBy() + ")");
            }
        }
    }

    @Command(name = "set", description = "Set the policy: refuse pulls of images with fixable vulnerabilities of "
            + "--severity or above (a repository's policy replaces its organization's).")
    static final class Set extends PolicyCommand {
        @Option(names = "--severity", required = true, paramLabel = "unknown|low|medium|high|critical",
                description = "the lowest severity that blocks; unknown blocks every fixable finding, also those "
                        + "whose data states no severity (Debian's advisories)")
        String severity;

        @Option(names = "--block-unscanned", description = "also refuse images not scanned (yet), or whose scan "
                + "failed (default: they are pulled)")
        boolean blockUnscanned;

        @Override
        void run(Database db) {
            print(policies(db).set(actor(), scope(), PullPolicy.threshold(severity), blockUnscanned));
        }
    }

    @Command(name = "show", description = "Show the policy, the one that applies, the allow-list and bypass grants.")
    static final class Show extends PolicyCommand {
        @Override
        void run(Database db) {
            print(policies(db).settings(scope()));
        }
    }

    @Command(name = "remove", description = "Remove the policy (its allow-list and bypass grants stay).")
    static final class Remove extends PolicyCommand {
        @Override
        void run(Database db) {
            print(policies(db).delete(actor(), scope()));
        }
    }

    @Command(name = "allow", description = "The allow-list: vulnerabilities that do not block until they expire.",
            subcommands = {AllowAdd.class, AllowRemove.class})
    static final class AllowCommand extends CommandGroup {
    }

    @Command(name = "add", description = "Allow a vulnerability (a CVE or advisory id) until --expires.")
    static final class AllowAdd extends PolicyCommand {
        @Parameters(index = "1", paramLabel = "VULNERABILITY", description = "CVE-2024-6387, DSA-5514-1 …")
        String vulnerability;

        @Option(names = "--expires", required = true, paramLabel = "DATE|TIME", description = "2027-01-31 (allowed "
                + "through that day, UTC) or 2027-01-31T12:00:00Z")
        String expires;

        @Option(names = "--reason", description = "why it is allowed, for the record")
        @Nullable String reason;

        @Override
        void run(Database db) {
            print(policies(db).allow(actor(), scope(), vulnerability, expires, reason));
        }
    }

    @Command(name = "remove", description = "Remove an allow-list entry.")
    static final class AllowRemove extends PolicyCommand {
        @Parameters(index = "1", paramLabel = "VULNERABILITY")
        String vulnerability;

        @Override
        void run(Database db) {
            print(policies(db).disallow(actor(), scope(), vulnerability));
        }
    }

    @Command(name = "bypass", description = "Users and robots that pull whatever the policy says (signing and "
            + "scanning tools).", subcommands = {BypassAdd.class, BypassRemove.class})
    static final class BypassCommand extends CommandGroup {
    }

    @Command(name = "add", description = "Let a user or a robot (owner+name) pull whatever the policy says.")
    static final class BypassAdd extends PolicyCommand {
        @Parameters(index = "1", paramLabel = "USER|ROBOT")
        String principal;

        @Override
        void run(Database db) {
            print(policies(db).grantBypass(actor(), scope(), principal));
        }
    }

    @Command(name = "remove", description = "Revoke a policy bypass.")
    static final class BypassRemove extends PolicyCommand {
        @Parameters(index = "1", paramLabel = "USER|ROBOT")
        String principal;

        @Override
        void run(Database db) {
            print(policies(db).revokeBypass(actor(), scope(), principal));
        }
    }
}
