package io.picrypt.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.util.List;

@Command(name = "ui", description = "Local web UI served by the client (keys stay in this process) (not built yet)")
final class UiCommand extends NotYetBuilt {
    @Parameters(arity = "0..*", hidden = true)
    List<String> args;

    UiCommand() { super("ui"); }
}
