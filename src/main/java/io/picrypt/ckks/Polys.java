package io.picrypt.ckks;

import io.picrypt.ring.Modulus;
import io.picrypt.ring.RingContext;

/** Limb-wise arithmetic on NTT-form RNS polynomials; limb i of every argument uses prime idx[i]. */
final class Polys {
    private Polys() {}

    static int[] dataIdx(int limbs) { return RingContext.range(0, limbs); }

    static void addInto(RingContext r, long[][] acc, long[][] x, int limbs) {
        for (int i = 0; i < limbs; i++) {
            long q = r.modulus(i).value();
            long[] a = acc[i], b = x[i];
            for (int j = 0; j < a.length; j++) {
                long s = a[j] + b[j];
                a[j] = s >= q ? s - q : s;
            }
        }
    }

    static void subInto(RingContext r, long[][] acc, long[][] x, int limbs) {
        for (int i = 0; i < limbs; i++) {
            long q = r.modulus(i).value();
            long[] a = acc[i], b = x[i];
            for (int j = 0; j < a.length; j++) {
                long s = a[j] - b[j];
                a[j] = s < 0 ? s + q : s;
            }
        }
    }

    static void negate(RingContext r, long[][] a, int limbs) {
        for (int i = 0; i < limbs; i++) {
            long q = r.modulus(i).value();
            long[] x = a[i];
            for (int j = 0; j < x.length; j++) x[j] = x[j] == 0 ? 0 : q - x[j];
        }
    }

    /** out = a * b (pointwise), primes by idx. */
    static void mul(RingContext r, long[][] out, long[][] a, long[][] b, int[] idx) {
        for (int i = 0; i < idx.length; i++) {
            Modulus m = r.modulus(idx[i]);
            long[] o = out[i], x = a[i], y = b[i];
            for (int j = 0; j < o.length; j++) o[j] = m.mul(x[j], y[j]);
        }
    }

    /** acc += a * b (pointwise), primes by idx. */
    static void mulAddInto(RingContext r, long[][] acc, long[][] a, long[][] b, int[] idx) {
        for (int i = 0; i < idx.length; i++) {
            Modulus m = r.modulus(idx[i]);
            long q = m.value();
            long[] o = acc[i], x = a[i], y = b[i];
            for (int j = 0; j < o.length; j++) {
                long s = o[j] + m.mul(x[j], y[j]);
                o[j] = s >= q ? s - q : s;
            }
        }
    }

    /** acc -= a * b (pointwise), primes by idx. */
    static void mulSubInto(RingContext r, long[][] acc, long[][] a, long[][] b, int[] idx) {
        for (int i = 0; i < idx.length; i++) {
            Modulus m = r.modulus(idx[i]);
            long q = m.value();
            long[] o = acc[i], x = a[i], y = b[i];
            for (int j = 0; j < o.length; j++) {
                long s = o[j] - m.mul(x[j], y[j]);
                o[j] = s < 0 ? s + q : s;
            }
        }
    }

    static void mulScalar(RingContext r, long[][] a, long scalarSigned, int limbs) {
        for (int i = 0; i < limbs; i++) {
            Modulus m = r.modulus(i);
            long s = m.reduceSigned(scalarSigned);
            long sh = m.shoup(s);
            long[] x = a[i];
            for (int j = 0; j < x.length; j++) x[j] = m.mulShoup(x[j], s, sh);
        }
    }

    static long[][] take(long[][] p, int limbs) {
        long[][] c = new long[limbs][];
        for (int i = 0; i < limbs; i++) c[i] = p[i].clone();
        return c;
    }
}
