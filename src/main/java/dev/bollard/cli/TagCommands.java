package dev.bollard.cli;

import dev.bollard.metadata.Database;
import dev.bollard.oci.Reference;
import dev.bollard.registry.Manifests;
import dev.bollard.registry.Registry;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * Tags from the command line, like the other life-cycle commands straight on the metadata database: deleting a tag
 * deletes only the tag (the spec's {@code DELETE /v2/<name>/manifests/<tag>}); the time machine can restore it.
 */
final class TagCommands {
    private TagCommands() {
    }

    @Command(name = "tag", description = "Tags of a repository.", subcommands = TagDelete.class)
    static final class TagCommand extends CommandGroup {
    }

    @Command(name = "delete", mixinStandardHelpOptions = true, description = "Delete REPOSITORY:TAG, only the tag: "
            + "the manifest and its other tags stay, and 'bollard history restore' can point the tag at it again "
            + "within the time machine's window. Refused for an immutable tag.")
    static final class TagDelete extends LifecycleCommands.RegistryCommand {
        @Parameters(index = "0", paramLabel = "REPOSITORY:TAG")
        String target;

        @Override
        void run(Registry registry, Database db) {
            Manifests.Deleted deleted = registry.manifests().delete(LifecycleCommands.repositoryOf(target),
                    new Reference.ByTag(LifecycleCommands.tagOf(target)), actor());
            out().println("deleted tag " + target + "; it pointed at " + deleted.digest());
            out().println("to restore it: bollard history restore " + target + " " + deleted.digest());
        }
    }
}
