package io.picrypt.ring;

import java.math.BigInteger;

/**
 * A word-size prime modulus q < 2^60 (SEAL's limit too: lazy NTT values in [0, 4q) stay below 2^62) with the constants for fast reduction:
 * Barrett reduction of 128-bit products (floor(2^128 / q) as two words) and Shoup multiplication
 * by a fixed operand (floor(w * 2^64 / q)).
 */
public final class Modulus {
    public static final int MAX_BITS = 60;

    private final long q;
    private final int bits;
    private final long ratioHi; // floor(2^128 / q) >> 64
    private final long ratioLo; // floor(2^128 / q) & (2^64 - 1)
    private final long mu;      // floor(2^(2*bits) / q) < 2^(bits+1): Barrett constant for products of reduced values
    private final long ratio64; // floor(2^64 / q) < 2^63: Barrett constant for one word
    private final int shiftLo, shiftHi; // bits - 1, bits + 1
    private final long mu4;     // floor(2^(2*bits+2) / q) < 2^(bits+3), for sums of up to 4 products (bits <= 60)
    private final long r127Hi, r127Lo; // floor(2^127 / q) = floor(2^128 / q) / 2, for shoup63

    public Modulus(long q) {
        if (q < 3 || 64 - Long.numberOfLeadingZeros(q) > MAX_BITS) {
            throw new IllegalArgumentException("modulus must be in [3, 2^" + MAX_BITS + "): " + q);
        }
        this.q = q;
        this.bits = 64 - Long.numberOfLeadingZeros(q);
        BigInteger r = BigInteger.ONE.shiftLeft(128).divide(BigInteger.valueOf(q));
        this.ratioHi = r.shiftRight(64).longValue();
        this.ratioLo = r.longValue();
        this.mu = BigInteger.ONE.shiftLeft(2 * bits).divide(BigInteger.valueOf(q)).longValue();
        this.ratio64 = BigInteger.ONE.shiftLeft(64).divide(BigInteger.valueOf(q)).longValue();
        this.shiftLo = bits - 1;
        this.shiftHi = bits + 1;
        this.mu4 = bits <= 60 ? BigInteger.ONE.shiftLeft(2 * bits + 2).divide(BigInteger.valueOf(q)).longValue() : 0;
        this.r127Hi = ratioHi >>> 1;
        this.r127Lo = (ratioLo >>> 1) | (ratioHi << 63);
    }

    public long value() { return q; }

    public int bits() { return bits; }

    /** Unsigned high word of a * b. */
    public static long mulHiUnsigned(long a, long b) {
        return Math.multiplyHigh(a, b) + ((a >> 63) & b) + ((b >> 63) & a);
    }

    /** (hi:lo) mod q for a 128-bit value below q * 2^64 (true for any product of two reduced values). */
    public long reduce128(long hi, long lo) {
        // quotient estimate = floor(x * ratio / 2^128); error at most 1 (Barrett)
        long carry = mulHiUnsigned(lo, ratioLo);
        long t2lo = lo * ratioHi;
        long t2hi = mulHiUnsigned(lo, ratioHi);
        long t1 = t2lo + carry;
        long t3 = t2hi + (((t2lo & carry) | ((t2lo | carry) & ~t1)) >>> 63); // carry of t2lo + carry, branch-free
        t2lo = hi * ratioLo;
        t2hi = mulHiUnsigned(hi, ratioLo);
        long t0 = t1;
        t1 = t1 + t2lo;
        carry = t2hi + (((t0 & t2lo) | ((t0 | t2lo) & ~t1)) >>> 63);
        long quotient = hi * ratioHi + t3 + carry;
        long r = lo - quotient * q;
        return r >= q ? r - q : r;
    }

    /** a * b mod q for a, b in [0, q). */
    public long mul(long a, long b) {
        return reduceProduct(Math.multiplyHigh(a, b), a * b);
    }

    /**
     * (hi:lo) mod q for a value below 2^(2*bits), e.g. a product of two reduced values: Barrett with base 2
     * (quotient estimate from the top bits times mu, off by at most 2, so two corrections).
     */
    public long reduceProduct(long hi, long lo) {
        long q1 = (hi << (64 - shiftLo)) | (lo >>> shiftLo);          // x / 2^(bits-1) < 2^(bits+1)
        long q3 = (Math.multiplyHigh(q1, mu) << (64 - shiftHi)) | ((q1 * mu) >>> shiftHi);
        long r = lo - q3 * q;                                         // < 3q < 2^63
        if (r >= q) r -= q;
        return r >= q ? r - q : r;
    }

    /** Whether {@link #reduceSum4} applies: q has at most 60 bits. */
    public boolean supportsLazySums() { return bits <= 60; }

    /**
     * (hi:lo) mod q for a value below 2^(2*bits+2), e.g. a sum of up to four products of reduced values, when
     * {@link #supportsLazySums()}: the same Barrett estimate with a 2-bit wider mu (quotient off by at most 2).
     */
    public long reduceSum4(long hi, long lo) {
        long q1 = (hi << (64 - shiftLo)) | (lo >>> shiftLo);          // x / 2^(bits-1) < 2^(bits+3) <= 2^63
        long q3 = (Math.multiplyHigh(q1, mu4) << (61 - bits)) | ((q1 * mu4) >>> (bits + 3));
        long r = lo - q3 * q;                                         // < 3q
        // branch-free corrections: measured faster in the key-switching loops (reduceProduct keeps the compare form,
        // which HotSpot turns into conditional moves in its simpler loops)
        r -= q & ((q - 1 - r) >> 63);
        return r - (q & ((q - 1 - r) >> 63));
    }

    /** x mod q for any non-negative 64-bit x. */
    public long reduce(long x) {
        if (x < 0) return reduce128(0, x);
        long r = x - Math.multiplyHigh(x, ratio64) * q; // < 2q
        return r >= q ? r - q : r;
    }

    /** x mod q for any signed x, result in [0, q). */
    public long reduceSigned(long x) {
        if (x == Long.MIN_VALUE) return Math.floorMod(x, q);
        // the sign of errors and encoded values is random: handle it without a branch
        long s = x >> 63;          // 0 or -1
        long a = (x ^ s) - s;      // |x|
        long r = a < q ? a : reduce(a);
        r = (r ^ s) - s;           // -r when x < 0, in (-q, 0]
        return r + (q & (r >> 63));
    }

    public long add(long a, long b) {
        long s = a + b;
        return s >= q ? s - q : s;
    }

    public long sub(long a, long b) {
        long s = a - b;
        return s < 0 ? s + q : s;
    }

    public long neg(long a) {
        return a == 0 ? 0 : q - a;
    }

    /** Precomputed Shoup companion of w: floor(w * 2^64 / q). */
    public long shoup(long w) {
        return BigInteger.valueOf(w).shiftLeft(64).divide(BigInteger.valueOf(q)).longValue();
    }

    /**
     * floor(w 2^63 / q) for w in [0, q): the companion of {@link #mulShoupLazy}. From r = floor(2^127 / q) = rHi 2^64 + rLo,
     * e = floor(w r / 2^64) = w rHi + floor(w rLo / 2^64) is floor(w 2^63 / q) or one less (w r / 2^64 is below w 2^63 / q
     * by less than w / 2^64 < 1), and fits a word since w rHi 2^64 <= w r < 2^127; the remainder w 2^63 - e q is then in
     * [0, 2q), exact in 64-bit arithmetic, and one conditional step gives the quotient. No division: cheap enough to
     * compute per call for a whole operand.
     */
    public long shoup63(long w) {
        long e = w * r127Hi + mulHiUnsigned(w, r127Lo);
        long rem = (w << 63) - e * q;
        return e + ((q - 1 - rem) >>> 63); // + 1 when rem >= q
    }

    /**
     * x w mod q up to a multiple of q: x w - floor(x ws / 2^64) 2q in [0, 3q), for 0 <= x < 2^63, w in [0, q) and
     * ws = {@link #shoup63}(w), q < 2^60 (q2 = 2q). Shoup's product with the quotient estimated against 2q (as in Harvey,
     * "Faster arithmetic for number-theoretic transforms", J. Symb. Comp. 2014): x ws / 2^64 = x w / 2q - x f / 2^64 with
     * f in [0, 1) and x f / 2^64 < 1/2, so the estimate is above x w / 2q - 3/2 and at most x w / 2q; the exact value is
     * below 2^62 and the wrapping 64-bit products give it. Both operands of the signed high product are non-negative, so
     * no unsigned fix-up is needed. Three multiplications, no branch: the inner operation of {@link Ntt} (on doubled
     * values, where it is below 4q, see there).
     */
    public static long mulShoupLazy(long x, long w, long ws, long q2) {
        return x * w - Math.multiplyHigh(x, ws) * q2;
    }

    /** x * w mod q using w's Shoup companion; x may be any value below 2^64 (unsigned), result in [0, q). */
    public long mulShoup(long x, long w, long wShoup) {
        long r = x * w - mulHiUnsigned(x, wShoup) * q;
        return r >= q ? r - q : r;
    }

    /** x * w mod q with w's Shoup companion for 0 <= x < 2^63 (cheaper high word), result in [0, q). */
    public long mulShoupSmall(long x, long w, long wShoup) {
        long r = x * w - (Math.multiplyHigh(x, wShoup) + ((wShoup >> 63) & x)) * q;
        return r >= q ? r - q : r;
    }

    public long pow(long base, long exp) {
        long result = 1, b = base % q;
        while (exp > 0) {
            if ((exp & 1) == 1) result = mul(result, b);
            b = mul(b, b);
            exp >>= 1;
        }
        return result;
    }

    public long inverse(long a) {
        if (a % q == 0) throw new ArithmeticException("0 has no inverse mod " + q);
        return pow(a, q - 2); // q is prime
    }

    @Override
    public String toString() { return Long.toString(q); }
}
