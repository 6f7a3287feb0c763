package io.picrypt.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.util.List;

@Command(name = "delete", description = "Delete an enrolled identity (not built yet)")
final class DeleteCommand extends NotYetBuilt {
    @Parameters(arity = "0..*", hidden = true)
    List<String> args;

    DeleteCommand() { super("delete"); }
}
