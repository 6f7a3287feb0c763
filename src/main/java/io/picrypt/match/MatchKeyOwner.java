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
 * Key owner of 1:1 verification: holds the secret key: encrypts, decrypts, decides.
 *
 * <p>The key owner's side: encrypts templates and probes with the secret key (seeded symmetric
 * ciphertexts, half the size of public-key ones) and decrypts the server's results into squared
 * distances. Only this side ever sees an embedding or a distance.
 */
public final class MatchKeyOwner {
    private final CkksParameters params = MatchParameters.get();
    private final SecretKey sk;
    private final Encoder encoder = new Encoder(params);
    private final Encryptor encryptor = new Encryptor(params);
    private final Decryptor decryptor;
    private final TemplateChecks checks;

    public MatchKeyOwner(SecretKey sk) {
        if (!sk.params().equals(params)) throw new CkksException("secret key is not for the matching parameters");
        this.sk = sk;
        this.decryptor = new Decryptor(params, sk);
        this.checks = new TemplateChecks(sk);
    }

    public static SecretKey generateSecretKey() {
        return new KeyGenerator(MatchParameters.get()).secretKey();
    }

    /** Template without check values: coefficient j = y_j, the rest 0 (tests, {@code eval --encrypted}). */
    public byte[] encryptTemplate(float[] embedding) {
        double[] c = new double[checkDim(embedding)];
        for (int j = 0; j < embedding.length; j++) c[j] = embedding[j];
        return encrypt(c);
    }

    /**
     * The 1:1 template of {@code name}: coefficient j = y_j (j < DIMENSION), and {@code name}'s planted check values
     * ({@link TemplateChecks}) in coefficients DIMENSION..N-1, so that a server answering with another name's template,
     * another keyset's, or a mixed-up answer is detected by {@link #decryptVerify(byte[], String, float[])}.
     */
    public byte[] encryptTemplate(float[] embedding, String name) {
        checkDim(embedding);
        double[] c = checks.of(name);
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
     * (2 * 19.5 * 8 * sqrt(512) * 1.005 * 2^27 + 4096 * 156 * 19.5) / 2^54 = 5.3e-5 (docs/PROTOCOL.md, "Integrity"),
     * plus the planted check values ({@link TemplateChecks}: L1 norm 16 per template) times the probe's error:
     * 19.5 * 8 * 16 / 2^27 = 1.9e-5, plus the probe's encoding rounding in the client's prediction of their share
     * (2^-28 * 8 * 16 = 4.8e-7): 7.2e-5.
     */
    public static final double NOISE_BOUND = 8e-5;
    /** Largest |<x,y>| for accepted inputs: norm^2 <= 1.01 on both sides. */
    static final double MAX_INNER = 1.01;
    /**
     * Largest |coefficient| of the product away from the inner-product positions: it is the sum of two partial
     * inner products (template k at one lag, template k+1 at the complementary lag), so by Cauchy-Schwarz
     * |c| <= |y_k| |x_head| + |y_k+1| |x_tail| <= 1.005 * sqrt(2) * 1.005.
     */
    static final double MAX_PARTIAL = 1.005 * Math.sqrt(2) * 1.005;

    /**
     * Squared distances 2 - 2<x,y>, one per template, in the order the server used, for a verify answer
     * ({@link MatchParameters#VERIFY_TEMPLATES_PER_CIPHERTEXT} per ciphertext) of templates without check values. Every decrypted
     * coefficient of every result ciphertext is checked against its proven range (inner products in
     * [-1.01, 1.01], i.e. d^2 in [0, 4] widened by the clients' norm tolerance, partial sums within
     * {@link #MAX_PARTIAL}, coefficients no template reaches ~0), each widened by {@link #NOISE_BOUND}.
     *
     * @throws IntegrityException when any value is impossible for an honest answer to this client's probe
     * @throws CkksException when the envelope is malformed
     */
    public double[] decryptDistances(byte[] result) {
        return decryptVerify(result);
    }

    /**
     * A 1:1 answer decrypted and checked: {@code distances} one per template in the server's order; {@code unchecked}
     * how many of them carry no planted check values (templates enrolled before check values existed, or with
     * {@link #encryptTemplate(float[])}): those are range-checked only and a server could have substituted them.
     */
    public record Verified(double[] distances, int unchecked) {}

    /**
     * Decrypts a verify answer for {@code name} to the probe made from {@code probe}, checking every template's planted
     * check values ({@link TemplateChecks}) in the window no embedding reaches, then every coefficient's range as in
     * {@link #decryptDistances}. A template without check values is accepted as unchecked (counted in
     * {@link Verified#unchecked()}); a template whose check values belong to another name or key is not.
     *
     * @throws IntegrityException when the answer is not the product of this probe with templates of {@code name} (another
     *                            name's or keyset's template, a mixed-up answer) or any value is out of range
     * @throws CkksException      when the envelope is malformed
     */
    public Verified decryptVerify(byte[] result, String name, float[] probe) {
        double[] q = TemplateChecks.contribution(checks.of(name), probe);
        return decode(ResultEnvelope.read(result, params, MatchParameters.VERIFY_TEMPLATES_PER_CIPHERTEXT),
                MatchParameters.VERIFY_TEMPLATES_PER_CIPHERTEXT, q, name);
    }

    private Verified decode(ResultEnvelope.Contents contents, int per, double[] checkShare, String name) {
        int dim = MatchParameters.DIMENSION, windows = MatchParameters.TEMPLATES_PER_CIPHERTEXT;
        double expectedScale = MatchParameters.SCALE * MatchParameters.SCALE;
        double[] out = new double[contents.entries()];
        int unchecked = 0;
        for (int i = 0; i < contents.ciphertexts().size(); i++) {
            Ciphertext ct = contents.ciphertexts().get(i);
            if (ct.size() != 3 || ct.level() != 0) throw new IntegrityException("result ciphertext " + i + " is not a 3-component product");
            if (Math.abs(ct.scale() - expectedScale) > 1e-6 * expectedScale) throw new IntegrityException("result has an unexpected scale");
            double[] coeffs = decryptor.decryptCoefficients(ct);
            int present = Math.min(per, out.length - i * per);
            if (checkShare != null) unchecked += present - subtractChecks(coeffs, present, checkShare, name);
            for (int w = 0; w < windows; w++) {
                boolean here = w < present, next = (w + 1) % windows < present;
                double ip = coeffs[w * dim];
                if (here) {
                    if (!(Math.abs(ip) <= MAX_INNER + NOISE_BOUND)) throw outOfRange(i * per + w, ip);
                    out[i * per + w] = 2 - 2 * ip;
                } else if (!(Math.abs(ip) <= NOISE_BOUND)) {
                    throw new IntegrityException(String.format(java.util.Locale.ROOT,
                            "the server's answer has a value (%.3g) where no template is: corrupted template or answer; no decision was made", ip));
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
        return new Verified(out, unchecked);
    }

    /**
     * Finds which of the {@code present} templates of one product carry {@code name}'s check values and subtracts their
     * share from {@code coeffs}: the free windows (reached by no embedding) must then be ~0. All templates checked is
     * tried first; a subset (the others without check values: old enrollments) only if that fails. Returns how many
     * templates carry check values.
     *
     * @throws IntegrityException when no subset fits: a template (or the whole answer) is not {@code name}'s
     */
    private static int subtractChecks(double[] coeffs, int present, double[] share, String name) {
        int dim = MatchParameters.DIMENSION, windows = MatchParameters.TEMPLATES_PER_CIPHERTEXT, n = MatchParameters.N;
        if (present > MatchParameters.VERIFY_TEMPLATES_PER_CIPHERTEXT) throw new IllegalStateException("no free window");
        // the usual case first, with one buffer: every template carries the name's check values
        double[] all = new double[n];
        for (int k = 0; k < present; k++) TemplateChecks.addShifted(all, share, k * dim);
        int full = (1 << present) - 1;
        if (fits(coeffs, new double[][]{all}, 1, 1, present, windows, dim)) {
            for (int j = 0; j < n; j++) coeffs[j] -= all[j];
            return present;
        }
        // else which templates lack them (old enrollments): every other subset, most checked first
        double[][] shifted = new double[present][];
        for (int k = 0; k < present; k++) {
            shifted[k] = new double[n];
            TemplateChecks.addShifted(shifted[k], share, k * dim);
        }
        for (int mask = full - 1; mask >= 0; mask--) {
            if (fits(coeffs, shifted, mask, present, present, windows, dim)) {
                for (int k = 0; k < present; k++) {
                    if ((mask >>> k & 1) == 0) continue;
                    for (int j = 0; j < n; j++) coeffs[j] -= shifted[k][j];
                }
                return Integer.bitCount(mask);
            }
        }
        throw new IntegrityException("the server's answer does not carry the check values of '" + name + "': it was computed over a template of "
                + "another name or keyset, or it is a mixed-up or replayed answer; no decision was made");
    }

    /**
     * Whether every coefficient of the free windows (w >= present, w+1 < windows) minus the shares of {@code shares}
     * selected by {@code mask} (bit k: shares[k]) is ~0.
     */
    private static boolean fits(double[] coeffs, double[][] shares, int mask, int count, int present, int windows, int dim) {
        for (int w = present; w < windows - 1; w++) {
            for (int m = 0; m < dim; m++) {
                int j = w * dim + m;
                double r = coeffs[j];
                for (int k = 0; k < count; k++) if ((mask >>> k & 1) != 0) r -= shares[k][j];
                if (!(Math.abs(r) <= NOISE_BOUND)) return false;
            }
        }
        return true;
    }

    private static IntegrityException outOfRange(int template, double ip) {
        return new IntegrityException(String.format(java.util.Locale.ROOT,
                "decrypted squared distance %.4f of template %d is outside [0, 4] (+- %.1e): the template was not encrypted "
                        + "under this key directory's secret key, or it or the answer is corrupted; no decision was made",
                2 - 2 * ip, template, 2 * NOISE_BOUND));
    }

    /**
     * Distances to each template of a verify answer over templates without check values (e.g. {@code eval --encrypted},
     * which encrypts with {@link #encryptTemplate(float[])}): range checks only. Sessions use
     * {@link #decryptVerify(byte[], String, float[])}.
     */
    public double[] decryptVerify(byte[] result) {
        return decode(ResultEnvelope.read(result, params, MatchParameters.VERIFY_TEMPLATES_PER_CIPHERTEXT),
                MatchParameters.VERIFY_TEMPLATES_PER_CIPHERTEXT, null, null).distances();
    }

    /** A stored template decrypted: the embedding, and whether it carries its name's check values. */
    public record TemplateContent(float[] embedding, boolean checked) {}

    /**
     * The embedding inside one of our own templates of {@code name} ({@link #encryptTemplate}), to CKKS noise (about 1e-6
     * per value): lets the key owner move its identities into another structure (the 1:N gallery) without the photos.
     * Coefficients DIMENSION..N-1 must hold either {@code name}'s check values or (an old template) zeros.
     *
     * @throws CkksException if the bytes are not a template ciphertext of these parameters
     * @throws IntegrityException if it does not decrypt to a unit vector (wrong key, corrupted bytes) or carries
     *                            another name's check values
     */
    public TemplateContent decryptTemplate(byte[] template, String name) {
        Ciphertext ct = Serializer.readCiphertext(template, params);
        if (ct.size() != 2 || ct.level() != 0 || Math.abs(ct.scale() - MatchParameters.SCALE) > 1e-9 * MatchParameters.SCALE) {
            throw new CkksException("not a template ciphertext");
        }
        double[] c = decryptor.decryptCoefficients(ct);
        float[] out = new float[MatchParameters.DIMENSION];
        double norm2 = 0;
        for (int j = 0; j < out.length; j++) {
            if (!(Math.abs(c[j]) <= 1 + NOISE_BOUND)) throw new IntegrityException("stored template is garbled: coefficient " + j + " = " + c[j]);
            out[j] = (float) c[j];
            norm2 += c[j] * c[j];
        }
        if (!(norm2 <= 1.01 + 1e-3)) throw new IntegrityException("stored template is garbled: its norm^2 is " + norm2);
        // fresh template: error <= 19.5 / 2^27 per coefficient
        double tol = 1e-6;
        boolean zeros = true, planted = name != null;
        double[] expected = name == null ? null : checks.of(name);
        for (int j = out.length; j < c.length && (zeros || planted); j++) {
            zeros &= Math.abs(c[j]) <= tol;
            planted &= expected != null && Math.abs(c[j] - expected[j]) <= tol;
        }
        if (!zeros && !planted) {
            throw new IntegrityException("stored template " + (name == null ? "" : "of '" + name + "' ")
                    + "is garbled or belongs to another name: its check values do not match");
        }
        return new TemplateContent(out, planted);
    }

    /** As {@link #decryptTemplate(byte[], String)} for a template without check values (the name is unknown). */
    public float[] decryptTemplate(byte[] template) {
        return decryptTemplate(template, null).embedding();
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
