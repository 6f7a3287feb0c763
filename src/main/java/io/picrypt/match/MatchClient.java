package io.picrypt.match;

import io.picrypt.ckks.Ciphertext;
import io.picrypt.ckks.CkksException;
import io.picrypt.ckks.CkksParameters;
import io.picrypt.ckks.Decryptor;
import io.picrypt.ckks.Encoder;
import io.picrypt.ckks.Encryptor;
import io.picrypt.ckks.KeyGenerator;
import io.picrypt.ckks.SecretKey;
import io.picrypt.ckks.Serializer;

import java.util.List;

/**
 * The key owner's side: encrypts templates and probes with the secret key (seeded symmetric
 * ciphertexts, half the size of public-key ones) and decrypts the server's results into squared
 * distances. Only this side ever sees an embedding or a distance.
 */
public final class MatchClient {
    private final CkksParameters params = MatchParameters.get();
    private final SecretKey sk;
    private final Encoder encoder = new Encoder(params);
    private final Encryptor encryptor = new Encryptor(params);
    private final Decryptor decryptor;

    public MatchClient(SecretKey sk) {
        if (!sk.params().equals(params)) throw new CkksException("secret key is not for the matching parameters");
        this.sk = sk;
        this.decryptor = new Decryptor(params, sk);
    }

    public static SecretKey generateSecretKey() {
        return new KeyGenerator(MatchParameters.get()).secretKey();
    }

    /** Template: coefficient j = y_j. */
    public byte[] encryptTemplate(float[] embedding) {
        double[] c = new double[checkDim(embedding)];
        for (int j = 0; j < embedding.length; j++) c[j] = embedding[j];
        return encrypt(c);
    }

    /** Probe: p(X) = sum_j x_j X^(-j) = x_0 - sum_{j>0} x_j X^(N-j), so coefficient 0 of t*p is <x, y>. */
    public byte[] encryptProbe(float[] embedding) {
        double[] c = new double[MatchParameters.N];
        checkDim(embedding);
        c[0] = embedding[0];
        for (int j = 1; j < embedding.length; j++) c[MatchParameters.N - j] = -embedding[j];
        return encrypt(c);
    }

    private byte[] encrypt(double[] coeffs) {
        Ciphertext ct = encryptor.encryptSymmetric(encoder.encodeCoefficients(coeffs, MatchParameters.SCALE, 0), sk);
        return Serializer.writeCiphertext(ct, params);
    }

    /**
     * Largest |error| of a decrypted inner product (and of every other product coefficient), proven for
     * fresh encryptions (errors bounded at 19 = 6 sigma by the sampler, +0.5 encoding rounding), <= 8
     * templates per ciphertext, dimension <= 512 and norm^2 <= 1.01 on both sides:
     * (2 * 19.5 * 8 * sqrt(512) * 1.005 * 2^27 + 4096 * 156 * 19.5) / 2^54 = 5.3e-5 (docs/PROTOCOL.md, "Integrity").
     */
    public static final double NOISE_BOUND = 6e-5;
    /** Largest |<x,y>| for accepted inputs: norm^2 <= 1.01 on both sides. */
    static final double MAX_INNER = 1.01;
    /**
     * Largest |coefficient| of the product away from the inner-product positions: it is the sum of two partial
     * inner products (template k at one lag, template k+1 at the complementary lag), so by Cauchy-Schwarz
     * |c| <= |y_k| |x_head| + |y_k+1| |x_tail| <= 1.005 * sqrt(2) * 1.005.
     */
    static final double MAX_PARTIAL = 1.005 * Math.sqrt(2) * 1.005;

    /**
     * Squared distances 2 - 2<x,y>, one per template, in the order the server used. Every decrypted
     * coefficient of every result ciphertext is checked against its proven range (inner products in
     * [-1.01, 1.01], i.e. d^2 in [0, 4] widened by the clients' norm tolerance, partial sums within
     * {@link #MAX_PARTIAL}, coefficients no template reaches ~0), each widened by {@link #NOISE_BOUND}.
     *
     * @throws IntegrityException when any value is impossible for an honest answer to this client's probe
     * @throws CkksException when the envelope is malformed
     */
    public double[] decryptDistances(byte[] result) {
        ResultEnvelope.Contents contents = ResultEnvelope.read(result, params);
        int per = MatchParameters.TEMPLATES_PER_CIPHERTEXT, dim = MatchParameters.DIMENSION;
        double expectedScale = MatchParameters.SCALE * MatchParameters.SCALE;
        double[] out = new double[contents.entries()];
        for (int i = 0; i < contents.ciphertexts().size(); i++) {
            Ciphertext ct = contents.ciphertexts().get(i);
            if (ct.size() != 3 || ct.level() != 0) throw new IntegrityException("result ciphertext " + i + " is not a 3-component product");
            if (Math.abs(ct.scale() - expectedScale) > 1e-6 * expectedScale) throw new IntegrityException("result has an unexpected scale");
            double[] coeffs = decryptor.decryptCoefficients(ct);
            int present = Math.min(per, out.length - i * per);
            for (int w = 0; w < per; w++) {
                boolean here = w < present, next = (w + 1) % per < present;
                double ip = coeffs[w * dim];
                if (here) {
                    if (!(Math.abs(ip) <= MAX_INNER + NOISE_BOUND)) throw outOfRange(i * per + w, ip);
                    out[i * per + w] = 2 - 2 * ip;
                } else if (!(Math.abs(ip) <= NOISE_BOUND)) {
                    throw new IntegrityException(String.format(java.util.Locale.ROOT,
                            "the server's answer has a value (%.3g) where no template is: corrupted template or answer", ip));
                }
                double bound = (here || next ? MAX_PARTIAL : 0) + NOISE_BOUND;
                if (here && !next && i == contents.ciphertexts().size() - 1 && w == present - 1) {
                    // the last template of the answer: its window holds its correlations with the probe at 512 lags,
                    // never all zero for a real (unit-norm) template; all zero = an entry count claiming a template
                    // the server never multiplied
                    double peak = 0;
                    for (int m = 0; m < dim; m++) peak = Math.max(peak, Math.abs(coeffs[w * dim + m]));
                    if (peak <= NOISE_BOUND) throw new IntegrityException("the server's answer counts a template it holds no result for: garbled answer");
                }
                for (int m = 1; m < dim; m++) {
                    double c = coeffs[w * dim + m];
                    if (!(Math.abs(c) <= bound)) {
                        throw new IntegrityException(String.format(java.util.Locale.ROOT,
                                "the server's answer is inconsistent with any template (coefficient %d = %.3g, bound %.3g): "
                                        + "a corrupted template, a template of another key, or a garbled answer", i * per * dim + w * dim + m, c, bound));
                    }
                }
            }
        }
        return out;
    }

    private static IntegrityException outOfRange(int template, double ip) {
        return new IntegrityException(String.format(java.util.Locale.ROOT,
                "decrypted squared distance %.4f of template %d is outside [0, 4] (+- %.1e): the template was not encrypted "
                        + "under this key directory's secret key, or it or the answer is corrupted; no decision was made",
                2 - 2 * ip, template, 2 * NOISE_BOUND));
    }

    /** Distances to each template of the verified name. */
    public double[] decryptVerify(byte[] result) {
        return decryptDistances(result);
    }

    /**
     * The embedding inside one of our own templates ({@link #encryptTemplate}), to CKKS noise (about 1e-6 per value):
     * lets the key owner move its identities into another structure (the 1:N gallery) without the photos.
     *
     * @throws CkksException if the bytes are not a template ciphertext of these parameters
     * @throws IntegrityException if it does not decrypt to a unit vector (wrong key, corrupted bytes)
     */
    public float[] decryptTemplate(byte[] template) {
        Ciphertext ct = Serializer.readCiphertext(template, params);
        if (ct.size() != 2 || ct.level() != 0 || Math.abs(ct.scale() - MatchParameters.SCALE) > 1e-9 * MatchParameters.SCALE) {
            throw new CkksException("not a template ciphertext");
        }
        double[] c = decryptor.decryptCoefficients(ct);
        float[] out = new float[MatchParameters.DIMENSION];
        double norm2 = 0;
        for (int j = 0; j < c.length; j++) {
            // a template holds a unit vector in its first DIMENSION coefficients and ~0 elsewhere
            double bound = (j < out.length ? 1 : 0) + NOISE_BOUND;
            if (!(Math.abs(c[j]) <= bound)) throw new IntegrityException("stored template is garbled: coefficient " + j + " = " + c[j]);
            if (j < out.length) { out[j] = (float) c[j]; norm2 += c[j] * c[j]; }
        }
        if (!(norm2 <= 1.01 + 1e-3)) throw new IntegrityException("stored template is garbled: its norm^2 is " + norm2);
        return out;
    }

    /** 1..512 finite values with norm^2 <= 1.01 (the integrity bounds above assume it). */
    private static int checkDim(float[] e) {
        if (e == null || e.length == 0 || e.length > MatchParameters.DIMENSION) {
            throw new IllegalArgumentException("embedding must have 1.." + MatchParameters.DIMENSION + " dimensions, got " + (e == null ? 0 : e.length));
        }
        double norm2 = 0;
        for (float v : e) {
            if (!Float.isFinite(v)) throw new IllegalArgumentException("embedding values must be finite");
            norm2 += (double) v * v;
        }
        if (norm2 > 1.01) throw new IllegalArgumentException(String.format(java.util.Locale.ROOT, "embedding must be L2-normalised (norm^2 = %.4f)", norm2));
        return e.length;
    }
}
