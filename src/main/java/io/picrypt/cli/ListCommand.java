package io.picrypt.cli;

import io.picrypt.client.PiCryptClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

import java.util.HashSet;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;

@Command(name = "list", mixinStandardHelpOptions = true, description = "List the names enrolled in this keyset: 1:1 templates and the 1:N gallery.")
final class ListCommand implements Callable<Integer> {
    @Mixin
    ClientOptions client;

    @picocli.CommandLine.Option(names = "--gallery-names", description = "also list the names that are only in the 1:N gallery (imported)")
    boolean galleryNames;

    @Override
    public Integer call() {
        var http = client.http();
        var ids = http.list();
        var gallery = http.galleryInfo();
        int inGallery = gallery.path("identities").asInt();
        // which 1:1 names the gallery holds: a name with templates but no gallery entry (an enrollment interrupted between
        // its two uploads, or a keyset made before the gallery) is invisible to identify, and must say so
        Set<String> galleryNameSet = inGallery > 0 ? new HashSet<>(http.galleryNames()) : Set.of();
        int missing = 0;
        for (PiCryptClient.Identity i : ids) {
            boolean both = galleryNameSet.contains(i.name());
            if (!both) missing++;
            System.out.println(Terminal.safe(i.name()) + "\t" + i.templates() + " template(s)\tupdated " + i.updated()
                    + "\t" + (both ? "1:1 + 1:N" : "1:1 only (not in the 1:N gallery)"));
        }
        System.out.printf(Locale.ROOT, "%d identities with 1:1 templates, %d of them also in the 1:N gallery%n", ids.size(), ids.size() - missing);
        if (missing > 0) {
            System.out.printf(Locale.ROOT, "%d of them cannot be found by identify (an enrollment interrupted before its gallery step,"
                    + " or made before the gallery): 'picrypt gallery rebuild' adds them%n", missing);
        }
        if (inGallery > 0) {
            Set<String> oneToOne = new HashSet<>();
            ids.forEach(i -> oneToOne.add(i.name()));
            long galleryOnly = galleryNameSet.stream().filter(n -> !oneToOne.contains(n)).count();
            if (galleryNames) {
                galleryNameSet.stream().filter(n -> !oneToOne.contains(n)).sorted()
                        .forEach(n -> System.out.println(Terminal.safe(n) + "\t1:N only (imported, no 1:1 templates)"));
            }
            int blocks = gallery.path("blocks").asInt();
            System.out.printf(Locale.ROOT, "%,d identities in the 1:N gallery (%d block%s, %,d bytes stored), %,d of them 1:N only%s%n",
                    inGallery, blocks, blocks == 1 ? "" : "s", gallery.path("stored_bytes").asLong(), galleryOnly,
                    galleryNames || galleryOnly == 0 ? "" : "; --gallery-names lists those");
        }
        return 0;
    }
}
