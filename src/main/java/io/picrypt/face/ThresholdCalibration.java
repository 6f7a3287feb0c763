package io.picrypt.face;

import java.util.Arrays;
import java.util.List;

/**
 * The threshold-choosing procedure of {@code picrypt eval --calibrate}: false accepts are the costly error of a
 * verification product, so the threshold is set by a target false-accept rate, and the false-reject rate is what
 * it costs. For a target {@code far} the threshold is the largest value, rounded down to 4 decimals, that accepts
 * at most {@code floor(far x m)} of the {@code m} impostor pairs, computed on the pooled impostor pairs of all sets
 * and on each set alone; the strictest (smallest) of those is taken, so the target holds on the pool and on every
 * set. With {@code floor(far x m) = 0} this is just below the closest impostor pair.
 *
 * @param threshold       chosen squared-distance threshold (same iff distance <= threshold)
 * @param farTarget       the target false-accept rate, in [0, 1)
 * @param pooledImpostors impostor pairs over all sets
 * @param limitingSet     index of the set (or -1 for the pool) whose impostors set the threshold
 */
public record ThresholdCalibration(double threshold, double farTarget, int pooledImpostors, int limitingSet) {

    /**
     * @param distances per set, squared distances of its pairs (+infinity for a pair with an unusable photo)
     * @param same      per set, the labels
     * @throws IllegalArgumentException when sizes differ, no impostor pair has a finite distance, or far is outside [0, 1)
     */
    public static ThresholdCalibration calibrate(List<double[]> distances, List<boolean[]> same, double far) {
        if (!(far >= 0 && far < 1)) throw new IllegalArgumentException("target FAR must be in [0, 1), got " + far);
        if (distances.size() != same.size() || distances.isEmpty()) throw new IllegalArgumentException("need labels for every set");
        int pooled = 0;
        for (int i = 0; i < distances.size(); i++) {
            if (distances.get(i).length != same.get(i).length) throw new IllegalArgumentException("set " + i + ": labels and distances differ in number");
            for (boolean s : same.get(i)) if (!s) pooled++;
        }
        double[] pool = new double[pooled];
        int k = 0;
        for (int i = 0; i < distances.size(); i++) {
            for (int j = 0; j < distances.get(i).length; j++) if (!same.get(i)[j]) pool[k++] = distances.get(i)[j];
        }
        double best = limit(pool, far);
        int limiting = -1;
        for (int i = 0; i < distances.size(); i++) {
            double[] d = distances.get(i);
            boolean[] s = same.get(i);
            double[] imp = java.util.stream.IntStream.range(0, d.length).filter(j -> !s[j]).mapToDouble(j -> d[j]).toArray();
            if (imp.length == 0) continue;
            double t = limit(imp, far);
            if (t < best) { best = t; limiting = i; }
        }
        if (!Double.isFinite(best)) throw new IllegalArgumentException("no impostor pair with a usable distance: cannot calibrate");
        return new ThresholdCalibration(best, far, pooled, limiting);
    }

    /** Largest 4-decimal value below the (floor(far m)+1)-th smallest impostor distance. */
    static double limit(double[] impostors, double far) {
        double[] s = impostors.clone();
        Arrays.sort(s);
        int allowed = (int) Math.floor(far * s.length + 1e-9);
        if (allowed >= s.length) return Double.POSITIVE_INFINITY;
        double first = s[allowed]; // the closest impostor that must be refused
        double t = Math.floor(first * 1e4) / 1e4;
        if (t >= first) t -= 1e-4; // strictly below it
        return t;
    }
}
