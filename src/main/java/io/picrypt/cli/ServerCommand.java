package io.picrypt.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.util.List;

@Command(name = "server", description = "Run the PiCrypt server: stores encrypted templates, evaluates encrypted distances (not built yet)")
final class ServerCommand extends NotYetBuilt {
    @Parameters(arity = "0..*", hidden = true)
    List<String> args;

    ServerCommand() { super("server"); }
}
