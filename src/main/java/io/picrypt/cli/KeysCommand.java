package io.picrypt.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.util.List;

@Command(name = "keys", description = "Create and manage the client's CKKS keys and register a keyset with a server (not built yet)")
final class KeysCommand extends NotYetBuilt {
    @Parameters(arity = "0..*", hidden = true)
    List<String> args;

    KeysCommand() { super("keys"); }
}
