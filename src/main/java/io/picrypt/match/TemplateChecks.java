package io.picrypt.match;

import io.picrypt.ckks.SecretKey;
import io.picrypt.ckks.Serializer;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Arrays;

/**
 * Check values the key owner plants in the unused coefficients DIMENSION..N-1 of every 1:1 template: {@link #COUNT}
 * coefficients at secret positions, each +-{@link #VALUE}, chosen by HMAC-SHA256 under a key derived from the secret key,
 * over the identity's name. The server cannot read them (they are encrypted with the embedding) and cannot make them
 * for another name (it holds neither key), so a template of another name, of another keyset, or an answer computed
 * over one, carries check values the client does not expect. Verification: the product's coefficients that no
 * embedding reaches (a free window of {@link MatchParameters#VERIFY_TEMPLATES_PER_CIPHERTEXT}-packing) must equal the
 * client's own {@link #contribution} to within the noise bound; see docs/PROTOCOL.md "Planted check values".
 *
 * Values are exact in the encoding (0.25 * 2^27 is an integer), so the client's prediction carries only the
 * probe's encoding rounding (< 2^-28 per coefficient). Nothing derived here ever leaves the client in the clear.
 */
public final class TemplateChecks {
    /** Check coefficients per template: ~9 of them reach every coefficient of a free window per packed template. */
    public static final int COUNT = 64;
    /**
     * Magnitude of each check value. L1 norm per template = COUNT * VALUE = 16, which adds 19.5 * 8 * 16 / 2^27 = 1.9e-5
     * to the worst-case decryption error ({@link MatchKeyOwner#NOISE_BOUND}); a different template's checks move a free
     * coefficient by ~VALUE * |x_l| * sqrt(2 * 9) ~ 0.05 for a unit-norm probe, ~600x the bound.
     */
    public static final double VALUE = 0.25;

    private final byte[] key;
    /** HMAC instances keyed once per thread: getInstance + init cost more than the ~9 HMACs of one name. */
    private final ThreadLocal<Mac> macs;

    /** The check key of {@code sk}: SHA-256("PiCrypt template check v1" \0 | serialized secret key). */
    public TemplateChecks(SecretKey sk) {
        byte[] b = Serializer.writeSecretKey(sk);
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            md.update("PiCrypt template check v1\0".getBytes(StandardCharsets.US_ASCII));
            this.key = md.digest(b);
            this.macs = ThreadLocal.withInitial(() -> {
                try {
                    Mac mac = Mac.getInstance("HmacSHA256");
                    mac.init(new SecretKeySpec(key, "HmacSHA256"));
                    return mac;
                } catch (GeneralSecurityException e) {
                    throw new IllegalStateException("HmacSHA256 unavailable", e);
                }
            });
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("SHA-256 unavailable", e);
        } finally {
            Arrays.fill(b, (byte) 0);
        }
    }

    /** Check polynomial of {@code name}: N coefficients, zero below DIMENSION, COUNT of the others +-VALUE. */
    public double[] of(String name) {
        double[] c = new double[MatchParameters.N];
        byte[] stream = stream(name, 4 * COUNT * 2);
        int made = 0, span = MatchParameters.N - MatchParameters.DIMENSION;
        for (int i = 0; made < COUNT; i += 4) {
            if (i + 4 > stream.length) stream = concat(stream, stream(name + "\0" + i, 64));
            int r = ((stream[i] & 0xff) << 16 | (stream[i + 1] & 0xff) << 8 | (stream[i + 2] & 0xff)) % span; // 2^24 % 3584: bias < 2^-12, irrelevant
            int pos = MatchParameters.DIMENSION + r;
            if (c[pos] != 0) continue; // distinct positions
            c[pos] = (stream[i + 3] & 1) == 0 ? VALUE : -VALUE;
            made++;
        }
        return c;
    }

    /**
     * The check values' share of the product of a template of {@code name} with the probe of {@code probe}: the
     * negacyclic product C(X) * P(X) with P(X) = sum_j x_j X^-j (the probe layout of {@link MatchKeyOwner#encryptProbe}),
     * N coefficients. A template at window k of a packed ciphertext contributes this shifted by 512k.
     */
    public static double[] contribution(double[] check, float[] probe) {
        int n = MatchParameters.N;
        double[] out = new double[n], x = new double[probe.length];
        for (int l = 0; l < x.length; l++) x[l] = probe[l];
        for (int s = MatchParameters.DIMENSION; s < n; s++) {
            double c = check[s];
            if (c == 0) continue;
            // X^s * x_l X^-l = x_l X^(s-l); s >= DIMENSION > l, so no wrap
            for (int l = 0; l < x.length; l++) out[s - l] += c * x[l];
        }
        return out;
    }

    /** out += X^shift * poly mod X^N + 1 (0 <= shift < N). */
    static void addShifted(double[] out, double[] poly, int shift) {
        int n = out.length;
        for (int j = 0; j < n; j++) {
            int t = j + shift;
            if (t < n) out[t] += poly[j];
            else out[t - n] -= poly[j];
        }
    }

    private byte[] stream(String label, int bytes) {
        Mac mac = macs.get();
        byte[] name = label.getBytes(StandardCharsets.UTF_8);
        byte[] out = new byte[(bytes + 31) / 32 * 32];
        try {
            for (int block = 0; block * 32 < bytes; block++) {
                mac.update(name);
                mac.update(new byte[]{0, (byte) block});
                mac.doFinal(out, block * 32);
            }
        } catch (javax.crypto.ShortBufferException e) {
            throw new IllegalStateException(e);
        }
        return out;
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
