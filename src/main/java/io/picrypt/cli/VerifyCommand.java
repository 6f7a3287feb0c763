package io.picrypt.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.util.List;

@Command(name = "verify", description = "1:1 verification of a photo against an enrolled name (not built yet)")
final class VerifyCommand extends NotYetBuilt {
    @Parameters(arity = "0..*", hidden = true)
    List<String> args;

    VerifyCommand() { super("verify"); }
}
