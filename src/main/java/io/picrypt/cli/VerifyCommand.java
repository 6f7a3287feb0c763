package io.picrypt.cli;

import io.picrypt.client.MatchSession;
import io.picrypt.face.FaceAnalyzer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

@Command(name = "verify", mixinStandardHelpOptions = true,
        description = {"1:1: is this photo the enrolled name? The server computes the encrypted distance; it is decrypted",
                "and compared with the threshold here. Exit 0 = match, 1 = no match, 2 = error, 3 = not live (--liveness)."})
final class VerifyCommand implements Callable<Integer> {
    @Option(names = "--name", required = true, description = "enrolled name")
    String name;


    @Parameters(arity = "1", paramLabel = "PHOTO")
    Path photo;

    @Mixin
    SessionOptions options;

    @Mixin
    LivenessOptions liveness;

    @Override
    public Integer call() {
        try (SessionOptions.Opened o = options.open(); FaceAnalyzer an = liveness.open(options.face.modelsDir())) {
            MatchSession.OnPhoto<MatchSession.Verification> r = liveness.decide(o.pipeline(), an, photo,
                    () -> o.session().verifyOnPhoto(name, photo), f -> o.session().verifyFace(name, f));
            if (r == null) return LivenessOptions.EXIT_NOT_LIVE;
            r.face().photoWarnings(photo.toString()).forEach(Terminal::warn); // several faces, quality: shown once, here
            MatchSession.Verification v = r.result();
            MatchSession.Trace t = v.trace();
            System.out.printf(Locale.ROOT, "%s: %s  (squared distance %.4f, threshold %.4f)%n", name,
                    v.match() ? "MATCH" : "NO MATCH", v.distance(), v.threshold());
            System.out.printf(Locale.ROOT, "  embed %.0f ms, encrypt %.0f ms, server round trip %.0f ms, decrypt %.0f ms; sent %,d B, received %,d B%n",
                    t.embedMs(), t.encryptMs(), t.serverMs(), t.decryptMs(), t.requestBytes(), t.responseBytes());
            if (v.integrityWarning() != null) Terminal.warn(v.integrityWarning());
            return v.match() ? 0 : 1;
        }
    }
}
