package io.picrypt.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.util.List;

@Command(name = "identify", description = "1:N identification of a photo against everyone enrolled (not built yet)")
final class IdentifyCommand extends NotYetBuilt {
    @Parameters(arity = "0..*", hidden = true)
    List<String> args;

    IdentifyCommand() { super("identify"); }
}
