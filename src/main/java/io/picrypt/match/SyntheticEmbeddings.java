package io.picrypt.match;

import java.util.random.RandomGenerator;

/**
 * Synthetic L2-normalised embeddings for benchmarks and tests: random unit vectors, and unit vectors at a
 * chosen squared distance from a given one (so decisions near the threshold can be exercised on purpose).
 */
public final class SyntheticEmbeddings {
    private SyntheticEmbeddings() {}

    /** A uniformly random unit vector of {@link MatchParameters#DIMENSION} dimensions. */
    public static float[] unit(RandomGenerator r) {
        return unit(r, MatchParameters.DIMENSION);
    }

    /** A uniformly random unit vector of {@code dim} dimensions. */
    public static float[] unit(RandomGenerator r, int dim) {
        float[] v = new float[dim];
        double n = 0;
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) r.nextGaussian();
            n += v[i] * v[i];
        }
        for (int i = 0; i < v.length; i++) v[i] /= (float) Math.sqrt(n);
        return v;
    }

    /** A unit vector at squared distance {@code d2} (0..4) from the unit vector {@code v}: cos = 1 - d2/2. */
    public static float[] near(float[] v, double d2, RandomGenerator r) {
        float[] noise = unit(r, v.length);
        double dot = 0;
        for (int i = 0; i < v.length; i++) dot += noise[i] * v[i];
        double[] o = new double[v.length];
        double on = 0;
        for (int i = 0; i < v.length; i++) {
            o[i] = noise[i] - dot * v[i];
            on += o[i] * o[i];
        }
        double cos = 1 - d2 / 2, sin = Math.sqrt(1 - cos * cos);
        float[] out = new float[v.length];
        for (int i = 0; i < v.length; i++) out[i] = (float) (cos * v[i] + sin * o[i] / Math.sqrt(on));
        return out;
    }

    /**
     * The squared distance the gallery holds for two model embeddings: between their projections with {@code basis}
     * ({@link GalleryProjection#project}); {@code basis} null: between the vectors as they are.
     */
    public static double galleryDistance(GalleryProjection basis, float[] a, float[] b) {
        return basis == null ? squaredDistance(a, b) : squaredDistance(basis.project(a), basis.project(b));
    }

    public static double squaredDistance(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += (a[i] - b[i]) * (double) (a[i] - b[i]);
        return s;
    }
}
