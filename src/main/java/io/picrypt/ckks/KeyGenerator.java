package io.picrypt.ckks;

import io.picrypt.ring.Parallel;
import io.picrypt.ring.RingContext;
import io.picrypt.ring.Sampler;

import java.security.SecureRandom;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/** Generates the secret key and everything derived from it. Randomness: SecureRandom only. */
public final class KeyGenerator {
    private final CkksParameters params;
    private final Sampler sampler;

    public KeyGenerator(CkksParameters params) {
        this(params, new SecureRandom());
    }

    public KeyGenerator(CkksParameters params, SecureRandom random) {
        this.params = params;
        this.sampler = new Sampler(random);
    }

    public SecretKey secretKey() {
        return new SecretKey(params, sampler.ternary(params.n()));
    }

    /**
     * The public key (b, a) = (-a*s + e, a) over every prime of the ring (data primes and, when there is one, the
     * special prime P, so that encryption can divide its noise by P as SEAL does); e is round(N(0, 3.2^2)) cut at
     * +-19. An RLWE sample modulo QP, the modulus the 128-bit check in {@link CkksParameters} already bounds.
     */
    public PublicKey publicKey(SecretKey sk) {
        checkParams(sk);
        RingContext ring = params.ring();
        int limbs = ring.size();
        int[] idx = Polys.dataIdx(limbs);
        byte[] seed = sampler.newSeed();
        long[][] a = Sampler.uniformFromSeed(seed, 0, ring, idx);
        long[][] b = ring.fromSigned(sampler.gaussian(params.n()), idx);
        ring.forward(b, null);
        long[][] as = ring.newPoly(limbs);
        Polys.mul(ring, as, a, sk.ntt, idx);
        Polys.subInto(ring, b, as, limbs);
        return new PublicKey(params, b, a, seed);
    }

    public RelinKey relinKey(SecretKey sk) {
        checkParams(sk);
        RingContext ring = params.ring();
        int[] all = RingContext.range(0, ring.size());
        long[][] s2 = ring.newPoly(all.length);
        Polys.mul(ring, s2, sk.ntt, sk.ntt, all);
        return new RelinKey(params, switchingKey(sk, s2));
    }

    /** Galois keys for left rotations by the given steps, plus conjugation when asked. */
    public GaloisKeys rotationKeys(SecretKey sk, Collection<Integer> steps, boolean conjugation) {
        Set<Integer> elements = new LinkedHashSet<>();
        for (int s : steps) {
            int g = GaloisKeys.rotationElement(params.n(), s);
            if (g != 1) elements.add(g);
        }
        if (conjugation) elements.add(GaloisKeys.conjugationElement(params.n()));
        return new GaloisKeys(params, galoisKeysFor(sk, elements));
    }

    /** Galois keys for arbitrary automorphisms X -> X^g (g odd, 1 < g < 2N). */
    public GaloisKeys galoisKeys(SecretKey sk, Collection<Integer> elements) {
        Set<Integer> distinct = new LinkedHashSet<>();
        for (int g : elements) distinct.add(checkElement(g));
        return new GaloisKeys(params, galoisKeysFor(sk, distinct));
    }

    /** One key per element; independent keys are generated in parallel when {@link Parallel} is on. */
    private Map<Integer, SwitchingKey> galoisKeysFor(SecretKey sk, Set<Integer> elements) {
        checkParams(sk);
        Integer[] gs = elements.toArray(new Integer[0]);
        SwitchingKey[] keys = new SwitchingKey[gs.length];
        Parallel.forEach(gs.length, i -> keys[i] = galoisKey(sk, gs[i]));
        Map<Integer, SwitchingKey> out = new HashMap<>();
        for (int i = 0; i < gs.length; i++) out.put(gs[i], keys[i]);
        return out;
    }

    int checkElement(int g) {
        if (g <= 1 || g >= 2 * params.n() || g % 2 == 0) throw new CkksException("Galois element must be odd in (1, 2N): " + g);
        return g;
    }

    private SwitchingKey galoisKey(SecretKey sk, int g) {
        RingContext ring = params.ring();
        long[] sg = Automorphism.applyToCoefficients(sk.coeffs, g);
        long[][] sgNtt = ring.fromSigned(sg, RingContext.range(0, ring.size()));
        ring.forward(sgNtt, null);
        return switchingKey(sk, sgNtt);
    }

    /** Key switching s' -> s: digit i adds P * s' on limb i only. */
    SwitchingKey switchingKey(SecretKey sk, long[][] sPrimeNtt) {
        if (!params.hasSpecialPrime()) throw new CkksException("key switching needs parameters with a special prime");
        RingContext ring = params.ring();
        int digits = params.maxLevel() + 1;
        int[] all = RingContext.range(0, ring.size());
        byte[] seed = sampler.newSeed();
        long[][][] bs = new long[digits][][], as = new long[digits][][];
        long p = params.specialPrime();
        for (int i = 0; i < digits; i++) {
            long[][] a = Sampler.uniformFromSeed(seed, i, ring, all);
            long[][] b = ring.fromSigned(sampler.gaussian(params.n()), all);
            ring.forward(b, null);
            long[][] tmp = ring.newPoly(all.length);
            Polys.mul(ring, tmp, a, sk.ntt, all);
            Polys.subInto(ring, b, tmp, all.length);
            var mi = ring.modulus(i);
            long pModQi = mi.reduce(p);
            long[] bi = b[i], si = sPrimeNtt[i];
            for (int j = 0; j < bi.length; j++) bi[j] = mi.add(bi[j], mi.mul(pModQi, si[j]));
            bs[i] = b;
            as[i] = a;
        }
        return new SwitchingKey(bs, as, seed);
    }

    private void checkParams(SecretKey sk) {
        if (!sk.params.equals(params)) throw new CkksException("secret key belongs to other parameters");
    }
}
