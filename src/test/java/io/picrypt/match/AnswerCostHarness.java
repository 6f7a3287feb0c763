package io.picrypt.match;

import io.picrypt.ckks.Ciphertext;
import io.picrypt.ckks.CompactRelinearizer;
import io.picrypt.ckks.Evaluator;
import io.picrypt.ckks.KeyGenerator;
import io.picrypt.ckks.RelinKey;
import io.picrypt.ckks.SecretKey;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Measurement harness for docs/BENCHMARKS.md "Relinearization and compact answer fused (issue 16 round 5)" (not a test,
 * not on any product path): the phase of identify after the products, for {@code blocks} product sums of random words
 * (the cost does not depend on the values), timed {@code reps} times in one process, both cores.
 * Modes: {@code two-step} (Evaluator.relinearize on all cores, then GalleryResult.write switches down: the path before
 * round 5), {@code fused} (GalleryResult.write with ckks.CompactRelinearizer: what identify runs), {@code both}
 * (alternating, and checks the bytes are equal). Run:
 * mvn -B -o -q test-compile dependency:build-classpath -Dmdep.outputFile=cp.txt && java -Xmx4g
 * -XX:+UseTransparentHugePages -cp target/classes:target/test-classes:$(cat cp.txt) io.picrypt.match.AnswerCostHarness 489 8 fused
 */
public class AnswerCostHarness {
    public static void main(String[] a) throws Exception {
        int blocks = Integer.parseInt(a[0]), reps = Integer.parseInt(a[1]);
        String mode = a.length > 2 ? a[2] : "both";
        var p = GalleryParameters.get();
        KeyGenerator kg = new KeyGenerator(p);
        SecretKey sk = kg.secretKey();
        RelinKey rk = kg.relinKey(sk);
        Evaluator ev = new Evaluator(p);
        CompactRelinearizer fused = new CompactRelinearizer(p, rk, GalleryParameters.distancePositions(),
                GalleryParameters.RESULT_LOG_T0, GalleryParameters.RESULT_LOG_T1);
        long q = p.dataPrime(0);
        SplittableRandom rnd = new SplittableRandom(1);
        List<Ciphertext> sums = new ArrayList<>();
        for (int b = 0; b < blocks; b++) {
            long[][][] c = new long[3][1][p.n()];
            for (long[][] x : c) for (int j = 0; j < p.n(); j++) x[0][j] = rnd.nextLong(q);
            sums.add(Ciphertext.fromComponents(c, GalleryParameters.RESULT_SCALE));
        }
        List<byte[]> bitmaps = new ArrayList<>();
        for (int b = 0; b < blocks; b++) bitmaps.add(new byte[GalleryParameters.BLOCK_CAPACITY / 8]);
        var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        for (int r = 0; r < reps; r++) {
            String load = new String(java.nio.file.Files.readAllBytes(java.nio.file.Path.of("/proc/loadavg"))).split(" ")[0];
            byte[] twoStepBytes = null, fusedBytes = null;
            StringBuilder line = new StringBuilder();
            if (!mode.equals("fused")) {
                long c0 = os.getProcessCpuTime(), t0 = System.nanoTime();
                List<Ciphertext> res = sums.parallelStream().map(s -> ev.relinearize(s, rk)).toList();
                twoStepBytes = GalleryResult.write(bitmaps, res, p);
                line.append(String.format("two-step wall %.1f ms cpu %.1f ms (%.3f ms cpu/block) ", (System.nanoTime() - t0) / 1e6,
                        (os.getProcessCpuTime() - c0) / 1e6, (os.getProcessCpuTime() - c0) / 1e6 / blocks));
            }
            if (!mode.equals("two-step")) {
                long c0 = os.getProcessCpuTime(), t0 = System.nanoTime();
                fusedBytes = GalleryResult.write(bitmaps, sums, fused);
                line.append(String.format("fused wall %.1f ms cpu %.1f ms (%.3f ms cpu/block) ", (System.nanoTime() - t0) / 1e6,
                        (os.getProcessCpuTime() - c0) / 1e6, (os.getProcessCpuTime() - c0) / 1e6 / blocks));
            }
            if (twoStepBytes != null && fusedBytes != null) line.append("equal ").append(Arrays.equals(twoStepBytes, fusedBytes)).append(' ');
            System.out.println(line.append("load ").append(load));
        }
    }
}
