package io.picrypt.cli;

import io.picrypt.client.MatchSession;
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


    @Parameters(arity = "1", paramLabel = "PHOTO")
    Path photo;

    @Mixin
    SessionOptions options;

    @Override
    public Integer call() {
        try (SessionOptions.Opened o = options.open()) {
            MatchSession.Identification r = o.session().identify(photo, top);
            MatchSession.Candidate m = r.match();
            System.out.println(m != null ? "identified: " + Terminal.safe(m.name()) : "unknown (no enrolled identity under the threshold)");
            for (MatchSession.Candidate c : r.ranked()) {
                System.out.printf(Locale.ROOT, "  %-24s %.4f%s%n", Terminal.safe(c.name()), c.distance(), c.distance() <= r.threshold() ? "  <= threshold" : "");
            }
            MatchSession.Trace t = r.trace();
            System.out.printf(Locale.ROOT, "  %d identities, threshold %.4f; server round trip %.0f ms, decrypt %.0f ms; sent %,d B, received %,d B%n",
                    r.identities(), r.threshold(), t.serverMs(), t.decryptMs(), t.requestBytes(), t.responseBytes());
            return m != null ? 0 : 1;
        }
    }
}
