package io.picrypt.ckks;

/**
 * A CKKS ciphertext: 2 components (or 3 before relinearization), each an RNS polynomial in NTT form over
 * data primes 0..level, and its scale. A symmetric ciphertext fresh from the secret-key encryptor also
 * carries the seed its c1 was expanded from, so it can be serialized as (c0, seed).
 * The evaluator never modifies its inputs; only its destination and in-place variants (SEAL-style, for loops that
 * reuse buffers) write into a ciphertext the caller passed as the destination.
 */
public final class Ciphertext {
    final long[][][] comps; // [component][limb][coefficient]; a component's limb array may be shortened (rescale in place)
    double scale;           // changed only by destination and in-place operations
    byte[] seed;            // non-null only while c1 == uniformFromSeed(seed); cleared when overwritten

    Ciphertext(long[][][] comps, double scale, byte[] seed) {
        if (comps.length < 2 || comps.length > 3) throw new CkksException("a ciphertext has 2 or 3 components");
        this.comps = comps;
        this.scale = scale;
        this.seed = seed;
    }

    Ciphertext(long[][][] comps, double scale) {
        this(comps, scale, null);
    }

    public int size() { return comps.length; }

    public int level() { return comps[0].length - 1; }

    public double scale() { return scale; }

    public boolean isSeeded() { return seed != null; }

    /** Component i in NTT form (limb, coefficient); shared, do not modify. */
    public long[][] component(int i) { return comps[i]; }

    /** Builds a ciphertext from NTT-form components (copied), for protocol code that assembles results. */
    public static Ciphertext fromComponents(long[][][] comps, double scale) {
        long[][][] c = new long[comps.length][][];
        for (int i = 0; i < comps.length; i++) c[i] = io.picrypt.ring.RingContext.copy(comps[i]);
        return new Ciphertext(c, scale);
    }

    /** Sets the result of a destination/in-place operation: new scale, no seed (c1 no longer comes from it). */
    void overwritten(double newScale) {
        this.scale = newScale;
        this.seed = null;
    }

    @Override
    public String toString() {
        return "Ciphertext(size=" + size() + ", level=" + level() + ", scale=2^" + String.format("%.2f", Math.log(scale) / Math.log(2)) + (seed != null ? ", seeded" : "") + ")";
    }
}
