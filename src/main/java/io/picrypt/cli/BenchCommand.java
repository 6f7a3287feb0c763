package io.picrypt.cli;

import picocli.CommandLine.Command;

/** {@code picrypt bench <what>}: benchmark commands; each prints a table, or one JSON object with --json. */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Benchmarks (medians; this machine is shared and noisy): face, ckks, service, gallery, import, enroll, diff, load, cluster.",
        subcommands = {BenchCkksCommand.class, BenchFaceCommand.class, BenchServiceCommand.class, BenchGalleryCommand.class, BenchDiffCommand.class, BenchLoadCommand.class,
                BenchImportCommand.class, BenchEnrollCommand.class, BenchClusterCommand.class})
final class BenchCommand extends CommandGroup {}
