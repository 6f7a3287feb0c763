package io.picrypt.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.concurrent.Callable;

@Command(name = "delete", mixinStandardHelpOptions = true, description = "Delete an enrolled name and all its templates.")
final class DeleteCommand implements Callable<Integer> {
    @Option(names = "--name", required = true)
    String name;

    @Mixin
    ClientOptions client;

    @Override
    public Integer call() {
        if (!client.http().delete(name)) {
            System.err.println("picrypt: no identity named '" + name + "'");
            return Main.EXIT_ERROR;
        }
        System.out.println("deleted '" + name + "'");
        return 0;
    }
}
