package io.picrypt.cli;

import io.picrypt.client.PiCryptClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

import java.util.concurrent.Callable;

@Command(name = "list", mixinStandardHelpOptions = true, description = "List the names enrolled in this keyset.")
final class ListCommand implements Callable<Integer> {
    @Mixin
    ClientOptions client;

    @picocli.CommandLine.Option(names = "--gallery-names", description = "also list the names in the 1:N gallery")
    boolean galleryNames;

    @Override
    public Integer call() {
        var ids = client.http().list();
        for (PiCryptClient.Identity i : ids) {
            System.out.println(Terminal.safe(i.name()) + "\t" + i.templates() + " template(s)\tupdated " + i.updated());
        }
        System.out.println(ids.size() + " identities enrolled for 1:1 and 1:N");
        var http = client.http();
        var gallery = http.galleryInfo();
        if (gallery.path("identities").asInt() > 0) {
            if (galleryNames) http.galleryNames().forEach(n -> System.out.println(Terminal.safe(n) + "\tgallery (1:N only)"));
            int blocks = gallery.path("blocks").asInt();
            System.out.printf(java.util.Locale.ROOT, "%,d identities in the 1:N gallery (%d block%s, %,d bytes stored)%s%n",
                    gallery.path("identities").asInt(), blocks, blocks == 1 ? "" : "s", gallery.path("stored_bytes").asLong(),
                    galleryNames ? "" : "; --gallery-names lists them");
        }
        return 0;
    }
}
