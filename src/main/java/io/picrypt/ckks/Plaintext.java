package io.picrypt.ckks;

/** An encoded message: one RNS polynomial in NTT form over data primes 0..level, with its scale. */
public final class Plaintext {
    final long[][] poly;
    final double scale;

    Plaintext(long[][] poly, double scale) {
        this.poly = poly;
        this.scale = scale;
    }

    public int level() { return poly.length - 1; }

    public double scale() { return scale; }

    /** NTT-form limbs; shared, do not modify. */
    public long[][] poly() { return poly; }
}
