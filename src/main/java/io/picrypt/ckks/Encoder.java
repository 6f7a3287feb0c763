package io.picrypt.ckks;

import io.picrypt.ring.RingContext;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.MathContext;

/**
 * CKKS encoding. Slot encoding maps up to N/2 complex (or real) values through the inverse canonical
 * embedding (a special FFT over the roots zeta^(5^j)); coefficient encoding puts up to N reals directly
 * into polynomial coefficients (for inner products by polynomial multiplication and for bulk data).
 */
public final class Encoder {
    private final CkksParameters params;
    private final int n;
    private final int slots;
    private final int m; // 2N
    private final int[] rotGroup;
    private final double[] ksiRe, ksiIm;

    public Encoder(CkksParameters params) {
        this.params = params;
        this.n = params.n();
        this.slots = n / 2;
        this.m = 2 * n;
        rotGroup = new int[slots];
        long g = 1;
        for (int j = 0; j < slots; j++) {
            rotGroup[j] = (int) g;
            g = g * 5 % m;
        }
        ksiRe = new double[m + 1];
        ksiIm = new double[m + 1];
        for (int k = 0; k <= m; k++) {
            double angle = 2 * Math.PI * k / m;
            ksiRe[k] = Math.cos(angle);
            ksiIm[k] = Math.sin(angle);
        }
    }

    public CkksParameters params() { return params; }

    // ---------------------------------------------------------------- slot encoding

    public Plaintext encode(double[] values, double scale, int level) {
        return encode(values, null, scale, level);
    }

    public Plaintext encode(double[] values, double scale) {
        return encode(values, null, scale, params.maxLevel());
    }

    /** Encodes re + i*im (im may be null) into the slots; unused slots are zero. */
    public Plaintext encode(double[] re, double[] im, double scale, int level) {
        if (re.length > slots || (im != null && im.length > slots)) throw new CkksException("at most " + slots + " slots");
        double[] vr = new double[slots], vi = new double[slots];
        System.arraycopy(re, 0, vr, 0, re.length);
        if (im != null) System.arraycopy(im, 0, vi, 0, im.length);
        fftSpecialInv(vr, vi);
        double[] coeffs = new double[n];
        for (int j = 0; j < slots; j++) {
            coeffs[j] = vr[j];
            coeffs[j + slots] = vi[j];
        }
        return fromScaledCoefficients(coeffs, scale, level);
    }

    /** Decodes the real parts of all slots. */
    public double[] decode(BigInteger[] centred, double scale) {
        double[][] c = decodeComplex(centred, scale);
        return c[0];
    }

    public double[][] decodeComplex(BigInteger[] centred, double scale) {
        double[] vr = new double[slots], vi = new double[slots];
        for (int j = 0; j < slots; j++) {
            vr[j] = toDouble(centred[j], scale);
            vi[j] = toDouble(centred[j + slots], scale);
        }
        fftSpecial(vr, vi);
        return new double[][]{vr, vi};
    }

    /** Decodes coefficients already divided by the scale. */
    double[][] decodeComplex(double[] coeffs) {
        double[] vr = java.util.Arrays.copyOf(coeffs, slots), vi = java.util.Arrays.copyOfRange(coeffs, slots, n);
        fftSpecial(vr, vi);
        return new double[][]{vr, vi};
    }

    // ---------------------------------------------------------------- coefficient encoding

    /** Coefficient j = round(values[j] * scale), up to N values. */
    public Plaintext encodeCoefficients(double[] values, double scale, int level) {
        if (values.length > n) throw new CkksException("at most " + n + " coefficients");
        double[] c = new double[n];
        System.arraycopy(values, 0, c, 0, values.length);
        return fromScaledCoefficients(c, scale, level);
    }

    /** Integer coefficients (already scaled), e.g. pixels; |v| must be below every prime / 2. */
    public Plaintext encodeIntegers(long[] coeffs, double scale, int level) {
        if (coeffs.length > n) throw new CkksException("at most " + n + " coefficients");
        long[] c = new long[n];
        System.arraycopy(coeffs, 0, c, 0, coeffs.length);
        int[] idx = RingContext.range(0, level + 1);
        long[][] poly = params.ring().fromSigned(c, idx);
        params.ring().forward(poly, null);
        return new Plaintext(poly, scale);
    }

    /** A constant polynomial round(value * scale) (every slot = value). */
    public Plaintext encodeConstant(double value, double scale, int level) {
        double[] c = new double[]{value};
        return encodeCoefficients(c, scale, level);
    }

    private Plaintext fromScaledCoefficients(double[] coeffs, double scale, int level) {
        if (level < 0 || level > params.maxLevel()) throw new CkksException("level " + level + " outside [0, " + params.maxLevel() + "]");
        RingContext ring = params.ring();
        long[][] poly = new long[level + 1][n];
        boolean small = true;
        for (double c : coeffs) {
            double v = c * scale;
            if (Double.isNaN(v) || Double.isInfinite(v)) throw new CkksException("value not finite after scaling");
            if (Math.abs(v) >= 0x1p62) small = false;
        }
        if (small) {
            for (int j = 0; j < n; j++) {
                long v = Math.round(coeffs[j] * scale);
                for (int i = 0; i <= level; i++) poly[i][j] = ring.modulus(i).reduceSigned(v);
            }
        } else {
            for (int j = 0; j < n; j++) {
                BigInteger v = new BigDecimal(coeffs[j] * scale).setScale(0, java.math.RoundingMode.HALF_EVEN).toBigInteger();
                for (int i = 0; i <= level; i++) {
                    poly[i][j] = v.mod(BigInteger.valueOf(ring.modulus(i).value())).longValue();
                }
            }
        }
        ring.forward(poly, null);
        return new Plaintext(poly, scale);
    }

    private static double toDouble(BigInteger v, double scale) {
        if (v.bitLength() < 63) return v.longValue() / scale;
        return new BigDecimal(v).divide(new BigDecimal(scale), MathContext.DECIMAL64).doubleValue();
    }

    // ---------------------------------------------------------------- special FFT

    /** Evaluates the polynomial whose coefficient halves are (vr, vi) at zeta^(5^j): decoding direction. */
    void fftSpecial(double[] vr, double[] vi) {
        bitReverse(vr, vi);
        for (int len = 2; len <= slots; len <<= 1) {
            int lenh = len >> 1, lenq = len << 2, gap = m / lenq;
            for (int i = 0; i < slots; i += len) {
                for (int j = 0; j < lenh; j++) {
                    int idx = (rotGroup[j] % lenq) * gap;
                    double ur = vr[i + j], ui = vi[i + j];
                    double xr = vr[i + j + lenh], xi = vi[i + j + lenh];
                    double wr = ksiRe[idx], wi = ksiIm[idx];
                    double tr = xr * wr - xi * wi, ti = xr * wi + xi * wr;
                    vr[i + j] = ur + tr;
                    vi[i + j] = ui + ti;
                    vr[i + j + lenh] = ur - tr;
                    vi[i + j + lenh] = ui - ti;
                }
            }
        }
    }

    /** Inverse of {@link #fftSpecial}: encoding direction. */
    void fftSpecialInv(double[] vr, double[] vi) {
        for (int len = slots; len >= 2; len >>= 1) {
            int lenh = len >> 1, lenq = len << 2, gap = m / lenq;
            for (int i = 0; i < slots; i += len) {
                for (int j = 0; j < lenh; j++) {
                    int idx = (lenq - (rotGroup[j] % lenq)) * gap;
                    double ur = vr[i + j] + vr[i + j + lenh], ui = vi[i + j] + vi[i + j + lenh];
                    double xr = vr[i + j] - vr[i + j + lenh], xi = vi[i + j] - vi[i + j + lenh];
                    double wr = ksiRe[idx], wi = ksiIm[idx];
                    vr[i + j] = ur;
                    vi[i + j] = ui;
                    vr[i + j + lenh] = xr * wr - xi * wi;
                    vi[i + j + lenh] = xr * wi + xi * wr;
                }
            }
        }
        bitReverse(vr, vi);
        for (int i = 0; i < slots; i++) {
            vr[i] /= slots;
            vi[i] /= slots;
        }
    }

    private void bitReverse(double[] vr, double[] vi) {
        int bits = Integer.numberOfTrailingZeros(slots);
        if (bits == 0) return;
        for (int i = 0; i < slots; i++) {
            int r = Integer.reverse(i) >>> (32 - bits);
            if (i < r) {
                double t = vr[i]; vr[i] = vr[r]; vr[r] = t;
                t = vi[i]; vi[i] = vi[r]; vi[r] = t;
            }
        }
    }

}
