package io.picrypt.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.util.List;

@Command(name = "embed", description = "Detect, align and embed a photo; print boxes, landmarks and embedding (not built yet)")
final class EmbedCommand extends NotYetBuilt {
    @Parameters(arity = "0..*", hidden = true)
    List<String> args;

    EmbedCommand() { super("embed"); }
}
