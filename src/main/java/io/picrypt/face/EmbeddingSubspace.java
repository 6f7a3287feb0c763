package io.picrypt.face;

import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.opencv.opencv_core.Mat;

import java.util.Random;

import static org.bytedeco.opencv.global.opencv_core.CV_64F;
import static org.bytedeco.opencv.global.opencv_core.CV_8UC3;
import static org.bytedeco.opencv.global.opencv_core.eigen;

/**
 * The subspace an embedding model's outputs actually span, found from the model alone: the model is run on seeded
 * uniform-noise inputs of its aligned size, and the top k eigenvectors of the outputs' Gram matrix sum_i e_i e_i^T
 * (d x d, OpenCV's symmetric {@code eigen}) form an orthonormal basis. No face data is used, so the basis is a
 * property of the model file (pinned by its SHA-256) and the seed.
 *
 * <p>Why: the default model's 512 outputs are a linear image of far fewer features. Measured (docs/BENCHMARKS.md,
 * "Fewer dimensions for the gallery"): on noise inputs 99.97% of the outputs' energy lies in 128 dimensions and all of
 * it (to 1e-5) in 160; the 256-dimensional basis holds at least 99.997% of every face embedding of the three
 * development sets, and squared distances between projected (re-normalised) embeddings differ from the full ones by
 * at most ~5e-5. A 1:N gallery of 256-dimensional templates would then do half the encrypted products per identity.
 * {@code picrypt eval --subspace K} measures this for any model and photo set.
 *
 * <p>Immutable and thread-safe.
 */
public final class EmbeddingSubspace {
    /** Noise inputs used by {@link #derive(FacePipeline, int)} (several times the dimensions a model is expected to span). */
    public static final int DEFAULT_SAMPLES = 1024;
    /** Seed of the noise inputs: fixed, so every client derives the same basis from the same model file. */
    public static final long DEFAULT_SEED = 0x5eed_0f_5ab5_ace5L;

    private final float[][] basis; // k rows of length d, orthonormal
    private final double[] eigenvalues; // all d, descending, of the noise outputs' Gram matrix divided by the samples

    private EmbeddingSubspace(float[][] basis, double[] eigenvalues) {
        this.basis = basis;
        this.eigenvalues = eigenvalues;
    }

    /** {@link #derive(FacePipeline, int, int, long)} with {@link #DEFAULT_SAMPLES} and {@link #DEFAULT_SEED}. */
    public static EmbeddingSubspace derive(FacePipeline pipeline, int k) {
        return derive(pipeline, k, DEFAULT_SAMPLES, DEFAULT_SEED);
    }

    /**
     * Derives the k-dimensional basis from {@code samples} noise inputs (uniform bytes, 3 channels, the model's aligned
     * size) run through {@link FacePipeline#embedAligned} (L2-normalised outputs).
     *
     * @param k       basis dimension, 1..d (d = the model's output size)
     * @param samples noise inputs, at least k
     * @throws IllegalArgumentException for k or samples out of range
     * @throws FaceException            if the model fails
     */
    public static EmbeddingSubspace derive(FacePipeline pipeline, int k, int samples, long seed) {
        int d = pipeline.dimension();
        if (k < 1 || k > d) throw new IllegalArgumentException("subspace dimension must be in [1, " + d + "], got " + k);
        if (samples < k) throw new IllegalArgumentException("need at least " + k + " noise samples, got " + samples);
        var align = pipeline.embeddingSpec().alignment();
        int h = align.height(), w = align.width();
        Random rnd = new Random(seed);
        byte[] px = new byte[h * w * 3];
        double[] gram = new double[d * d];
        for (int s = 0; s < samples; s++) {
            rnd.nextBytes(px);
            float[] e;
            try (Mat m = new Mat(h, w, CV_8UC3)) {
                m.data().put(px);
                e = pipeline.embedAligned(m);
            }
            for (int i = 0; i < d; i++) {
                double ei = e[i];
                for (int j = i; j < d; j++) gram[i * d + j] += ei * e[j];
            }
        }
        for (int i = 0; i < d; i++) for (int j = i; j < d; j++) gram[j * d + i] = gram[i * d + j] /= samples;
        double[] values = new double[d], vectors = new double[d * d];
        try (Mat g = new Mat(d, d, CV_64F); Mat vals = new Mat(); Mat vecs = new Mat()) {
            g.data().put(toBytes(gram)); // OpenCV: rows of the eigenvector matrix, eigenvalues descending
            eigen(g, vals, vecs);
            new DoublePointer(vals.data()).get(values);
            new DoublePointer(vecs.data()).get(vectors);
        }
        float[][] basis = new float[k][d];
        for (int r = 0; r < k; r++) {
            // an eigenvector's sign is arbitrary: fix it (largest component positive) so that machines whose floating point
            // differs in the last bits still derive the same rows, not negated ones
            int big = 0;
            for (int c = 1; c < d; c++) if (Math.abs(vectors[r * d + c]) > Math.abs(vectors[r * d + big])) big = c;
            double sign = vectors[r * d + big] < 0 ? -1 : 1;
            for (int c = 0; c < d; c++) basis[r][c] = (float) (sign * vectors[r * d + c]);
        }
        return new EmbeddingSubspace(basis, values);
    }

    private static byte[] toBytes(double[] v) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(v.length * 8).order(java.nio.ByteOrder.nativeOrder());
        b.asDoubleBuffer().put(v);
        return b.array();
    }

    /** Row {@code i} (0..k-1) of the orthonormal basis: d values. */
    public float[] row(int i) { return basis[i].clone(); }

    /** k, the basis dimension. */
    public int dimension() { return basis.length; }

    /** d, the model's output size. */
    public int modelDimension() { return basis[0].length; }

    /**
     * Share of the noise outputs' energy in the first {@code k} directions, in [0, 1] (1 = the model spans at most k
     * dimensions).
     */
    public double noiseEnergy(int k) {
        double total = 0, top = 0;
        for (int i = 0; i < eigenvalues.length; i++) {
            total += Math.max(0, eigenvalues[i]);
            if (i < k) top += Math.max(0, eigenvalues[i]);
        }
        return total == 0 ? 0 : top / total;
    }

    /** The k coordinates of {@code e} (length d) in the basis, not re-normalised. */
    public float[] coordinates(float[] e) {
        if (e.length != modelDimension()) throw new IllegalArgumentException("embedding of " + e.length + " values, the model gives " + modelDimension());
        float[] out = new float[basis.length];
        for (int r = 0; r < basis.length; r++) {
            double s = 0;
            float[] b = basis[r];
            for (int c = 0; c < b.length; c++) s += (double) b[c] * e[c];
            out[r] = (float) s;
        }
        return out;
    }

    /** ||P e||^2 / ||e||^2: the share of {@code e}'s energy inside the subspace, in [0, 1]. */
    public double captured(float[] e) {
        double in = 0, all = 0;
        for (float v : coordinates(e)) in += (double) v * v;
        for (float v : e) all += (double) v * v;
        return all == 0 ? 0 : in / all;
    }

    /**
     * The k coordinates of {@code e}, L2-normalised: squared distances between projected embeddings are then on the
     * same [0, 4] scale as the full ones.
     *
     * @throws IllegalArgumentException for another length or an embedding with no energy in the subspace
     */
    public float[] project(float[] e) {
        float[] c = coordinates(e);
        double n = 0;
        for (float v : c) n += (double) v * v;
        if (!(n > 0)) throw new IllegalArgumentException("embedding has no component in the subspace");
        double inv = 1 / Math.sqrt(n);
        for (int i = 0; i < c.length; i++) c[i] = (float) (c[i] * inv);
        return c;
    }
}
