package io.picrypt.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.picrypt.ckks.SecretKey;
import io.picrypt.client.KeysetSetup;
import io.picrypt.client.MatchSession;
import io.picrypt.client.PiCryptClient;
import io.picrypt.match.MatchKeyOwner;
import static io.picrypt.match.SyntheticEmbeddings.near;
import static io.picrypt.match.SyntheticEmbeddings.unit;
import io.picrypt.server.PiCryptServer;
import io.picrypt.cli.bench.Stats;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.stream.IntStream;

/**
 * {@code picrypt bench service}: the whole service on synthetic unit-norm 512-D embeddings, through a real
 * server on loopback HTTP with a temporary SQLite store. Server times are the server's own compute time
 * (X-PiCrypt-Server-Ms: validation, store reads, the encrypted circuit), not the HTTP round trip.
 */
@Command(name = "service", mixinStandardHelpOptions = true,
        description = {"Enroll N synthetic identities through a loopback server, then time 1:1 verify and 1:N identify.",
                "Reports medians and minima, request/response sizes, storage per identity, and whether every encrypted",
                "decision equalled the plaintext one."})
public final class BenchServiceCommand implements Callable<Integer> {
    @Option(names = "--identities", defaultValue = "1000", description = "enrolled identities (default ${DEFAULT-VALUE})")
    int identities;

    @Option(names = "--templates", paramLabel = "M",
            description = "how many of the identities are enrolled one by one as 1:1 templates; when fewer than N, all N are"
                    + " also imported in bulk into the column-packed 1:N gallery, which identify then searches (default: all when N <= 1000, else 100)")
    Integer templates;

    @Option(names = "--runs", defaultValue = "5", description = "timed identify runs (verify runs 10x this; default ${DEFAULT-VALUE})")
    int runs;

    @Option(names = "--seed", defaultValue = "1", description = "random seed of the synthetic embeddings")
    long seed;

    @Mixin
    JsonOutput output;

    @Override
    public Integer call() throws Exception {
        if (identities < 1 || runs < 1) throw new IllegalArgumentException("--identities and --runs must be >= 1");
        System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        final double threshold = io.picrypt.face.FaceModels.DEFAULT_THRESHOLD; // the decisions are compared with plaintext ones
        int enrolled = templates != null ? templates : identities <= 1000 ? identities : 100;
        if (enrolled < 1 || enrolled > identities) throw new IllegalArgumentException("--templates must be 1..identities");
        Random rnd = new Random(seed);
        List<float[]> gallery = new ArrayList<>(identities);
        for (int i = 0; i < identities; i++) gallery.add(unit(rnd));
        try (EmbeddedServer embedded = EmbeddedServer.start("picrypt-bench")) {
            PiCryptServer server = embedded.server();
            // key-bound keyset with a gallery key, as 'keys init' makes it: answers carry the key-check values the client
            // compares; identify runs over the gallery only
            KeysetSetup.Keys keys = KeysetSetup.create(embedded.url(), null, true);
            PiCryptClient.Keyset ks = keys.keyset();
            PiCryptClient http = keys.http();
            SecretKey sk = keys.secretKey();
            MatchSession session = keys.session(http, null, threshold);

            // enrollment: client encryption in parallel, uploads from 4 connections
            MatchKeyOwner crypto = new MatchKeyOwner(sk);
            double[] enrollServer = new double[enrolled];
            long[] enrollBytes = new long[enrolled];
            try (ProgressBar pb = output.json ? null : new ProgressBarBuilder().setTaskName("enroll").setInitialMax(enrolled)
                    .setStyle(ProgressBarStyle.ASCII).build()) {
                IntStream.range(0, enrolled).parallel().forEach(i -> {
                    byte[] ct = crypto.encryptTemplate(gallery.get(i), io.picrypt.names.IdentityNames.normalizeForLookup(name(i))); // with check values, as enroll
                    enrollBytes[i] = ct.length;
                    enrollServer[i] = http.enroll(name(i), ct, true).serverMs();
                    if (pb != null) pb.step();
                });
            }

            long importBytes = 0;
            {
                // one identification path: the gallery holds everyone, the first M also have 1:1 templates
                List<String> names = new ArrayList<>();
                for (int i = 0; i < identities; i++) names.add(name(i));
                try (ProgressBar pb = output.json ? null : new ProgressBarBuilder().setTaskName("import").setInitialMax(identities)
                        .setStyle(ProgressBarStyle.ASCII).build()) {
                    importBytes = session.importGallery(names, gallery, done -> {
                        if (pb != null) pb.stepTo(done);
                    });
                }
            }

            // probes: half genuine (a perturbed copy at d2 ~0.6), half impostors (a fresh random vector)
            int verifyRuns = runs * 10;
            boolean allMatch = true;
            double maxErr = 0;
            List<Double> verifyMs = new ArrayList<>(), verifyTotalMs = new ArrayList<>();
            long verifyReq = 0, verifyResp = 0;
            for (int r = 0; r < verifyRuns; r++) {
                int target = rnd.nextInt(enrolled);
                float[] probe = r % 2 == 0 ? near(gallery.get(target), 0.6, rnd) : unit(rnd);
                MatchSession.Verification v = session.verifyEmbedding(name(target), probe);
                double plain = io.picrypt.match.SyntheticEmbeddings.squaredDistance(gallery.get(target), probe);
                maxErr = Math.max(maxErr, Math.abs(plain - v.distance()));
                allMatch &= (plain <= threshold) == v.match();
                if (r > 0) verifyMs.add(v.trace().computeMs()); // first run warms the JIT
                if (r > 0) verifyTotalMs.add(v.trace().encryptMs() + v.trace().serverMs() + v.trace().decryptMs());
                verifyReq = v.trace().requestBytes();
                verifyResp = v.trace().responseBytes();
            }
            List<Double> identifyMs = new ArrayList<>(), identifyTotalMs = new ArrayList<>();
            long probeBytes = 0, identifyResp = 0;
            for (int r = 0; r <= runs; r++) {
                int target = rnd.nextInt(identities);
                float[] probe = near(gallery.get(target), 0.6, rnd);
                MatchSession.Identification id = session.identifyEmbedding(probe, 1);
                // the gallery is packed and cached on the first identify after a change: run 0 includes that
                if (r > 0) identifyMs.add(id.trace().computeMs());
                if (r > 0) identifyTotalMs.add(id.trace().encryptMs() + id.trace().serverMs() + id.trace().decryptMs());
                MatchSession.Candidate best = id.match();
                allMatch &= best != null && best.name().equals(name(target));
                // the gallery's distance is between the projections (the session's synthetic basis)
                maxErr = Math.max(maxErr, Math.abs(io.picrypt.match.SyntheticEmbeddings.galleryDistance(session.galleryBasis(), gallery.get(target), probe)
                        - id.best().distance()));
                probeBytes = id.trace().requestBytes();
                identifyResp = id.trace().responseBytes();
            }
            long stored = server.store().storedBytes(ks.id()) + server.store().galleryBytes(ks.id());

            ObjectNode o = new ObjectMapper().createObjectNode();
            o.put("identities", identities);
            o.put("template_identities", enrolled);
            o.put("gallery_identities", identities);
            o.put("gallery_import_bytes", importBytes);
            o.set("verify_server_ms", stats(verifyMs));
            o.set("identify_server_ms", stats(identifyMs));
            // what the client waits for: encryption + HTTP round trip + decryption (and its checks)
            o.set("verify_client_ms", stats(verifyTotalMs));
            o.set("identify_client_ms", stats(identifyTotalMs));
            o.put("enroll_server_ms", Stats.median(enrollServer));
            o.put("probe_bytes", probeBytes);
            o.put("identify_response_bytes", identifyResp);
            o.put("verify_request_bytes", verifyReq);
            o.put("verify_response_bytes", verifyResp);
            o.put("enroll_request_bytes", enrollBytes[0]);
            o.put("storage_bytes_per_identity", stored / identities);
            o.put("max_abs_distance_error", maxErr);
            o.put("decisions_match_plaintext", allMatch);
            o.put("cores", Runtime.getRuntime().availableProcessors());
            if (output.json) {
                System.out.println(o.toString());
            } else {
                System.out.printf(Locale.ROOT, "%d identities (%d enrolled as 1:1 templates, %d imported into the 1:N gallery), %d cores%n",
                        identities, enrolled, identities, Runtime.getRuntime().availableProcessors());
                System.out.printf(Locale.ROOT, "verify   server %.2f ms median (min %.2f); request %,d B, response %,d B%n",
                        Stats.median(verifyMs), Stats.min(verifyMs), verifyReq, verifyResp);
                System.out.printf(Locale.ROOT, "identify server %.1f ms median (min %.1f); probe %,d B, response %,d B%n",
                        Stats.median(identifyMs), Stats.min(identifyMs), probeBytes, identifyResp);
                System.out.printf(Locale.ROOT, "enroll   server %.2f ms median; request %,d B; storage %,d B per identity%n",
                        o.get("enroll_server_ms").asDouble(), enrollBytes[0], stored / identities);
                System.out.printf(Locale.ROOT, "max |d2 error| %.2e; decisions equal plaintext: %s%n", maxErr, allMatch);
            }
            return allMatch ? 0 : Main.EXIT_ERROR;
        }
    }

    private static String name(int i) { return "id" + i; }

    private static ObjectNode stats(List<Double> xs) {
        return new ObjectMapper().createObjectNode().put("median", Stats.median(xs)).put("min", Stats.min(xs));
    }
}
