package io.picrypt.integrity;

import io.picrypt.client.GallerySessions;
import io.picrypt.client.MatchSession;
import io.picrypt.client.PiCryptClient;
import io.picrypt.match.MatchKeyOwner;
import io.picrypt.match.MatchParameters;
import io.picrypt.match.SyntheticEmbeddings;
import io.picrypt.server.PiCryptServer;
import io.picrypt.server.ServerConfig;

import java.lang.management.ManagementFactory;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Cost of the default 1:N confirmation, end to end over HTTP against an in-process server (SQLite): identify of a genuine
 * probe (a MATCH) with confirmation (B, the default) and without ({@code confirmMatches(false)}, A), interleaved in one
 * JVM; also an impostor probe (NO MATCH: no confirmation request, so A and B run the same code). Gallery: {@code enrolled}
 * identities enrolled with planted 1:1 templates (and their gallery entries) plus {@code imported} gallery-only ones.
 * Reports wall-clock medians (client + server, one process) and process CPU time per identify (both sides: the server
 * runs in this JVM), bytes received. Args: enrolled (default 8), imported (default 2040), rounds (default 30).
 * Run: mvn -B -o -q test-compile dependency:build-classpath -Dmdep.outputFile=cp.txt && java -Xmx3g -cp target/classes:target/test-classes:$(cat cp.txt) io.picrypt.integrity.ConfirmCost 8 2040 30
 */
public final class ConfirmCost {
    static final io.picrypt.ckks.SecretKey KEY = MatchKeyOwner.generateSecretKey();

    static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += (double) a[i] * b[i];
        return s;
    }
    public static void main(String[] a) throws Exception {
        int enrolled = a.length > 0 ? Integer.parseInt(a[0]) : 8, imported = a.length > 1 ? Integer.parseInt(a[1]) : 2040;
        int rounds = a.length > 2 ? Integer.parseInt(a[2]) : 30;
        var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        Path dir = Files.createTempDirectory("confirm-cost");
        try (var server = new PiCryptServer(ServerConfig.defaults(dir, 0)).start()) {
            URI base = URI.create("http://127.0.0.1:" + server.port());
            PiCryptClient.Keyset ks = PiCryptClient.createKeyset(base, MatchParameters.get().fingerprintHex());
            PiCryptClient http = new PiCryptClient(base, ks.id(), ks.token());
            MatchSession s = GallerySessions.session(http, KEY, null, 1.30);
            SplittableRandom r = new SplittableRandom(5);
            List<float[]> people = new ArrayList<>();
            for (int i = 0; i < enrolled; i++) {
                people.add(SyntheticEmbeddings.unit(r));
                s.enrollEmbedding("person " + i, people.get(i), true);
            }
            List<String> names = new ArrayList<>();
            List<float[]> vectors = new ArrayList<>();
            for (int i = 0; i < imported; i++) {
                names.add("imported " + i);
                vectors.add(SyntheticEmbeddings.unit(r));
            }
            if (imported > 0) s.importGallery(names, vectors, d -> {});
            double[][] wall = new double[4][rounds], cpu = new double[4][rounds]; // 0 A match, 1 B match, 2 A no match, 3 B no match
            long[] received = new long[4], sent = new long[4];
            for (int it = -3; it < rounds; it++) {
                float[] genuine = SyntheticEmbeddings.near(people.get(Math.floorMod(it, enrolled)), 0.4, r), impostor = SyntheticEmbeddings.unit(r);
                boolean aFirst = (it & 1) == 0;
                for (int pass = 0; pass < 4; pass++) {
                    boolean confirm = (pass % 2 == 0) != aFirst;
                    boolean match = pass < 2;
                    int k = (match ? 0 : 2) + (confirm ? 1 : 0);
                    long c0 = os.getProcessCpuTime(), t0 = System.nanoTime();
                    MatchSession.Identification id = s.confirmMatches(confirm).identifyEmbedding(match ? genuine : impostor, 1);
                    long t1 = System.nanoTime(), c1 = os.getProcessCpuTime();
                    if (match != (id.match() != null)) throw new IllegalStateException("unexpected decision " + id.match());
                    if (match && confirm != id.confirmed()) throw new IllegalStateException("confirmation " + id.confirmation());
                    if (it >= 0) {
                        wall[k][it] = (t1 - t0) / 1e6;
                        cpu[k][it] = (c1 - c0) / 1e6;
                        received[k] = id.trace().responseBytes();
                        sent[k] = id.trace().requestBytes();
                    }
                }
            }
            String[] label = {"MATCH, unconfirmed (A)", "MATCH, confirmed (B)", "NO MATCH (A)", "NO MATCH (B)"};
            System.out.printf(Locale.ROOT, "%d enrolled + %d imported identities, %d interleaved rounds, load average %.2f%n",
                    enrolled, imported, rounds, os.getSystemLoadAverage());
            for (int k = 0; k < 4; k++) {
                System.out.printf(Locale.ROOT, "  %-24s wall median %8.1f ms (min %7.1f)  CPU median %8.1f ms (min %7.1f)  sent %,d B, received %,d B%n",
                        label[k], median(wall[k]), min(wall[k]), median(cpu[k]), min(cpu[k]), sent[k], received[k]);
            }
            System.out.printf(Locale.ROOT, "  MATCH: confirmation adds %+.1f%% wall (median), %+.1f%% CPU (median), %+.1f%% bytes received, %+.1f%% bytes sent+received%n",
                    100 * (median(wall[1]) / median(wall[0]) - 1), 100 * (median(cpu[1]) / median(cpu[0]) - 1), 100.0 * (received[1] - received[0]) / received[0],
                    100.0 * (received[1] + sent[1] - received[0] - sent[0]) / (received[0] + sent[0]));
            // the confirmation's client work alone: decrypt the name's template with its check values, rebuild, compare
            List<byte[]> t = http.templates("person 0");
            float[] probe = SyntheticEmbeddings.near(people.get(0), 0.4, r);
            io.picrypt.match.GalleryProjection basis = io.picrypt.match.GalleryProjection.synthetic(1); // the session's (GallerySessions)
            double d = 2 - 2 * dot(basis.project(people.get(0)), basis.project(probe));
            double[] check = new double[200];
            MatchKeyOwner mc = new MatchKeyOwner(KEY);
            for (int i = -50; i < check.length; i++) {
                long t0 = System.nanoTime();
                MatchSession.confirmAgainst(mc, basis, new MatchSession.Candidate("person 0", d), t, probe, true);
                if (i >= 0) check[i] = (System.nanoTime() - t0) / 1e6;
            }
            System.out.printf(Locale.ROOT, "  confirmAgainst alone (client: decrypt + check values + compare, 1 template): median %.3f ms (min %.3f)%n",
                    median(check), min(check));
        }
    }

    static double median(double[] v) {
        double[] c = v.clone();
        Arrays.sort(c);
        return c[c.length / 2];
    }

    static double min(double[] v) {
        return Arrays.stream(v).min().orElse(Double.NaN);
    }
}
