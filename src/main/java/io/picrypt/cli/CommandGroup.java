package io.picrypt.cli;

import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.util.concurrent.Callable;

/**
 * A command that only groups subcommands ({@code picrypt bench}, {@code picrypt keys}): called without one, it prints
 * its usage to stderr and exits with {@link Main#EXIT_ERROR}.
 */
abstract class CommandGroup implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(System.err);
        return Main.EXIT_ERROR;
    }
}
