package io.picrypt.cli;

import io.picrypt.client.GalleryCoverage;
import io.picrypt.client.PiCryptClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;

@Command(name = "list", mixinStandardHelpOptions = true, description = "List the names enrolled in this keyset: 1:1 templates and the 1:N gallery.")
final class ListCommand implements Callable<Integer> {
    @Mixin
    ClientOptions client;

    @picocli.CommandLine.Option(names = "--gallery-names", description = "also list the gallery-only names (imported or enrolled with --gallery: in the 1:N gallery, no 1:1 templates)")
    boolean galleryNames;

    @Override
    public Integer call() {
        var http = client.http();
        var ids = http.list();
        com.fasterxml.jackson.databind.JsonNode gallery;
        GalleryCoverage coverage;
        try {
            gallery = http.galleryInfo();
            // a name with templates but no gallery entry is invisible to identify, and must say so
            coverage = GalleryCoverage.of(ids, gallery.path("identities").asInt() > 0 ? http.galleryNames() : List.of());
        } catch (RuntimeException e) { // the 1:1 names are still worth showing before the gallery's error
            for (PiCryptClient.Identity i : ids) {
                System.out.println(Terminal.safe(i.name()) + "\t" + i.templates() + " template(s)\tupdated " + i.updated());
            }
            throw e;
        }
        int inGallery = gallery.path("identities").asInt(), missing = coverage.notInGallery().size();
        // an outdated gallery (an earlier version's layout) cannot be used: its names are not "1:N" until it is rebuilt
        boolean outdated = gallery.path("outdated").asBoolean();
        Set<String> absent = new HashSet<>(coverage.notInGallery());
        for (PiCryptClient.Identity i : ids) {
            System.out.println(Terminal.safe(i.name()) + "\t" + i.templates() + " template(s)\tupdated " + i.updated()
                    + "\t" + (absent.contains(i.name()) ? "1:1 only (not in the 1:N gallery)"
                    : outdated ? "1:1 (gallery outdated: run 'picrypt gallery rebuild')" : "1:1 + 1:N"));
        }
        System.out.printf(Locale.ROOT, "%d identities with 1:1 templates, %d of them also in the 1:N gallery%s%n", ids.size(), ids.size() - missing,
                outdated ? " (outdated: unusable until rebuilt)" : "");
        if (missing > 0) {
            System.out.printf(Locale.ROOT, "%d of them cannot be found by identify (an enrollment interrupted before its gallery step,"
                    + " or made before the gallery): 'picrypt gallery rebuild' adds them%n", missing);
        }
        if (inGallery > 0) {
            int galleryOnly = coverage.galleryOnly().size();
            if (galleryNames) coverage.galleryOnly().forEach(n -> System.out.println(Terminal.safe(n) + "\t1:N only (gallery-only: imported or enrolled with --gallery; no 1:1 templates)"));
            int blocks = gallery.path("blocks").asInt();
            System.out.printf(Locale.ROOT, "%,d identities in the 1:N gallery (%d block%s, %,d bytes stored), %,d of them gallery-only (imported or enrolled with --gallery)%s%n",
                    inGallery, blocks, blocks == 1 ? "" : "s", gallery.path("stored_bytes").asLong(), galleryOnly,
                    galleryNames || galleryOnly == 0 ? "" : "; --gallery-names lists those");
        }
        if (gallery.path("outdated").asBoolean()) { // the names above are the old gallery's: identify refuses it until rebuilt
            System.out.println("the 1:N gallery cannot be used: " + Terminal.safe(gallery.path("message").asText()));
        }
        return 0;
    }
}
