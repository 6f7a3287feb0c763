package io.picrypt.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.concurrent.Callable;

@Command(name = "delete", mixinStandardHelpOptions = true, description = "Delete a name: its 1:1 templates and/or its 1:N gallery entry.")
final class DeleteCommand implements Callable<Integer> {
    @Option(names = "--name", required = true)
    String name;

    @Mixin
    ClientOptions client;

    @Override
    public Integer call() {
        // refused before anything is deleted while the keyset's gallery is outdated (run 'picrypt gallery rebuild' first)
        var deleted = io.picrypt.client.IdentityDeletion.delete(client.http(), name);
        boolean template = deleted.templates(), gallery = deleted.gallery();
        if (!deleted.any()) {
            System.err.println("picrypt: no identity named '" + name + "'");
            return Main.EXIT_ERROR;
        }
        System.out.println("deleted '" + name + "'" + (template ? " (1:1 templates)" : "") + (gallery
                ? " (1:N gallery: tombstoned; its slot is excluded from every answer)" : ""));
        return 0;
    }
}
