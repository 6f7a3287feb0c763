package io.picrypt.cli;

import io.picrypt.client.PiCryptClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

import java.util.concurrent.Callable;

@Command(name = "list", mixinStandardHelpOptions = true, description = "List the names enrolled in this keyset.")
final class ListCommand implements Callable<Integer> {
    @Mixin
    ClientOptions client;

    @Override
    public Integer call() {
        var ids = client.http().list();
        for (PiCryptClient.Identity i : ids) {
            System.out.println(i.name() + "\t" + i.templates() + " template(s)\tupdated " + i.updated());
        }
        System.out.println(ids.size() + " identities");
        return 0;
    }
}
