package dev.bollard.cli;

import dev.bollard.auth.Teams;
import dev.bollard.metadata.Database;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * Teams of an organization from the command line, the same operations as {@code /api/v1/organizations/{org}/teams}:
 * so that a first administrator can set up an organization, its teams and robots without leaving the terminal (and,
 * on the embedded database, while the registry runs). Binding teams to directory groups stays in
 * {@link AdminCommands}.
 */
final class TeamCommands {
    private TeamCommands() {
    }

    /** The team a command is about: {@code ORG TEAM}, its first two parameters. */
    static final class OrgTeam {
        @Parameters(index = "0", paramLabel = "ORG")
        String org;

        @Parameters(index = "1", paramLabel = "TEAM")
        String team;

        @Override
        public String toString() {
            return org + "/" + team;
        }
    }

    @Command(name = "create", description = "Create team TEAM in organization ORG.")
    static final class TeamCreate extends AdminCommands.DbCommand {
        @Mixin
        OrgTeam ref;

        @Option(names = "--role", defaultValue = "member", description = "the team's role in the organization: member "
                + "(its repository grants only), creator (may also create repositories) or admin (default member)")
        String role;

        @Option(names = "--description", paramLabel = "TEXT", description = "what the team is for")
        @Nullable String description;

        @Override
        void run(Database db) {
            identities(db).teams().create(ref.org, ref.team, role, description);
            out().println("created team " + ref + " (" + role + ")");
        }
    }

    @Command(name = "delete", description = "Delete a team; its members stay in the organization, its grants go.")
    static final class TeamDelete extends AdminCommands.DbCommand {
        @Mixin
        OrgTeam ref;

        @Override
        void run(Database db) {
            identities(db).teams().delete(ref.org, ref.team);
            out().println("deleted team " + ref);
        }
    }

    @Command(name = "list", description = "List the teams of an organization with their roles.")
    static final class TeamList extends AdminCommands.DbCommand {
        @Parameters(index = "0", paramLabel = "ORG")
        String org;

        @Override
        void run(Database db) {
            for (Teams.TeamInfo t : identities(db).teams().list(org, null, Integer.MAX_VALUE)) {
                out().println(t.name() + "\t" + t.role() + (t.description().isEmpty() ? "" : "\t" + t.description()));
            }
        }
    }

    @Command(name = "add-member", description = "Add a user (made a member of the organization if not yet one) or a "
            + "robot of the organization (ORG+NAME) to a team.")
    static final class TeamAddMember extends AdminCommands.DbCommand {
        @Mixin
        OrgTeam ref;

        @Parameters(index = "2", paramLabel = "USER|ORG+ROBOT")
        String member;

        @Override
        void run(Database db) {
            identities(db).teams().addMember(ref.org, ref.team, member);
            out().println(member + " is in team " + ref);
        }
    }

    @Command(name = "remove-member", description = "Remove a user or robot from a team (a user stays in the organization).")
    static final class TeamRemoveMember extends AdminCommands.DbCommand {
        @Mixin
        OrgTeam ref;

        @Parameters(index = "2", paramLabel = "USER|ORG+ROBOT")
        String member;

        @Override
        void run(Database db) {
            if (!identities(db).teams().removeMember(ref.org, ref.team, member)) {
                throw new CliErrors.Failure(member + " is not in team " + ref, CliErrors.FAILED);
            }
            out().println(member + " is no longer in team " + ref);
        }
    }

    @Command(name = "members", description = "List the users and robots of a team.")
    static final class TeamMembers extends AdminCommands.DbCommand {
        @Mixin
        OrgTeam ref;

        @Override
        void run(Database db) {
            identities(db).teams().members(ref.org, ref.team, null, Integer.MAX_VALUE).forEach(out()::println);
        }
    }
}
