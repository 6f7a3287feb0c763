package io.picrypt.ckks;

import io.picrypt.ring.RingContext;
import io.picrypt.ring.Sampler;

import java.security.SecureRandom;

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

    /** Enc_pk(m) = (u*b + e0 + m, u*a + e1). */
    public Ciphertext encrypt(Plaintext pt, PublicKey pk) {
        if (!pk.params.equals(params)) throw new CkksException("public key belongs to other parameters");
        RingContext ring = params.ring();
        int limbs = pt.level() + 1;
        int[] idx = Polys.dataIdx(limbs);
        long[][] u = ring.fromSigned(sampler.ternary(params.n()), idx);
        ring.forward(u, null);
        long[][] c0 = ring.fromSigned(sampler.gaussian(params.n()), idx);
        long[][] c1 = ring.fromSigned(sampler.gaussian(params.n()), idx);
        ring.forward(c0, null);
        ring.forward(c1, null);
        Polys.mulAddInto(ring, c0, u, pk.b, idx);
        Polys.mulAddInto(ring, c1, u, pk.a, idx);
        Polys.addInto(ring, c0, pt.poly, limbs);
        return new Ciphertext(new long[][][]{c0, c1}, pt.scale);
    }

    /** Enc_sk(m) = (-a*s + e + m, a) with a expanded from a fresh seed: serializable as (c0, seed). */
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
        long[][] as = ring.newPoly(limbs);
        Polys.mul(ring, as, a, sk.ntt, idx);
        Polys.subInto(ring, c0, as, limbs);
        return new Ciphertext(new long[][][]{c0, a}, pt.scale, seed);
    }
}
