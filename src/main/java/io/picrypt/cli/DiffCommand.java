package io.picrypt.cli;

import io.picrypt.client.DiffPair;
import io.picrypt.client.ImageDiffSession;
import io.picrypt.client.PiCryptClient;
import io.picrypt.image.ImageLoader;
import io.picrypt.imagediff.DiffImage;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

@Command(name = "diff", mixinStandardHelpOptions = true,
        description = {"Encrypted image difference: both images are encrypted here, the server subtracts them without seeing",
                "them, the difference is decrypted here and written as a PNG (|after - before| per channel; --signed: colour",
                "map, red = brighter, blue = darker). Uses the keyset of 'picrypt keys init'."})
final class DiffCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "BEFORE")
    Path before;

    @Parameters(index = "1", paramLabel = "AFTER")
    Path after;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "PNG", description = "where to write the difference")
    Path output;

    @Option(names = "--signed", description = "write a signed colour map instead of the absolute difference")
    boolean signed;

    @Option(names = "--max-pixels", defaultValue = "40000000", description = "refuse larger images (default ${DEFAULT-VALUE})")
    long maxPixels;

    @Option(names = "--quiet", description = "no progress bars")
    boolean quiet;

    @Mixin
    ClientOptions client;

    @Override
    public Integer call() {
        IdentifyCommand.checkOutputFile(output); // before the encrypted round trip, not after it
        DiffPair pair = DiffPair.read(new ImageLoader(maxPixels, ImageLoader.DEFAULT_MAX_BYTES), before, after);
        pair.notes().forEach(n -> System.err.println("note: " + n));
        PiCryptClient http = client.http();
        ImageDiffSession session = new ImageDiffSession(http, ImageDiffSession.key(client.directory(), client.passphrase()));
        Bars bars = new Bars(quiet);
        ImageDiffSession.Result r;
        try {
            r = session.diff(pair.before(), pair.after(), bars);
        } finally {
            bars.close();
        }
        DiffImage d = r.difference();
        if (signed) d.writeSignedPng(output); else d.writeAbsolutePng(output);
        System.out.printf(Locale.ROOT, "wrote %s: %dx%d, %s; %,d of %,d pixels changed (%,d of %,d samples)%n", output, d.width(), d.height(),
                signed ? "signed colour map" : "absolute difference", d.changedPixels(), (long) d.width() * d.height(),
                d.changedSamples(), (long) d.width() * d.height() * d.channels());
        System.out.printf(Locale.ROOT, "encrypt %.0f ms, upload + server + download %.0f ms (server compute %.0f ms), decrypt %.0f ms; sent %,d B, received %,d B%n",
                r.encryptMs(), r.roundTripMs(), r.serverMs(), r.decryptMs(), r.uploadBytes(), r.downloadBytes());
        return 0;
    }

    /** One progress bar per phase, created when the phase starts; nothing when quiet. */
    private static final class Bars implements ImageDiffSession.Progress {
        private final boolean quiet;
        private ProgressBar current;
        private String phase = "";

        Bars(boolean quiet) { this.quiet = quiet; }

        private synchronized void show(String name, long done, long total) {
            if (quiet) return;
            if (!name.equals(phase)) {
                close();
                phase = name;
                current = new ProgressBarBuilder().setTaskName(name).setInitialMax(total > 0 ? total : -1)
                        .setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(200).continuousUpdate().build();
            }
            if (total > 0) current.stepTo(done);
        }

        @Override
        public void encrypt(long done, long total) { show("encrypt", done, total); }

        @Override
        public void upload(long done, long total) { show("upload", done, total); }

        @Override
        public void server() { show("server", 0, -1); }

        @Override
        public void download(long done, long total) { show("download", done, total); }

        @Override
        public void decrypt(long done, long total) { show("decrypt", done, total); }

        synchronized void close() {
            if (current != null) current.close();
            current = null;
        }
    }
}
