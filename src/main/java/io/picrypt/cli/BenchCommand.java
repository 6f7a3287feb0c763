package io.picrypt.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.util.List;

@Command(name = "bench", description = "Benchmarks: ckks, face, service, diff (not built yet)")
final class BenchCommand extends NotYetBuilt {
    @Parameters(arity = "0..*", hidden = true)
    List<String> args;

    BenchCommand() { super("bench"); }
}
