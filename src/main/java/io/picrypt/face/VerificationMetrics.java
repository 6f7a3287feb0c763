package io.picrypt.face;

import java.util.Arrays;

/**
 * Verification quality from squared distances of labelled pairs. A pair whose photo had no face gets distance
 * +infinity: it is always rejected and ranks as the worst score (it counts against genuine pairs).
 *
 * @param auc            ROC AUC: probability that a genuine pair is closer than an impostor pair (ties count 1/2)
 * @param accuracy       at {@code threshold} (same iff distance <= threshold)
 * @param far            impostor pairs accepted / impostor pairs
 * @param frr            genuine pairs rejected / genuine pairs
 * @param tarAtFar1pct   genuine acceptance rate at the strictest threshold accepting at most 1% of impostors
 * @param bestThreshold  threshold with the highest accuracy on these pairs (midpoint of its interval)
 */
public record VerificationMetrics(int pairs, int genuine, int impostor, double auc, double threshold, double accuracy,
                                  double far, double frr, double tarAtFar1pct, double bestThreshold, double bestAccuracy,
                                  double genuineMax, double impostorMin) {

    public static VerificationMetrics compute(double[] distance, boolean[] same, double threshold) {
        int n = distance.length;
        if (n != same.length || n == 0) throw new IllegalArgumentException("need as many labels as distances, at least one");
        double[] gen = filter(distance, same, true), imp = filter(distance, same, false);
        Arrays.sort(gen);
        Arrays.sort(imp);
        int g = gen.length, m = imp.length;

        double auc = Double.NaN;
        if (g > 0 && m > 0) {
            // Mann-Whitney U over the merged order: for each genuine distance, impostors strictly farther + ties/2
            double u = 0;
            for (double d : gen) {
                int lo = lowerBound(imp, d), hi = upperBound(imp, d);
                u += (m - hi) + 0.5 * (hi - lo);
            }
            auc = u / ((double) g * m);
        }

        int tp = upperBound(gen, threshold), fp = upperBound(imp, threshold);
        double acc = (double) (tp + (m - fp)) / n;
        double far = m == 0 ? Double.NaN : (double) fp / m;
        double frr = g == 0 ? Double.NaN : (double) (g - tp) / g;

        double tar = Double.NaN;
        if (g > 0 && m > 0) {
            int allowed = (int) Math.floor(0.01 * m); // accept at most this many impostors
            double limit = allowed < m ? imp[allowed] : Double.POSITIVE_INFINITY;
            tar = (double) lowerBound(gen, limit) / g; // genuine strictly closer than the first refused impostor
        }

        // best accuracy: try a threshold in every gap between consecutive distinct finite distances
        double[] all = Arrays.stream(distance).filter(Double::isFinite).sorted().distinct().toArray();
        double bestT = all.length == 0 ? threshold : all[0] - 1e-6, bestAcc = -1;
        for (int i = -1; i < all.length; i++) {
            double t = i < 0 ? all[0] - 1e-6 : i == all.length - 1 ? all[i] + 1e-6 : (all[i] + all[i + 1]) / 2;
            double a = (double) (upperBound(gen, t) + (m - upperBound(imp, t))) / n;
            if (a > bestAcc) { bestAcc = a; bestT = t; }
        }
        return new VerificationMetrics(n, g, m, auc, threshold, acc, far, frr, tar, bestT, bestAcc,
                g == 0 ? Double.NaN : gen[g - 1], m == 0 ? Double.NaN : imp[0]);
    }

    private static double[] filter(double[] d, boolean[] same, boolean want) {
        return java.util.stream.IntStream.range(0, d.length).filter(i -> same[i] == want).mapToDouble(i -> d[i]).toArray();
    }

    /** first index with a[i] >= x */
    private static int lowerBound(double[] a, double x) {
        int lo = 0, hi = a.length;
        while (lo < hi) { int mid = (lo + hi) >>> 1; if (a[mid] < x) lo = mid + 1; else hi = mid; }
        return lo;
    }

    /** first index with a[i] > x */
    private static int upperBound(double[] a, double x) {
        int lo = 0, hi = a.length;
        while (lo < hi) { int mid = (lo + hi) >>> 1; if (a[mid] <= x) lo = mid + 1; else hi = mid; }
        return lo;
    }
}
