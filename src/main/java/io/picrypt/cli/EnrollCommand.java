package io.picrypt.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.util.List;

@Command(name = "enroll", description = "Enroll an identity from one or more photos (encrypted on this machine) (not built yet)")
final class EnrollCommand extends NotYetBuilt {
    @Parameters(arity = "0..*", hidden = true)
    List<String> args;

    EnrollCommand() { super("enroll"); }
}
