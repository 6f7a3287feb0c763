package io.picrypt.integrity;

import io.picrypt.ckks.SecretKey;
import io.picrypt.match.MatchKeyOwner;
import io.picrypt.match.MatchEvaluator;
import io.picrypt.match.SyntheticEmbeddings;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Cost of the planted template check values, interleaved A/B in one JVM over the whole in-process 1:1 verify (probe
 * encryption + server product + decryption and checks; no HTTP): A = templates without check values, range checks only
 * (the path before); B = templates with check values, checked. Args: templates per name (default 1), rounds (default 200).
 * Run: mvn -B -o -q test-compile dependency:build-classpath -Dmdep.outputFile=cp.txt && java -cp target/classes:target/test-classes:$(cat cp.txt) io.picrypt.integrity.TemplateCheckCost 1 200
 */
public final class TemplateCheckCost {
    public static void main(String[] a) {
        int templates = a.length > 0 ? Integer.parseInt(a[0]) : 1, rounds = a.length > 1 ? Integer.parseInt(a[1]) : 200;
        var r = new SplittableRandom(3);
        SecretKey sk = MatchKeyOwner.generateSecretKey();
        MatchKeyOwner c = new MatchKeyOwner(sk);
        MatchEvaluator s = new MatchEvaluator();
        List<byte[]> plain = new ArrayList<>(), planted = new ArrayList<>();
        for (int i = 0; i < templates; i++) {
            float[] y = SyntheticEmbeddings.unit(r);
            plain.add(c.encryptTemplate(y));
            planted.add(c.encryptTemplate(y, "alice"));
        }
        long[] aNs = new long[rounds], bNs = new long[rounds], aDec = new long[rounds], bDec = new long[rounds];
        long aBytes = 0, bBytes = 0;
        double sink = 0;
        for (int it = -rounds / 4; it < rounds; it++) {
            float[] x = SyntheticEmbeddings.unit(r);
            boolean aFirst = (it & 1) == 0;
            for (int pass = 0; pass < 2; pass++) {
                boolean isA = (pass == 0) == aFirst;
                long t0 = System.nanoTime();
                byte[] res = s.verify(isA ? plain : planted, c.encryptProbe(x));
                long t1 = System.nanoTime();
                double[] d = isA ? c.decryptVerify(res) : c.decryptVerify(res, "alice", x).distances();
                long t2 = System.nanoTime();
                sink += d[0];
                if (it >= 0) {
                    if (isA) { aNs[it] = t2 - t0; aDec[it] = t2 - t1; aBytes = res.length; } else { bNs[it] = t2 - t0; bDec[it] = t2 - t1; bBytes = res.length; }
                }
            }
        }
        Arrays.sort(aNs); Arrays.sort(bNs); Arrays.sort(aDec); Arrays.sort(bDec);
        System.out.printf(Locale.ROOT, "%d template(s), %d interleaved rounds: verify (encrypt+server+decrypt) median A %.3f ms / B %.3f ms (%+.1f%%); "
                        + "decrypt+checks median A %.3f / B %.3f ms; answer A %,d B / B %,d B (sink %.1f)%n",
                templates, rounds, aNs[rounds / 2] / 1e6, bNs[rounds / 2] / 1e6, 100.0 * (bNs[rounds / 2] - aNs[rounds / 2]) / aNs[rounds / 2],
                aDec[rounds / 2] / 1e6, bDec[rounds / 2] / 1e6, aBytes, bBytes, sink);
    }
}
