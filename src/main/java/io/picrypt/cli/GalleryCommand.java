package io.picrypt.cli;

import io.picrypt.client.MatchSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

import java.util.Locale;
import java.util.concurrent.Callable;

@Command(name = "gallery", mixinStandardHelpOptions = true,
        description = "Maintain the keyset's 1:N gallery (the structure identify searches).",
        subcommands = {GalleryCommand.Rebuild.class})
final class GalleryCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    @Command(name = "rebuild", mixinStandardHelpOptions = true,
            description = {"Put every identity enrolled with 1:1 templates but missing from the 1:N gallery (enrolled by a",
                    "version before enrollment filled the gallery) into the gallery, so identify finds it. Run by the key owner:",
                    "downloads the identity's own template ciphertexts, decrypts them locally and enrolls their mean. No photos needed."})
    static final class Rebuild implements Callable<Integer> {
        @Mixin
        ClientOptions client;

        @Override
        public Integer call() {
            MatchSession s = client.session(null, null);
            if (!s.hasGallery()) throw new IllegalArgumentException("this key directory has no gallery key: run 'picrypt keys init' again");
            MatchSession.Rebuild r = s.rebuildGallery(n -> {});
            System.out.printf(Locale.ROOT, "gallery rebuilt: %d identities added from their templates, %d already there, %d gallery-only%n",
                    r.added(), r.present(), r.galleryOnly());
            return 0;
        }
    }
}
