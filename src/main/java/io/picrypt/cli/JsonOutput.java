package io.picrypt.cli;

import picocli.CommandLine.Option;

/** {@code --json} of the commands that print a table or, with it, one JSON object (the benchmarks, eval, analyze). */
final class JsonOutput {
    @Option(names = "--json", description = "print one JSON object")
    boolean json;
}
