package io.picrypt.integrity;

import io.picrypt.match.*;
import io.picrypt.ckks.*;
import java.util.*;

/** Client-side cost of the integrity checks, interleaved A/B in one JVM: decrypt + checks vs decrypt only (the old path). */
public final class CheckCost {
    public static void main(String[] a) throws Exception {
        var r = new SplittableRandom(1);
        SecretKey sk = MatchKeyOwner.generateSecretKey();
        MatchKeyOwner c = new MatchKeyOwner(sk);
        Decryptor dec = new Decryptor(MatchParameters.get(), sk);
        MatchEvaluator s = new MatchEvaluator();
        int n = Integer.parseInt(a[0]);
        List<byte[]> t = new ArrayList<>();
        for (int i = 0; i < n; i++) t.add(c.encryptTemplate(SyntheticEmbeddings.unit(r)));
        byte[] res = s.verify(t, c.encryptProbe(SyntheticEmbeddings.unit(r)));
        long[] oldNs = new long[40], newNs = new long[40];
        for (int it = -10; it < 40; it++) {
            long t0 = System.nanoTime();
            var env = ResultEnvelope.read(res, MatchParameters.get());
            double sum = 0;
            for (Ciphertext ct : env.ciphertexts()) { double[] co = dec.decryptCoefficients(ct); for (int k = 0; k < 8; k++) sum += co[k * 512]; }
            long t1 = System.nanoTime();
            double[] d = c.decryptVerify(res);
            long t2 = System.nanoTime();
            if (it >= 0) { oldNs[it] = t1 - t0; newNs[it] = t2 - t1; }
            if (sum == 42) System.out.println(d[0]);
        }
        Arrays.sort(oldNs); Arrays.sort(newNs);
        System.out.printf(Locale.ROOT, "%d templates: decrypt only median %.2f ms (min %.2f); decrypt + checks median %.2f ms (min %.2f)%n",
                n, oldNs[20] / 1e6, oldNs[0] / 1e6, newNs[20] / 1e6, newNs[0] / 1e6);
        byte[] ct = t.get(0);
        var md = java.security.MessageDigest.getInstance("SHA-256");
        long[] sh = new long[200];
        for (int i = -50; i < 200; i++) { long t0 = System.nanoTime(); md.update("x".getBytes()); md.digest(ct); if (i >= 0) sh[i] = System.nanoTime() - t0; }
        Arrays.sort(sh);
        System.out.printf(Locale.ROOT, "SHA-256 of a %d-byte template: median %.3f ms%n", ct.length, sh[100] / 1e6);
    }
}
