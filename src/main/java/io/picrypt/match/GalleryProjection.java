package io.picrypt.match;

import io.picrypt.ckks.FrameReader;
import io.picrypt.ckks.FrameWriter;
import io.picrypt.ckks.MalformedFrameException;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Random;

/**
 * The linear map from a model's embedding (d = {@link MatchParameters#DIMENSION} values, L2-normalised) to the 1:N
 * gallery's {@link GalleryParameters#DIMENSION} = k values: k orthonormal rows; an embedding e becomes P e / ||P e||.
 * Squared distances between projected embeddings stay on the [0, 4] scale of the full ones.
 *
 * <p>Why: the default model's outputs span only ~160-192 of their 512 dimensions, so a gallery of the 256 leading
 * directions (derived from the model alone by {@code face.EmbeddingSubspace}) keeps every decision of the three
 * development sets while the server does half the encrypted products per identity (docs/BENCHMARKS.md, "Fewer
 * dimensions for the gallery": d^2 changes <= 2.0e-5, 0 of 3,780 decisions change). The key owner keeps the basis
 * beside its gallery key (client.KeyDirectory): every template of a gallery must be projected with the same rows, and a
 * probe projected with other rows would give wrong distances, so the basis is pinned by its {@link #fingerprint()}.
 *
 * <p>File format ("PCGP" v1, not secret: it is derived from the public model): model SHA-256 (32 bytes) | seed (i64) |
 * k (u32) | d (u32) | k x d IEEE-754 binary32 values, row after row, as raw int bits (u32 each).
 *
 * <p>Immutable and thread-safe.
 */
public final class GalleryProjection {
    private static final String MAGIC = "PCGP";
    /** Largest |<r_i, r_j> - delta_ij| accepted when a basis is read or made: float rows of an orthonormal basis. */
    static final double ORTHONORMAL_TOLERANCE = 1e-4;

    /**
     * Least share of an embedding's energy the basis must keep: real faces keep >= 0.99996 in the model's basis
     * (docs/BENCHMARKS.md), a random unit vector ~0.5 +- 0.03 in a random basis (synthetic data), an embedding of
     * another model far less in the directions this model never uses.
     */
    public static final double MIN_CAPTURED = 0.25;

    /** Size of the file form: header (5), model hash (32), seed (8), k and d (8), k x d values (4 each). */
    public static final int FILE_BYTES = 5 + 32 + 8 + 8 + 4 * GalleryParameters.DIMENSION * MatchParameters.DIMENSION;

    private final float[][] rows;
    /** The rows transposed, as doubles (d x k, 1 MiB): the projection's loop over them is one the JIT vectorises. */
    private final double[][] columns;
    private final byte[] modelSha256;
    private final long seed;
    private final String fingerprint;

    private GalleryProjection(float[][] rows, byte[] modelSha256, long seed) {
        if (rows.length != GalleryParameters.DIMENSION) {
            throw new IllegalArgumentException("a gallery basis has " + GalleryParameters.DIMENSION + " rows, got " + rows.length);
        }
        for (float[] r : rows) {
            if (r.length != MatchParameters.DIMENSION) {
                throw new IllegalArgumentException("gallery basis rows have " + MatchParameters.DIMENSION + " values, got " + r.length);
            }
            for (float v : r) if (!Float.isFinite(v)) throw new IllegalArgumentException("gallery basis values must be finite");
        }
        if (modelSha256.length != 32) throw new IllegalArgumentException("model SHA-256 must be 32 bytes");
        checkOrthonormal(rows);
        this.rows = rows;
        this.columns = new double[MatchParameters.DIMENSION][rows.length];
        for (int i = 0; i < rows.length; i++) for (int c = 0; c < columns.length; c++) columns[c][i] = rows[i][c];
        this.modelSha256 = modelSha256.clone();
        this.seed = seed;
        this.fingerprint = HexFormat.of().formatHex(sha256(write0(rows, this.modelSha256, seed)), 0, 16);
    }

    /**
     * A basis from {@code rows} (k x d, orthonormal within {@link #ORTHONORMAL_TOLERANCE}), recorded with the model file's
     * SHA-256 and the seed it was derived with.
     *
     * @throws IllegalArgumentException for another shape, non-finite values or rows that are not orthonormal
     */
    public static GalleryProjection of(float[][] rows, byte[] modelSha256, long seed) {
        float[][] copy = new float[rows.length][];
        for (int i = 0; i < rows.length; i++) copy[i] = rows[i].clone();
        return new GalleryProjection(copy, modelSha256, seed);
    }

    /**
     * For synthetic data only (benchmarks, tests): a random orthonormal basis (Gram-Schmidt on Gaussian rows from
     * {@code seed}), model hash all zero. Random unit vectors keep their pairwise distances on average under it; real
     * embeddings need the model's own basis.
     */
    public static GalleryProjection synthetic(long seed) {
        return SYNTHETIC.computeIfAbsent(seed, GalleryProjection::makeSynthetic);
    }

    private static final java.util.concurrent.ConcurrentHashMap<Long, GalleryProjection> SYNTHETIC = new java.util.concurrent.ConcurrentHashMap<>();

    private static GalleryProjection makeSynthetic(long seed) {
        Random r = new Random(seed);
        int k = GalleryParameters.DIMENSION, d = MatchParameters.DIMENSION;
        double[][] q = new double[k][d];
        for (int i = 0; i < k; i++) {
            for (int c = 0; c < d; c++) q[i][c] = r.nextGaussian();
            for (int pass = 0; pass < 2; pass++) { // Gram-Schmidt twice: float-exact orthogonality
                for (int j = 0; j < i; j++) {
                    double dot = 0;
                    for (int c = 0; c < d; c++) dot += q[i][c] * q[j][c];
                    for (int c = 0; c < d; c++) q[i][c] -= dot * q[j][c];
                }
            }
            double n = 0;
            for (int c = 0; c < d; c++) n += q[i][c] * q[i][c];
            n = Math.sqrt(n);
            for (int c = 0; c < d; c++) q[i][c] /= n;
        }
        float[][] rows = new float[k][d];
        for (int i = 0; i < k; i++) for (int c = 0; c < d; c++) rows[i][c] = (float) q[i][c];
        return new GalleryProjection(rows, new byte[32], seed);
    }

    /**
     * P e / ||P e||: the gallery's k values of a model embedding.
     *
     * @param embedding d = {@link MatchParameters#DIMENSION} finite values
     * @return k = {@link GalleryParameters#DIMENSION} values, L2 norm 1 (to float rounding)
     * @throws IllegalArgumentException for another length, non-finite values, or an embedding with (almost) nothing in
     *                                  the basis' span (||P e||^2 < {@link #MIN_CAPTURED} ||e||^2: not an output of the
     *                                  basis' model, so its gallery distances would mean nothing)
     */
    public float[] project(float[] embedding) {
        if (embedding == null || embedding.length != MatchParameters.DIMENSION) {
            throw new IllegalArgumentException("embedding must have " + MatchParameters.DIMENSION + " values, got "
                    + (embedding == null ? 0 : embedding.length));
        }
        double all = 0;
        for (float v : embedding) {
            if (!Float.isFinite(v)) throw new IllegalArgumentException("embedding values must be finite");
            all += (double) v * v;
        }
        double[] p = coordinates(embedding);
        double in = 0;
        for (double x : p) in += x * x;
        if (!(in >= MIN_CAPTURED * all) || !(in > 0)) {
            throw new IllegalArgumentException(String.format(java.util.Locale.ROOT,
                    "the embedding keeps only %.1f%% of its energy in the gallery basis: it was not made by the model the basis was derived "
                            + "from", all > 0 ? 100 * in / all : 0.0));
        }
        double inv = 1 / Math.sqrt(in);
        float[] out = new float[p.length];
        for (int i = 0; i < out.length; i++) out[i] = (float) (p[i] * inv);
        return out;
    }

    /** ||P e||^2 / ||e||^2 in [0, 1]: the share of {@code embedding}'s energy the gallery keeps. */
    public double captured(float[] embedding) {
        double all = 0, in = 0;
        for (float v : embedding) all += (double) v * v;
        for (double x : coordinates(embedding)) in += x * x;
        return all == 0 ? 0 : in / all;
    }

    /** P e: the k inner products of the rows with {@code embedding} (length d). */
    private double[] coordinates(float[] embedding) {
        double[] p = new double[rows.length];
        // column by column: p += e_c * column_c is an independent multiply-add per coordinate, which the JIT runs on vector
        // registers (a row-by-row dot product is one chain of dependent adds); every coordinate is still summed over
        // c = 0, 1, ... in order, without fused multiply-adds, so it is bit-identical to the row-by-row formula
        for (int c = 0; c < embedding.length; c++) {
            double e = embedding[c];
            double[] col = columns[c];
            for (int i = 0; i < p.length; i++) p[i] += col[i] * e;
        }
        return p;
    }

    /** First 16 bytes of the SHA-256 of the file form, 32 lowercase hex digits: equal iff the same basis. */
    public String fingerprint() { return fingerprint; }

    /** SHA-256 of the model file the basis was derived from (all zero for {@link #synthetic}). */
    public byte[] modelSha256() { return modelSha256.clone(); }

    public long seed() { return seed; }

    /** The file form ("PCGP" v1, see the class comment). */
    public byte[] toBytes() { return write0(rows, modelSha256, seed); }

    /**
     * Reads the file form.
     *
     * @throws MalformedFrameException for a wrong magic, version, shape or length, non-finite values, or rows that are
     *                                 not orthonormal (a damaged file)
     */
    public static GalleryProjection read(byte[] bytes) {
        FrameReader r = FrameReader.open(bytes, MAGIC, 1, "gallery basis");
        byte[] model = r.bytes(32);
        long seed = r.i64();
        long k = r.u32(), d = r.u32();
        if (k != GalleryParameters.DIMENSION || d != MatchParameters.DIMENSION) {
            throw r.error("gallery basis is " + k + " x " + d + ", expected " + GalleryParameters.DIMENSION + " x " + MatchParameters.DIMENSION);
        }
        r.need(4L * k * d);
        float[][] rows = new float[(int) k][(int) d];
        for (int i = 0; i < k; i++) for (int c = 0; c < d; c++) rows[i][c] = Float.intBitsToFloat((int) r.u32());
        if (r.remaining() != 0) throw r.error(r.remaining() + " trailing bytes");
        try {
            return new GalleryProjection(rows, model, seed);
        } catch (IllegalArgumentException e) {
            throw r.error(e.getMessage());
        }
    }

    private static byte[] write0(float[][] rows, byte[] model, long seed) {
        int k = rows.length, d = rows[0].length;
        FrameWriter w = new FrameWriter(MAGIC, 1, 5 + 32 + 8 + 8 + 4L * k * d).bytes(model).i64(seed).u32(k).u32(d);
        for (float[] row : rows) for (float v : row) w.u32(Float.floatToRawIntBits(v) & 0xffffffffL);
        return w.toByteArray();
    }

    private static void checkOrthonormal(float[][] rows) {
        int k = rows.length, d = rows[0].length;
        for (int i = 0; i < k; i++) {
            for (int j = i; j < k; j++) {
                double dot = 0;
                for (int c = 0; c < d; c++) dot += (double) rows[i][c] * rows[j][c];
                if (!(Math.abs(dot - (i == j ? 1 : 0)) <= ORTHONORMAL_TOLERANCE)) {
                    throw new IllegalArgumentException(i == j
                            ? String.format(java.util.Locale.ROOT, "gallery basis row %d is not a unit vector (squared norm %.6g)", i, dot)
                            : String.format(java.util.Locale.ROOT, "gallery basis rows %d and %d are not orthogonal (dot product %.6g)", i, j, dot));
                }
            }
        }
    }

    private static byte[] sha256(byte[] b) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(b);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
