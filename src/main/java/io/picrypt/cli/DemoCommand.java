package io.picrypt.cli;

import io.picrypt.client.ImageDiffSession;
import io.picrypt.imagediff.DiffImage;
import io.picrypt.match.SyntheticEmbeddings;
import io.picrypt.imagediff.SyntheticPair;
import io.picrypt.client.KeyDirectory;
import io.picrypt.client.KeysetSetup;
import io.picrypt.client.MatchSession;
import io.picrypt.client.PiCryptClient;
import io.picrypt.face.FacePipeline;
import io.picrypt.face.SampleFaces;
import io.picrypt.match.MatchParameters;
import io.picrypt.models.ModelCheck;
import io.picrypt.models.ModelFetcher;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * The end-to-end demo on an embedded server: a loopback server with a temporary store, keys in a temporary
 * key directory, the sample photos the build fetched, and every step printed with what the server saw.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"End-to-end demo: embedded server on a free loopback port with a temporary store, keys, enrollment of",
                "the sample faces, verification of a genuine and an impostor probe, identification, image difference",
                "(PNGs written to --out)."})
final class DemoCommand implements Callable<Integer> {
    @Option(names = "--models", description = "models directory (default: $PICRYPT_MODELS or ./models)", defaultValue = "${env:PICRYPT_MODELS:-models}")
    Path models;

    @Option(names = "--out", description = "where to write the image-difference demo's PNGs (default: ${DEFAULT-VALUE})",
            defaultValue = "${env:PICRYPT_DEMO_OUT:-demo-output}")
    Path out;

    @Option(names = "--gallery-size", defaultValue = "10000",
            description = "synthetic identities in the 1:N-at-scale step (default ${DEFAULT-VALUE}; 0 skips the step)")
    int gallerySize;

    @Override
    public Integer call() throws Exception {
        // the demo narrates each step itself: only warnings from the components
        System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        say("1. Build self-check");
        List<String> fetched = new ModelFetcher(models).ensureAll();
        say("   models and sample photos present with pinned SHA-256 sums" + (fetched.isEmpty() ? "" : " (fetched " + fetched + ")"));
        for (ModelCheck.Result r : ModelCheck.checkAll(models)) {
            say("   " + r);
            if (!r.shapeMatches()) throw new IllegalStateException("a model does not match the manifest: " + r);
        }
        try (EmbeddedServer server = EmbeddedServer.start("picrypt-demo"); // its directory (keys, faces too) goes on close
             FacePipeline pipeline = FacePipeline.open(models)) {
            Path tmp = server.dir();
            URI url = server.url();
            say("");
            say("2. Server: embedded, " + url + ", temporary store " + server.storeDir() + " (holds no secret key)");

            say("");
            say("3. Client keys (stay in this process and in " + tmp.resolve("keys") + ", mode 0600)");
            var p = MatchParameters.get();
            say(String.format(Locale.ROOT, "   CKKS N=%d, one %d-bit prime, scale 2^27, coefficient packing; parameters %s",
                    p.n(), 64 - Long.numberOfLeadingZeros(p.dataPrime(0)), p.fingerprintHex()));
            // the keys and keyset as 'keys init' makes them; the 1:N gallery key: identification runs over the
            // keyset's column-packed gallery only
            KeyDirectory keys = new KeyDirectory(tmp.resolve("keys"));
            KeysetSetup.Keys made = KeysetSetup.create(url, null, true);
            made.writeTo(keys, null, false);
            PiCryptClient.Keyset ks = made.keyset();
            PiCryptClient api = made.http();
            say("   keyset " + ks.id() + " registered; the server stored only a SHA-256 of its token");
            say(String.format(Locale.ROOT, "   1:N gallery key: the server received its evaluation (expansion) keys, %,d B, no secret", made.evaluationKeyBytes()));
            MatchSession session = made.session(api, pipeline, pipeline.threshold());

            say("");
            List<SampleFaces.Sample> samples = SampleFaces.crops(pipeline, models.resolve("samples"));
            say("4. Enrollment of " + samples.size() + " faces cropped from the sample photos");
            Path faces = tmp.resolve("faces");
            Files.createDirectories(faces);
            for (SampleFaces.Sample s : samples) {
                Path f = faces.resolve(s.id() + ".png");
                Files.write(f, s.png());
                MatchSession.Enrollment e = session.enroll(name(s), List.of(f), true);
                say(String.format(Locale.ROOT, "   %-28s embed %4.0f ms, encrypt %3.0f ms -> server received %,d B of ciphertexts (template + gallery entry)",
                        name(s), e.trace().embedMs(), e.trace().encryptMs(), e.trace().requestBytes()));
            }

            say("");
            SampleFaces.Sample who = samples.get(0), other = samples.get(1);
            Path genuine = tmp.resolve("probe-genuine.png");
            Files.write(genuine, new SampleFaces.Variation(true, 5, 0.9, 12).apply(who.png()));
            say("5. Verification 1:1 (probe: " + name(who) + " mirrored, rotated 5 degrees, scaled 0.9, brighter)");
            verify(session, name(who), genuine, "genuine");
            verify(session, name(other), genuine, "impostor");

            say("");
            say("6. Identification 1:N against all " + samples.size() + " identities");
            MatchSession.Identification id = session.identify(genuine, 3);
            MatchSession.Trace t = id.trace();
            say(String.format(Locale.ROOT, "   server saw: a %,d-byte probe; returned %,d bytes of encrypted distances (%d identities)",
                    t.requestBytes(), t.responseBytes(), id.identities()));
            for (MatchSession.Candidate c : id.ranked()) say(String.format(Locale.ROOT, "   %-28s d2 = %.4f", c.name(), c.distance()));
            say("   client decided: " + (id.match() != null ? "identified as " + id.match().name()
                    + (id.confirmed() ? " (confirmed by its checked 1:1 template)" : " (" + id.unconfirmedWarning() + ")") : "unknown"));
            boolean ok = id.match() != null && id.match().name().equals(name(who));

            say("");
            say("7. Image difference: an object moved on a textured background (synthetic pair)");
            SyntheticPair pair = SyntheticPair.generate();
            Files.createDirectories(out);
            Path[] frames = pair.writeTo(out);
            ImageDiffSession diff = new ImageDiffSession(new PiCryptClient(url, ks.id(), ks.token()),
                    ImageDiffSession.key(keys, null));
            ImageDiffSession.Result r = diff.diff(pair.before(), pair.after(), ImageDiffSession.Progress.NONE);
            Path abs = out.resolve("difference.png"), sgn = out.resolve("difference-signed.png");
            r.difference().writeAbsolutePng(abs);
            r.difference().writeSignedPng(sgn);
            boolean exact = r.difference().equals(DiffImage.plain(pair.before(), pair.after()));
            say(String.format(Locale.ROOT, "   %dx%d RGB; server saw two encrypted images (%,d bytes) and returned their encrypted difference (%,d bytes)",
                    pair.before().width(), pair.before().height(), r.uploadBytes(), r.downloadBytes()));
            say(String.format(Locale.ROOT, "   encrypt %.0f ms, round trip %.0f ms (server compute %.0f ms), decrypt %.0f ms; exact pixel for pixel: %s",
                    r.encryptMs(), r.roundTripMs(), r.serverMs(), r.decryptMs(), exact ? "yes" : "NO"));
            say(String.format(Locale.ROOT, "   the object shows up twice, %.0f px apart: %s (signed: %s; inputs: %s, %s)",
                    pair.displacement(), abs.toAbsolutePath(), sgn.getFileName(), frames[0].getFileName(), frames[1].getFileName()));
            ok &= exact;

            if (gallerySize > 0) {
                say("");
                ok &= scale(session, samples, genuine, who);
            }

            say("");
            say("Done: the server computed every distance and the image difference on ciphertexts; only this client could decrypt them.");
            return ok ? 0 : Main.EXIT_ERROR;
        }
    }

    /** Step 8: the keyset's column-packed gallery (already holding the sample faces of step 4) grows by synthetic identities, then 1:N. */
    private boolean scale(MatchSession scaled, List<SampleFaces.Sample> samples, Path genuine, SampleFaces.Sample who) {
        say(String.format(Locale.ROOT, "8. 1:N at scale: the keyset's column-packed gallery with %,d synthetic identities + the %d sample faces",
                gallerySize, samples.size()));
        List<String> names = new ArrayList<>();
        List<float[]> vectors = new ArrayList<>();
        java.util.Random rnd = new java.util.Random(2026);
        for (int i = 0; i < gallerySize; i++) {
            names.add(String.format(Locale.ROOT, "synthetic-%06d", i));
            vectors.add(SyntheticEmbeddings.unit(rnd));
        }
        long t0 = System.nanoTime();
        long bytes = scaled.importGallery(names, vectors, d -> {});
        say(String.format(Locale.ROOT, "   server received %,d B of column ciphertexts (%.1f s to encrypt and import)",
                bytes, (System.nanoTime() - t0) / 1e9));
        MatchSession.Identification id = scaled.identify(genuine, 3);
        MatchSession.Trace t = id.trace();
        say(String.format(Locale.ROOT, "   identify: server saw %,d B of probes, computed for %.0f ms, returned %,d B of encrypted distances (%,d identities)",
                t.requestBytes(), t.computeMs(), t.responseBytes(), id.identities()));
        for (MatchSession.Candidate c : id.ranked()) say(String.format(Locale.ROOT, "   %-32s d2 = %.4f", c.name(), c.distance()));
        MatchSession.Candidate m = id.match();
        say("   client decided: " + (m != null ? "identified as " + m.name() + (id.confirmed() ? "" : " (" + id.unconfirmedWarning() + ")") : "unknown"));
        return m != null && m.name().equals(name(who));
    }

    private static void verify(MatchSession session, String name, Path probe, String label) {
        MatchSession.Verification v = session.verify(name, probe);
        MatchSession.Trace t = v.trace();
        say(String.format(Locale.ROOT, "   %-8s vs %-26s server saw: a %,d-byte probe ciphertext; returned a %,d-byte encrypted distance",
                label, name, t.requestBytes(), t.responseBytes()));
        say(String.format(Locale.ROOT, "            client decrypted d2 = %.4f, threshold %.2f -> %s   (embed %.0f ms, encrypt %.0f ms, server %.0f ms, decrypt %.0f ms)",
                v.distance(), v.threshold(), v.match() ? "MATCH" : "NO MATCH", t.embedMs(), t.encryptMs(), t.serverMs(), t.decryptMs()));
    }

    /** Sample ids look like "group-tracking#1"; names allow no '#'. */
    private static String name(SampleFaces.Sample s) {
        return s.id().replace('#', '-');
    }

    private static void say(String s) {
        System.out.println(s);
    }
}
