package io.picrypt.ckks;

import io.picrypt.ring.Modulus;
import io.picrypt.ring.Ntt;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * A 2-component level-0 ciphertext switched down from q0 to power-of-two moduli for transport (modulus switching,
 * as in PIR response compression): c1 keeps all N coefficients mod t1 = 2^logT1, c0 only the coefficients at
 * {@code positions} mod t0 = 2^logT0 (t0 | t1). Only the message at those positions can be decrypted.
 *
 * <p>Error bound (exact, not heuristic): with c0 + c1 s = mu + K q0 (mu the centred decryption at q0),
 * c0' = round(c0 t0/q0) and c1' = round(c1 t1/q0) give, for every kept position i,
 * (c0' t1/t0 + c1' s)_i = (t1/q0) mu_i + delta_i  (mod t1) with |delta_i| <= (t1/t0)/2 + ||s||_1/2
 * (each rounding is at most 1/2; s is ternary, so |(r1 s)_i| <= ||s||_1/2 <= N/2). The message scale becomes
 * scale * t1 / q0; decryption is correct while |(t1/q0) mu_i| + |delta_i| < t1/2. See docs/PROTOCOL.md
 * "Compact gallery answer".
 *
 * <p>Wire form ({@link #write}): c1 as N values of logT1 bits, then c0 as positions.length values of logT0 bits,
 * big-endian bit packing, no padding (callers choose sizes whose bit counts are multiples of 8). Every bit pattern
 * is a valid value, so parsing checks lengths only. Immutable.
 */
public final class CompactCiphertext {
    private final int logT0, logT1;
    private final int[] c0, c1; // c0[j] at positions[j], in [0, t0); c1 all N coefficients, in [0, t1)
    private final double scale;

    private CompactCiphertext(int logT0, int logT1, int[] c0, int[] c1, double scale) {
        this.logT0 = logT0;
        this.logT1 = logT1;
        this.c0 = c0;
        this.c1 = c1;
        this.scale = scale;
    }

    /** Message scale after the switch: the ciphertext's scale times t1 / q0. */
    public double scale() { return scale; }

    public int logT0() { return logT0; }

    public int logT1() { return logT1; }

    /** Bytes of {@link #write} for N coefficients of c1 and {@code kept} of c0. */
    public static long bytes(int n, int kept, int logT0, int logT1) {
        return ((long) n * logT1 + (long) kept * logT0 + 7) / 8;
    }

    static void checkWidths(CkksParameters p, int logT0, int logT1) {
        long q0 = p.dataPrime(0);
        int n = p.n();
        // c1' s must be exact in centred arithmetic mod q0: |c1' s| <= t1 N < q0 / 2
        if (logT0 < 1 || logT0 > logT1 || logT1 > 30 || (double) (1L << logT1) * n >= q0 / 2.0) {
            throw new CkksException("bad compact moduli 2^" + logT0 + ", 2^" + logT1 + " for q0 = " + q0);
        }
    }

    /**
     * Switches a 2-component level-0 ciphertext down, keeping c0 at {@code positions} (strictly increasing, in [0, N)).
     *
     * @throws CkksException for another size or level, or moduli that do not fit (logT0 <= logT1 <= 30, t1 N < q0/2)
     */
    public static CompactCiphertext switchDown(Ciphertext ct, CkksParameters p, int[] positions, int logT0, int logT1) {
        checkWidths(p, logT0, logT1);
        if (ct.size() != 2 || ct.level() != 0) throw new CkksException("only 2-component level-0 ciphertexts are switched down");
        checkPositions(positions, p.n());
        Ntt ntt = p.ring().ntt(0);
        long q = ntt.modulus().value();
        long[] a = ct.comps[1][0].clone(), b = ct.comps[0][0].clone();
        ntt.inverse(a);
        ntt.inverse(b);
        int[] c1 = new int[a.length], c0 = new int[positions.length];
        int mask1 = (1 << logT1) - 1, mask0 = (1 << logT0) - 1;
        double invQ = 1.0 / q;
        for (int i = 0; i < a.length; i++) c1[i] = (int) (roundScaled(a[i], logT1, q, invQ) & mask1);
        for (int j = 0; j < positions.length; j++) c0[j] = (int) (roundScaled(b[positions[j]], logT0, q, invQ) & mask0);
        return new CompactCiphertext(logT0, logT1, c0, c1, ct.scale * Math.scalb(1.0, logT1) / q);
    }

    /** round(c 2^k / q) for c in [0, q), q < 2^62, k <= 30: exact (a double estimate corrected by the 64-bit remainder). */
    static long roundScaled(long c, int k, long q) {
        return roundScaled(c, k, q, 1.0 / q);
    }

    /**
     * {@link #roundScaled(long, int, long)} with 1/q precomputed (a multiply instead of a division per coefficient; the
     * estimate may be off by a few units either way, the exact correction below is the same).
     */
    static long roundScaled(long c, int k, long q, double invQ) {
        long half = q >>> 1;
        long est = (long) Math.floor((Math.scalb((double) c, k) + half) * invQ);
        // true remainder c 2^k + half - est q is small (|.| < 4q), so its low 64 bits are it
        long rem = (c << k) + half - est * q;
        while (rem < 0) { est--; rem += q; }
        while (rem >= q) { est++; rem -= q; }
        return est;
    }

    static void checkPositions(int[] positions, int n) {
        for (int j = 0; j < positions.length; j++) {
            if (positions[j] < 0 || positions[j] >= n || (j > 0 && positions[j] <= positions[j - 1])) {
                throw new CkksException("kept positions must be strictly increasing in [0, N)");
            }
        }
    }

    /** Appends the packed form (see the class comment). */
    public void write(ByteBuffer out) {
        BitWriter w = new BitWriter(out);
        for (int v : c1) w.put(v, logT1);
        for (int v : c0) w.put(v, logT0);
        w.flush();
    }

    /**
     * Reads the packed form of N + kept values at the given scale (known to the reader, never read from the wire).
     *
     * @throws CkksException if fewer than {@link #bytes} bytes remain
     */
    public static CompactCiphertext read(ByteBuffer in, CkksParameters p, int kept, int logT0, int logT1, double scale) {
        checkWidths(p, logT0, logT1);
        long need = bytes(p.n(), kept, logT0, logT1);
        if (in.remaining() < need) throw new CkksException("compact ciphertext truncated: " + in.remaining() + " of " + need + " bytes");
        BitReader r = new BitReader(in);
        int[] c1 = new int[p.n()], c0 = new int[kept];
        for (int i = 0; i < c1.length; i++) c1[i] = r.get(logT1);
        for (int j = 0; j < c0.length; j++) c0[j] = r.get(logT0);
        return new CompactCiphertext(logT0, logT1, c0, c1, scale);
    }

    /**
     * Decrypts the kept positions: value j is (c0' t1/t0 + c1' s)_(positions[j]) mod t1, centred, divided by
     * {@link #scale()}. The error added by the switch is at most {@link #switchingErrorBound(SecretKey)} (in message units).
     */
    public double[] decrypt(SecretKey sk, int[] positions) {
        CkksParameters p = sk.params;
        if (positions.length != c0.length) throw new CkksException("decrypt needs the " + c0.length + " kept positions");
        checkPositions(positions, p.n());
        Ntt ntt = p.ring().ntt(0);
        Modulus m = ntt.modulus();
        long q = m.value();
        long[] x = new long[c1.length];
        for (int i = 0; i < x.length; i++) x[i] = c1[i];
        ntt.forward(x);
        long[] s = sk.ntt[0];
        for (int i = 0; i < x.length; i++) x[i] = m.mul(x[i], s[i]);
        ntt.inverse(x); // c1' s exactly (|c1' s| <= t1 N < q/2), centred below
        long t1 = 1L << logT1;
        int up = logT1 - logT0;
        double[] out = new double[positions.length];
        for (int j = 0; j < positions.length; j++) {
            long cs = x[positions[j]];
            if (cs > q / 2) cs -= q;
            long v = ((long) c0[j] << up) + cs;
            v = Math.floorMod(v, t1);
            if (v >= t1 / 2) v -= t1;
            out[j] = v / scale;
        }
        return out;
    }

    /** The exact worst case of the switch's error for this key, in message units: ((t1/t0) + ||s||_1) / 2 / scale. */
    public double switchingErrorBound(SecretKey sk) {
        long l1 = 0;
        for (long c : sk.coeffs) l1 += Math.abs(c);
        return ((double) (1L << (logT1 - logT0)) + l1) / 2 / scale;
    }

    /** The bound of {@link #switchingErrorBound} for any ternary key (||s||_1 <= N): what a parameter check can use. */
    public static double worstSwitchingError(int n, int logT0, int logT1, double scaleAfter) {
        return ((double) (1L << (logT1 - logT0)) + n) / 2 / scaleAfter;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CompactCiphertext c && c.logT0 == logT0 && c.logT1 == logT1 && c.scale == scale
                && Arrays.equals(c.c0, c0) && Arrays.equals(c.c1, c1);
    }

    @Override
    public int hashCode() { return Arrays.hashCode(c1) * 31 + Arrays.hashCode(c0); }

    private static final java.lang.invoke.VarHandle BIG_ENDIAN_INT =
            java.lang.invoke.MethodHandles.byteArrayViewVarHandle(int[].class, java.nio.ByteOrder.BIG_ENDIAN);

    /**
     * Big-endian bit packing into a byte buffer, 32 bits per store (no padding until {@link #flush}). A heap buffer's
     * array is written directly (measured: ByteBuffer.putInt's per-call index checks were ~10% of a fused answer's
     * time) and its position set at {@link #flush}; other buffers get one putInt per 32 bits.
     */
    static final class BitWriter {
        private final ByteBuffer out;
        private final byte[] array; // out's array, or null
        private final int end;      // array index of out's limit
        private int at;             // array index of the next byte
        private long acc;
        private int bits; // pending bits, the low ones of acc; below 32 between calls

        BitWriter(ByteBuffer out) {
            this.out = out;
            if (out.hasArray()) {
                array = out.array();
                at = out.arrayOffset() + out.position();
                end = out.arrayOffset() + out.limit();
            } else {
                array = null;
                at = end = 0;
            }
        }

        /** Appends the low {@code width} (1..32) bits of v. */
        void put(int v, int width) {
            acc = (acc << width) | (v & ((1L << width) - 1));
            bits += width;
            if (bits >= 32) {
                bits -= 32;
                int word = (int) (acc >>> bits);
                if (array != null) {
                    if (end - at < 4) throw new java.nio.BufferOverflowException();
                    BIG_ENDIAN_INT.set(array, at, word);
                    at += 4;
                } else {
                    out.put((byte) (word >>> 24)).put((byte) (word >>> 16)).put((byte) (word >>> 8)).put((byte) word);
                }
            }
        }

        /** Writes the pending bits, the last byte padded with zeros, and moves the buffer's position past them. */
        void flush() {
            if (array != null) out.position(at - out.arrayOffset());
            while (bits >= 8) {
                bits -= 8;
                out.put((byte) (acc >>> bits));
            }
            if (bits > 0) out.put((byte) (acc << (8 - bits)));
            bits = 0;
        }
    }

    private static final class BitReader {
        private final ByteBuffer in;
        private long acc;
        private int bits;

        BitReader(ByteBuffer in) { this.in = in; }

        int get(int width) {
            while (bits < width) {
                acc = (acc << 8) | (in.get() & 0xFF);
                bits += 8;
            }
            bits -= width;
            int v = (int) ((acc >>> bits) & ((1L << width) - 1));
            acc &= (1L << bits) - 1;
            return v;
        }
    }
}
