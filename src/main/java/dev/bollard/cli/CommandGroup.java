package dev.bollard.cli;

import picocli.CommandLine;

/** A command that only groups subcommands: run on its own, it prints its usage. */
abstract class CommandGroup implements Runnable {
    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }
}
