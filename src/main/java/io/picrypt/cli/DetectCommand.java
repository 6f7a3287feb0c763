package io.picrypt.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.util.List;

@Command(name = "detect", description = "Detect faces and landmarks, draw them on the photo (not built yet)")
final class DetectCommand extends NotYetBuilt {
    @Parameters(arity = "0..*", hidden = true)
    List<String> args;

    DetectCommand() { super("detect"); }
}
