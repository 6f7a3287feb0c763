package io.picrypt.ckks;

/**
 * A key-switching key from s' to s with one digit per data prime (RNS decomposition) and the special
 * prime P: digit i is (b_i, a_i) over all primes with b_i = -a_i*s + e_i + [P*s' on limb i only].
 * The a_i are expanded from {@code seed} (stream i) so the key can be stored half-size.
 */
public final class SwitchingKey {
    final long[][][] b; // [digit][prime][coeff], NTT
    final long[][][] a;
    final byte[] seed;

    SwitchingKey(long[][][] b, long[][][] a, byte[] seed) {
        this.b = b;
        this.a = a;
        this.seed = seed;
    }

    public int digits() { return b.length; }
}
