package io.picrypt.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.picrypt.cli.bench.Stats;
import io.picrypt.client.KeysetSetup;
import io.picrypt.client.MatchSession;
import io.picrypt.client.PiCryptClient;
import io.picrypt.match.SyntheticEmbeddings;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;

/**
 * {@code picrypt bench enroll}: the server time of single 1:N gallery enrollments against a running server
 * ({@code picrypt server}, a separate process): registers a keyset, bulk-imports N synthetic identities, then enrolls
 * K more one by one (each into the next free slot of the last block, as a real enrollment does) and reports the
 * server's own time of each (the X-PiCrypt-Server-Ms header: route, expansion, block update, store commit), with the
 * 1-minute load average beside each. Finally identifies a probe near each enrolled identity and checks that the
 * encrypted decision equals the plaintext one.
 */
@Command(name = "enroll", mixinStandardHelpOptions = true,
        description = {"Time single 1:N gallery enrollments on a running server (--server) after a bulk import of N synthetic identities.",
                "Start the server first, e.g. ./picrypt server --port 0 --data DIR (fresh DIR per run)."})
public final class BenchEnrollCommand implements Callable<Integer> {
    @Option(names = "--server", required = true, description = "URL of the running server, e.g. http://127.0.0.1:4567")
    URI server;

    @Option(names = "--identities", defaultValue = "100000", description = "identities imported in bulk first (default ${DEFAULT-VALUE})")
    int identities;

    @Option(names = "--enrollments", defaultValue = "5", description = "single enrollments timed (default ${DEFAULT-VALUE})")
    int enrollments;

    @Option(names = "--seed", defaultValue = "11", description = "seed of the synthetic embeddings (default ${DEFAULT-VALUE})")
    long seed;

    @Mixin
    JsonOutput output;

    @Override
    public Integer call() throws Exception {
        if (identities < 0 || enrollments < 1) throw new IllegalArgumentException("--identities must be >= 0 and --enrollments >= 1");
        System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        double threshold = io.picrypt.face.FaceModels.DEFAULT_THRESHOLD;
        SplittableRandom rnd = new SplittableRandom(seed);
        KeysetSetup.Keys keys = KeysetSetup.create(server, System.getenv("PICRYPT_REGISTRATION_TOKEN"), true);
        PiCryptClient http = keys.http();
        MatchSession session = keys.session(http, null, threshold);

        long t0 = System.nanoTime();
        if (identities > 0) {
            List<String> names = new ArrayList<>(identities);
            List<float[]> gallery = new ArrayList<>(identities);
            for (int i = 0; i < identities; i++) {
                names.add(String.format(Locale.ROOT, "bulk-%07d", i));
                gallery.add(SyntheticEmbeddings.unit(rnd));
            }
            session.importGallery(names, gallery, done -> {
                if (!output.json && done % 16384 < io.picrypt.match.GalleryParameters.BLOCK_CAPACITY) System.err.printf("imported %d%n", done);
            });
        }
        double importS = (System.nanoTime() - t0) / 1e9;

        float[][] enrolled = new float[enrollments][];
        double[] serverMs = new double[enrollments], roundTripMs = new double[enrollments];
        ArrayNode each = new ObjectMapper().createArrayNode();
        for (int e = 0; e < enrollments; e++) {
            enrolled[e] = SyntheticEmbeddings.unit(rnd);
            String load = Stats.loadAverage();
            MatchSession.Enrollment r = session.enrollIntoGallery(name(e), enrolled[e]);
            serverMs[e] = r.trace().computeMs();
            roundTripMs[e] = r.trace().serverMs();
            each.addObject().put("server_ms", Stats.round(serverMs[e], 1)).put("round_trip_ms", Stats.round(roundTripMs[e], 1))
                    .put("load_average_before", load);
            if (!output.json) System.out.printf(Locale.ROOT, "enrollment %d: server %.1f ms, round trip %.1f ms (load average %s)%n",
                    e, serverMs[e], roundTripMs[e], load);
        }

        // the enrolled identities are found: a probe near each (genuine) and a fresh one (impostor), decisions as in plaintext
        boolean allMatch = true;
        for (int e = 0; e < enrollments; e++) {
            float[] probe = SyntheticEmbeddings.near(enrolled[e], 0.6, rnd);
            MatchSession.Identification id = session.identifyEmbedding(probe, 1);
            MatchSession.Candidate best = id.match();
            allMatch &= best != null && best.name().equals(name(e))
                    && Math.abs(id.best().distance() - SyntheticEmbeddings.galleryDistance(session.galleryBasis(), enrolled[e], probe))
                    <= BenchGalleryCommand.DECISION_MARGIN;
        }

        ObjectNode o = new ObjectMapper().createObjectNode();
        o.put("identities_imported", identities).put("import_s", Stats.round(importS, 1)).put("enrollments", enrollments);
        double[] warm = java.util.Arrays.copyOfRange(serverMs, enrollments > 1 ? 1 : 0, enrollments);
        o.putObject("enroll_server_ms").put("first", Stats.round(serverMs[0], 1)).put("median_after_first", Stats.round(Stats.median(warm), 1))
                .put("min", Stats.round(Stats.min(serverMs), 1)).put("max", Stats.round(java.util.Arrays.stream(serverMs).max().orElse(0), 1));
        o.set("each", each);
        o.put("decisions_equal_plaintext", allMatch);
        o.put("load_average_at_end", Stats.loadAverage());
        if (output.json) {
            System.out.println(o.toPrettyString());
        } else {
            System.out.printf(Locale.ROOT, "%d identities imported in %.1f s; enroll server ms: first %.1f, median after %.1f; decisions equal plaintext: %s%n",
                    identities, importS, serverMs[0], Stats.median(warm), allMatch);
        }
        return allMatch ? 0 : 1;
    }

    private static String name(int e) {
        return String.format(Locale.ROOT, "single-%03d", e);
    }

}
