package io.picrypt.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.util.List;

@Command(name = "diff", description = "Encrypted image difference: the server subtracts two images it cannot see (not built yet)")
final class DiffCommand extends NotYetBuilt {
    @Parameters(arity = "0..*", hidden = true)
    List<String> args;

    DiffCommand() { super("diff"); }
}
