package io.picrypt.cli;

import io.picrypt.client.MatchSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

@Command(name = "gallery", mixinStandardHelpOptions = true,
        description = "Maintain the keyset's 1:N gallery (the structure identify searches).",
        subcommands = {GalleryCommand.Init.class, GalleryCommand.Rebuild.class})
final class GalleryCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    @Command(name = "init", mixinStandardHelpOptions = true,
            description = {"Give a key directory made before the 1:N gallery existed (no gallery.key) a gallery key for its keyset:",
                    "generates it locally, uploads its evaluation keys (no secret) and records its key check. Then run",
                    "'picrypt gallery rebuild' so identify finds the identities enrolled before."})
    static final class Init implements Callable<Integer> {
        @Mixin
        ClientOptions client;

        @Override
        public Integer call() {
            io.picrypt.client.KeyDirectory dir = client.directory();
            if (dir.hasKey(io.picrypt.client.KeyDirectory.GALLERY_SECRET_FILE)) {
                throw new IllegalArgumentException("this key directory already has a gallery key ("
                        + dir.dir().resolve(io.picrypt.client.KeyDirectory.GALLERY_SECRET_FILE) + "); run 'picrypt gallery rebuild' if identify misses identities");
            }
            var c = client.config();
            var sk = dir.readSecretKey(client.passphrase());
            dir.checkKeys(sk, null);
            var http = new io.picrypt.client.PiCryptClient(c);
            if (http.galleryInfo().path("keys").asBoolean()) {
                throw new IllegalArgumentException("keyset " + c.keyset() + " already has gallery keys made with another key directory; use that"
                        + " directory, or 'picrypt keys init --force' for a new keyset");
            }
            io.picrypt.client.KeysetSetup.GalleryKey added = io.picrypt.client.KeysetSetup.addGalleryKey(http);
            dir.writeKey(io.picrypt.client.KeyDirectory.GALLERY_SECRET_FILE, added.secretKey(), client.passphrase(), false);
            dir.writeConfig(dir.readConfig(), new io.picrypt.client.KeyDirectory.KeyChecks(dir.readKeyChecks().keyCheck(), added.keyCheck()));
            System.out.printf(Locale.ROOT, "gallery key: %s (mode 0600); evaluation keys uploaded (%,d bytes; no secret)%n",
                    dir.dir().resolve(io.picrypt.client.KeyDirectory.GALLERY_SECRET_FILE), added.evaluationKeyBytes());
            System.out.println("next:        picrypt gallery rebuild   (puts the identities enrolled before into the gallery)");
            return 0;
        }
    }

    @Command(name = "rebuild", mixinStandardHelpOptions = true,
            // paragraphs, each wrapped by picocli at word boundaries to the help width (80 columns)
            description = {"Put every identity enrolled with 1:1 templates but missing from the 1:N gallery (enrolled by a"
                    + " version before enrollment filled the gallery) into the gallery, so identify finds it. Run by the key owner:"
                    + " downloads the identity's own template ciphertexts, decrypts them locally and enrolls their mean. No photos needed.",
                    "With --compact, then also drops the slots of deleted identities: downloads the gallery's blocks, decrypts the live"
                    + " identities locally and replaces the gallery by fresh, full blocks in one step.",
                    "A gallery stored by an earlier version is migrated: dropped and rebuilt from the 1:1 templates (see --drop-outdated)."})
    static final class Rebuild implements Callable<Integer> {
        @Mixin
        ClientOptions client;

        @picocli.CommandLine.Option(names = "--compact", description = "also compact the gallery (drop deleted slots; fewer blocks)")
        boolean compact;

        // one paragraph: picocli wraps it at word boundaries to the help width (80 columns)
        @picocli.CommandLine.Option(names = "--drop-outdated", description = "A gallery stored by an earlier version (512-dimensional layout)"
                + " is rebuilt from the 1:1 templates; its gallery-only identities (imported or enrolled with --gallery) cannot be:"
                + " drop them with it. Their names are printed and saved to gallery-dropped-TIME.txt in the key directory before the"
                + " drop; import them again afterwards.")
        boolean dropOutdated;

        @Override
        public Integer call() {
            MatchSession s = client.session(null, null);
            if (!s.hasGallery()) throw new IllegalArgumentException("this key directory has no gallery key: run 'picrypt gallery init' first");
            Path[] saved = new Path[1];
            MatchSession.Rebuild r = s.rebuildGallery(dropOutdated, names -> saved[0] = recordDropped(client.directory().dir(), names), n -> {});
            if (r.replaced()) {
                System.out.println("old gallery replaced: it was stored in the 512-dimensional layout of an earlier picrypt version;"
                        + " dropped and rebuilt from the 1:1 templates");
                if (!r.dropped().isEmpty()) {
                    System.out.println("dropped " + r.dropped().size() + " gallery-only identit" + (r.dropped().size() == 1 ? "y" : "ies")
                            + " with it (no 1:1 templates; listed above, names saved in " + saved[0] + "): import them again");
                }
            }
            System.out.printf(Locale.ROOT, "gallery rebuilt: %d identities added from their templates, %d already there, %d gallery-only%n",
                    r.added(), r.present(), r.galleryOnly());
            if (!r.skipped().isEmpty()) {
                r.skipped().forEach(x -> System.err.println("skipped " + Terminal.safe(x)));
                throw new IllegalArgumentException("the gallery is incomplete: " + r.skipped().size() + " identit" + (r.skipped().size() == 1 ? "y" : "ies")
                        + " skipped (listed above; identify cannot find them): re-enroll each from photos, or remove it with 'picrypt delete --name NAME'");
            }
            if (compact) {
                var dir = client.directory();
                var gsk = dir.readKey(io.picrypt.client.KeyDirectory.GALLERY_SECRET_FILE, io.picrypt.match.GalleryParameters.get(), client.passphrase());
                var c = io.picrypt.client.GalleryCompactor.compact(s.http(), gsk, b -> {});
                System.out.printf(Locale.ROOT, "gallery compacted: %d block(s) -> %d, %d live identities kept, deleted slots dropped%n", c.blocksBefore(), c.blocksAfter(), c.identities());
            }
            return 0;
        }

        /**
         * Before the old gallery is dropped: its gallery-only names to stderr and to a new file in the key directory
         * (gallery-dropped-TIME.txt, one name a line, mode 0600), so that an interruption after the drop leaves the user
         * the list of what to import again. A failure to write it stops the rebuild before anything changed.
         */
        static Path recordDropped(Path keyDir, List<String> names) {
            String time = java.time.format.DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'", Locale.ROOT)
                    .format(java.time.ZonedDateTime.now(java.time.ZoneOffset.UTC));
            Path file = keyDir.resolve("gallery-dropped-" + time + ".txt");
            for (int i = 2; Files.exists(file, java.nio.file.LinkOption.NOFOLLOW_LINKS); i++) file = keyDir.resolve("gallery-dropped-" + time + "-" + i + ".txt");
            try {
                var attrs = Files.getFileStore(keyDir).supportsFileAttributeView("posix")
                        ? new java.nio.file.attribute.FileAttribute<?>[]{PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"))}
                        : new java.nio.file.attribute.FileAttribute<?>[0];
                Files.createFile(file, attrs);
                Files.write(file, names, StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new IllegalArgumentException("cannot save the names of the old gallery's gallery-only identities to " + file + " ("
                        + e.getMessage() + "); nothing was changed");
            }
            System.err.println("the old gallery's " + names.size() + " gallery-only identit" + (names.size() == 1 ? "y goes" : "ies go")
                    + " with it (no 1:1 templates; import " + (names.size() == 1 ? "it" : "them") + " again afterwards); names saved in "
                    + file + " (mode 0600):");
            names.forEach(n -> System.err.println("  dropped gallery-only " + Terminal.safe(n)));
            return file;
        }
    }
}
