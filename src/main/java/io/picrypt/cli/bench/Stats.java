package io.picrypt.cli.bench;

import java.util.Arrays;
import java.util.Collection;
import java.util.List;

/**
 * The statistics every {@code picrypt bench} command reports: median, minimum, a nearest-rank percentile, and
 * rounding for JSON. One copy, so every benchmark's "median" means the same thing (the middle sample, or the mean
 * of the two middle ones for an even count). Samples are in whatever unit the caller measured (ms, us).
 */
public final class Stats {
    private Stats() {}

    /** The median of {@code samples} (not changed); NaN when there are none. */
    public static double median(double[] samples) {
        if (samples.length == 0) return Double.NaN;
        double[] s = samples.clone();
        Arrays.sort(s);
        int n = s.length;
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    }

    /** As {@link #median(double[])}. */
    public static double median(Collection<? extends Number> samples) {
        return median(toArray(samples));
    }

    /** The smallest sample; NaN when there are none. */
    public static double min(double[] samples) {
        return Arrays.stream(samples).min().orElse(Double.NaN);
    }

    /** As {@link #min(double[])}. */
    public static double min(Collection<? extends Number> samples) {
        return min(toArray(samples));
    }

    /** The largest sample; NaN when there are none. */
    public static double max(Collection<? extends Number> samples) {
        return Arrays.stream(toArray(samples)).max().orElse(Double.NaN);
    }

    /**
     * The nearest-rank percentile of samples sorted ascending: the element at index floor(q x n) (the largest for
     * q = 1); NaN when there are none.
     *
     * @param q 0..1
     */
    public static double percentile(List<Double> sorted, double q) {
        if (q < 0 || q > 1) throw new IllegalArgumentException("q must be in [0, 1]: " + q);
        if (sorted.isEmpty()) return Double.NaN;
        return sorted.get(Math.min(sorted.size() - 1, (int) Math.floor(q * sorted.size())));
    }

    /** {@code v} rounded half up to {@code decimals} places (0..9), as the nearest double: prints cleanly in JSON. */
    public static double round(double v, int decimals) {
        if (decimals < 0 || decimals > 9) throw new IllegalArgumentException("decimals must be 0..9: " + decimals);
        double scale = Math.pow(10, decimals);
        return Math.round(v * scale) / scale;
    }

    private static double[] toArray(Collection<? extends Number> samples) {
        return samples.stream().mapToDouble(Number::doubleValue).toArray();
    }

    /** The 1, 5 and 15 minute load averages from /proc/loadavg (Linux), or "n/a". */
    public static String loadAverage() {
        try {
            String[] f = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/loadavg")).trim().split("\\s+");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (java.io.IOException | RuntimeException e) {
            return "n/a";
        }
    }
}
