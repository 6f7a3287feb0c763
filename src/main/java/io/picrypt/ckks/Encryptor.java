package io.picrypt.ckks;

import io.picrypt.ring.RingContext;
import io.picrypt.ring.Sampler;

import java.security.SecureRandom;
import java.util.Arrays;

/** Public-key and secret-key (seeded) encryption. */
public final class Encryptor {
    private final CkksParameters params;
    private final Sampler sampler;

    public Encryptor(CkksParameters params, SecureRandom random) {
        this.params = params;
        this.sampler = new Sampler(random);
    }

    public Encryptor(CkksParameters params) {
        this(params, new SecureRandom());
    }

    /**
     * Enc_pk(m) = (u*b + e0, u*a + e1) over the data primes 0..level and the special prime P, divided by P with
     * rounding (mod-down), plus m: SEAL's public-key encryption. u is ternary (uniform over {-1, 0, 1}), e0, e1 are
     * round(N(0, 3.2^2)) cut at +-19. The division shrinks the encryption noise u*e + e0 + e1*s (about 330 per
     * coefficient, rms, for N = 8192) by P, leaving the rounding error r0 + r1*s with |r0|, |r1| <= 1/2 (rms about
     * sqrt((1 + 2N/3) / 12) = 21 for N = 8192): 16x less noise than encrypting at the data primes. Parameters without
     * a special prime encrypt at the data primes (no mod-down).
     */
    public Ciphertext encrypt(Plaintext pt, PublicKey pk) {
        if (!pk.params.equals(params)) throw new CkksException("public key belongs to other parameters");
        RingContext ring = params.ring();
        int limbs = pt.level() + 1;
        boolean modDown = params.hasSpecialPrime();
        int sp = params.specialIndex();
        int[] idx = new int[modDown ? limbs + 1 : limbs];
        for (int i = 0; i < limbs; i++) idx[i] = i;
        if (modDown) idx[limbs] = sp;
        long[][] pb = new long[idx.length][], pa = new long[idx.length][];
        for (int i = 0; i < idx.length; i++) {
            pb[i] = pk.b[idx[i]];
            pa[i] = pk.a[idx[i]];
        }
        long[][] u = ring.fromSigned(sampler.ternary(params.n()), idx);
        ring.forward(u, idx);
        long[][] c0 = ring.fromSigned(sampler.gaussian(params.n()), idx);
        long[][] c1 = ring.fromSigned(sampler.gaussian(params.n()), idx);
        ring.forward(c0, idx);
        ring.forward(c1, idx);
        Polys.mulAddInto(ring, c0, u, pb, idx);
        Polys.mulAddInto(ring, c1, u, pa, idx);
        if (!modDown) {
            Polys.addInto(ring, c0, pt.poly, limbs);
            return new Ciphertext(new long[][][]{c0, c1}, pt.scale);
        }
        // (c0, c1) / P with rounding, m added in the same pass; the P limbs (index limbs) are consumed
        ring.divideRoundByLast(c0, c0[limbs], sp, limbs, c0, pt.poly, null);
        ring.divideRoundByLast(c1, c1[limbs], sp, limbs, c1, null, null);
        return new Ciphertext(new long[][][]{Arrays.copyOf(c0, limbs), Arrays.copyOf(c1, limbs)}, pt.scale);
    }

    /** Largest |coefficient| of the error e of a fresh encryption ({@link #encryptSymmetric}: Gaussian cut at this bound). */
    public static final long ERROR_BOUND = Sampler.ERROR_BOUND;

    /**
     * Enc_sk(m) = (-a*s + e + m, a) with a expanded from a fresh seed: serializable as (c0, seed). The noise is e
     * alone: round(N(0, 3.2^2)) cut at +-19 per coefficient.
     */
    public Ciphertext encryptSymmetric(Plaintext pt, SecretKey sk) {
        if (!sk.params.equals(params)) throw new CkksException("secret key belongs to other parameters");
        RingContext ring = params.ring();
        int limbs = pt.level() + 1;
        int[] idx = Polys.dataIdx(limbs);
        byte[] seed = sampler.newSeed();
        long[][] a = Sampler.uniformFromSeed(seed, 0, ring, idx);
        long[][] c0 = ring.fromSigned(sampler.gaussian(params.n()), idx);
        ring.forward(c0, null);
        Polys.addInto(ring, c0, pt.poly, limbs);
        Polys.mulSubInto(ring, c0, a, sk.ntt, idx);
        return new Ciphertext(new long[][][]{c0, a}, pt.scale, seed);
    }
}
