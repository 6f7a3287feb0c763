package io.picrypt.ckks;

import io.picrypt.ring.RingContext;

import java.math.BigInteger;

/** Decryption of 2- and 3-component ciphertexts (the latter lets servers skip relinearization). */
public final class Decryptor {
    private final CkksParameters params;
    private final SecretKey sk;
    private final Encoder encoder;
    private volatile long[][] s2; // s^2 over the data primes, NTT form: made on the first 3-component decryption

    public Decryptor(CkksParameters params, SecretKey sk) {
        if (!sk.params.equals(params)) throw new CkksException("secret key belongs to other parameters");
        this.params = params;
        this.sk = sk;
        this.encoder = new Encoder(params);
    }

    /** The centred coefficients of c0 + c1*s (+ c2*s^2): the scaled message plus noise. */
    public BigInteger[] decryptToCoefficients(Ciphertext ct) {
        return params.ring().crtCentered(decryptNtt(ct, true));
    }

    /** Centred coefficients as doubles divided by the scale (fast path for one limb). */
    public double[] decryptCoefficients(Ciphertext ct) {
        long[][] m = decryptNtt(ct, true);
        if (m.length == 1) {
            long q = params.dataPrime(0), half = q >>> 1;
            double[] out = new double[m[0].length];
            for (int j = 0; j < out.length; j++) {
                long v = m[0][j];
                out[j] = (v > half ? v - q : v) / ct.scale;
            }
            return out;
        }
        return params.ring().crtCenteredDoubles(m, ct.scale);
    }

    public double[] decrypt(Ciphertext ct) {
        return decryptComplex(ct)[0];
    }

    public double[][] decryptComplex(Ciphertext ct) {
        return encoder.decodeComplex(params.ring().crtCenteredDoubles(decryptNtt(ct, true), ct.scale));
    }

    private static final ThreadLocal<long[][]> SCRATCH = new ThreadLocal<>();

    /** This thread's reusable decryption buffer, {@code limbs} rows of N. */
    private long[][] scratch(int limbs) {
        long[][] s = SCRATCH.get();
        if (s == null || s.length < params.maxLevel() + 1 || s[0].length != params.n()) {
            s = new long[params.maxLevel() + 1][params.n()];
            SCRATCH.set(s);
        }
        return s.length == limbs ? s : java.util.Arrays.copyOf(s, limbs);
    }

    private long[][] secretSquared() {
        long[][] s = s2;
        if (s == null) {
            int limbs = params.maxLevel() + 1;
            s = params.ring().newPoly(limbs);
            Polys.mul(params.ring(), s, sk.ntt, sk.ntt, Polys.dataIdx(limbs));
            s2 = s;
        }
        return s;
    }

    private long[][] decryptNtt(Ciphertext ct, boolean toCoefficients) {
        RingContext ring = params.ring();
        int limbs = ct.level() + 1;
        if (limbs > params.maxLevel() + 1) throw new CkksException("ciphertext level above the parameters' maximum");
        int[] idx = Polys.dataIdx(limbs);
        long[][] m = scratch(limbs); // consumed by every caller before the next decryption on this thread
        for (int i = 0; i < limbs; i++) System.arraycopy(ct.comps[0][i], 0, m[i], 0, m[i].length);
        Polys.mulAddInto(ring, m, ct.comps[1], sk.ntt, idx);
        if (ct.size() == 3) Polys.mulAddInto(ring, m, ct.comps[2], secretSquared(), idx);
        if (toCoefficients) ring.inverse(m, null);
        return m;
    }
}
