package io.picrypt.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.util.concurrent.Callable;

/** {@code picrypt bench <what>}: benchmark commands; each prints a table, or one JSON object with --json. */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Benchmarks (medians; this machine is shared and noisy): face, ckks, service, diff, load.",
        subcommands = {BenchCkksCommand.class, BenchFaceCommand.class, BenchServiceCommand.class, BenchGalleryCommand.class, BenchDiffCommand.class, BenchLoadCommand.class,
                BenchClusterCommand.class})
final class BenchCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(System.err);
        return Main.EXIT_ERROR;
    }
}
