package io.picrypt.cli;

import io.picrypt.client.MatchSession;
import io.picrypt.face.FacePipeline;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

@Command(name = "identify", mixinStandardHelpOptions = true,
        description = {"1:N: who is this? Encrypted distances to every enrolled identity are computed by the server and",
                "decrypted and ranked here. Exit 0 = identified, 1 = unknown, 2 = error."})
final class IdentifyCommand implements Callable<Integer> {
    @Option(names = "--top", defaultValue = "5", description = "candidates to show (default ${DEFAULT-VALUE})")
    int top;

    @Option(names = "--threshold", description = "squared-distance threshold (default: the model's)")
    Double threshold;

    @Parameters(arity = "1", paramLabel = "PHOTO")
    Path photo;

    @Mixin
    ClientOptions client;

    @Mixin
    FaceOptions face;

    @Override
    public Integer call() {
        try (FacePipeline p = face.open()) {
            MatchSession.Identification r = client.session(p, threshold).identify(photo, top);
            MatchSession.Candidate m = r.match();
            System.out.println(m != null ? "identified: " + m.name() : "unknown (no enrolled identity under the threshold)");
            for (MatchSession.Candidate c : r.ranked()) {
                System.out.printf(Locale.ROOT, "  %-24s %.4f%s%n", c.name(), c.distance(), c.distance() <= r.threshold() ? "  <= threshold" : "");
            }
            MatchSession.Trace t = r.trace();
            System.out.printf(Locale.ROOT, "  %d identities, threshold %.4f; server round trip %.0f ms, decrypt %.0f ms; sent %,d B, received %,d B%n",
                    r.identities(), r.threshold(), t.serverMs(), t.decryptMs(), t.requestBytes(), t.responseBytes());
            return m != null ? 0 : 1;
        }
    }
}
