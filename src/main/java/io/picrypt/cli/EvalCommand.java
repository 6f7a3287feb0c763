package io.picrypt.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.util.List;

@Command(name = "eval", description = "Accuracy harness on labelled pairs (ROC AUC, FAR/FRR, TAR at FAR) (not built yet)")
final class EvalCommand extends NotYetBuilt {
    @Parameters(arity = "0..*", hidden = true)
    List<String> args;

    EvalCommand() { super("eval"); }
}
