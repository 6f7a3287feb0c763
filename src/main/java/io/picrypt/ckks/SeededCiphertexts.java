package io.picrypt.ckks;

import io.picrypt.ring.Modulus;
import io.picrypt.ring.RingContext;
import io.picrypt.ring.Sampler;

import java.util.Arrays;

/**
 * Fresh seeded symmetric ciphertexts (c0, seed of c1) handled where they lie, inside a larger frame, without expanding
 * their seeds; and their difference, which stays half size the same way.
 *
 * <p>A server that only subtracts such ciphertexts never needs c1: (c0_a, a_a) - (c0_b, a_b) is kept as
 * (c0_a - c0_b, seed_a, seed_b), a <em>seeded difference</em> record, and the key owner re-expands both uniform
 * polynomials ({@link #difference}). Layouts (the ciphertext is {@link Serializer}'s PCCT, seeded):
 * <pre>
 * seeded ciphertext: "PCCT" v1 | fingerprint[16] | flags 1 | size 2 | level | scale f64 | seed[32] | c0 limbs
 * seeded difference: seed_a[32] | seed_b[32] | (c0_a - c0_b) limbs
 * </pre>
 * where each limb i holds N coefficients of bits(q_i) bits (NTT form), as in PCCT. One instance describes ciphertexts
 * of one parameter set, level and scale; it is immutable and thread-safe.
 */
public final class SeededCiphertexts {
    /** Length of the seed of c1. */
    public static final int SEED_BYTES = Sampler.SEED_BYTES;
    /** Bytes of the PCCT header before the seed (magic 4, version 1, fingerprint 16, flags/size/level 3, scale 8). */
    private static final int HEADER = 32;

    /** What {@link #check} found at a record. */
    public enum Problem {
        NONE,
        /** not a PCCT v1 ciphertext (magic or version), or the record is cut short */
        NOT_A_CIPHERTEXT,
        /** a ciphertext of other CKKS parameters (fingerprint) */
        OTHER_PARAMETERS,
        /** not a fresh seeded 2-component ciphertext at this level */
        NOT_FRESH_SEEDED,
        /** at another scale */
        OTHER_SCALE
    }

    private final CkksParameters params;
    private final int level;
    private final double scale;
    private final byte[] header;
    private final int ciphertextBytes, differenceBytes;

    public SeededCiphertexts(CkksParameters params, int level, double scale) {
        if (level < 0 || level > params.maxLevel()) throw new CkksException("level " + level + " outside [0, " + params.maxLevel() + "]");
        this.params = params;
        this.level = level;
        this.scale = scale;
        this.header = new FrameWriter("PCCT", Serializer.VERSION, HEADER).bytes(params.fingerprint()).u8(1).u8(2).u8(level).f64(scale).toByteArray();
        this.ciphertextBytes = Math.toIntExact(Serializer.ciphertextBytes(params, 2, level, true));
        this.differenceBytes = Math.toIntExact(2L * SEED_BYTES + Serializer.limbsBytes(params, level + 1));
    }

    /** Bytes of one seeded ciphertext record (a whole PCCT object). */
    public int ciphertextBytes() { return ciphertextBytes; }

    /** Bytes of one seeded difference record. */
    public int differenceBytes() { return differenceBytes; }

    /**
     * Checks the header of the seeded ciphertext at {@code off} against these parameters, level and scale by comparing
     * bytes (no parsing, no seed expansion); its coefficients are checked by {@link #subtract}.
     */
    public Problem check(byte[] blob, int off) {
        if (off < 0 || off > blob.length - ciphertextBytes) return Problem.NOT_A_CIPHERTEXT;
        if (Arrays.equals(blob, off, off + HEADER, header, 0, HEADER)) return Problem.NONE;
        if (!Arrays.equals(blob, off, off + 5, header, 0, 5)) return Problem.NOT_A_CIPHERTEXT;
        if (!Arrays.equals(blob, off + 5, off + 21, header, 5, 21)) return Problem.OTHER_PARAMETERS;
        if (!Arrays.equals(blob, off + 21, off + 24, header, 21, 24)) return Problem.NOT_FRESH_SEEDED;
        return Problem.OTHER_SCALE;
    }

    /**
     * Writes the seeded difference after - before at {@code outOff} from two checked ({@link #check}) seeded
     * ciphertexts: c0 subtracted mod each q_i, both seeds copied.
     *
     * @throws CkksException when a coefficient of either is not below its modulus
     */
    public void subtract(byte[] after, int afterOff, byte[] before, int beforeOff, byte[] out, int outOff) {
        if (check(after, afterOff) != Problem.NONE || check(before, beforeOff) != Problem.NONE) {
            throw new CkksException("not two checked seeded ciphertexts of these parameters");
        }
        System.arraycopy(after, afterOff + HEADER, out, outOff, SEED_BYTES);
        System.arraycopy(before, beforeOff + HEADER, out, outOff + SEED_BYTES, SEED_BYTES);
        FrameReader a = FrameReader.wrap(after, afterOff + HEADER + SEED_BYTES, ciphertextBytes - HEADER - SEED_BYTES, "seeded ciphertext");
        FrameReader b = FrameReader.wrap(before, beforeOff + HEADER + SEED_BYTES, ciphertextBytes - HEADER - SEED_BYTES, "seeded ciphertext");
        int pos = outOff + 2 * SEED_BYTES;
        for (int i = 0; i <= level; i++) {
            Modulus q = params.ring().modulus(i);
            long[] ca = limb(a, q, i), cb = limb(b, q, i);
            for (int j = 0; j < ca.length; j++) ca[j] = q.sub(ca[j], cb[j]);
            pos = Serializer.packPoly(ca, q.bits(), out, pos);
        }
    }

    /**
     * The ciphertext (c0_a - c0_b, a_a - a_b) of the seeded difference record at {@code off}, at this level and scale,
     * ready to decrypt: both uniform polynomials are expanded from their seeds here.
     *
     * @throws MalformedFrameException when the record is cut short; CkksException when a coefficient is not below its modulus
     */
    public Ciphertext difference(byte[] blob, int off) {
        FrameReader r = FrameReader.wrap(blob, off, differenceBytes, "seeded difference");
        byte[] seedA = r.bytes(SEED_BYTES), seedB = r.bytes(SEED_BYTES);
        int[] limbs = RingContext.range(0, level + 1);
        long[][] c0 = new long[level + 1][];
        for (int i = 0; i <= level; i++) c0[i] = limb(r, params.ring().modulus(i), i);
        long[][] a = Sampler.uniformFromSeed(seedA, 0, params.ring(), limbs);
        long[][] b = Sampler.uniformFromSeed(seedB, 0, params.ring(), limbs);
        for (int i = 0; i <= level; i++) {
            Modulus q = params.ring().modulus(i);
            for (int j = 0; j < a[i].length; j++) a[i][j] = q.sub(a[i][j], b[i][j]);
        }
        return Ciphertext.fromComponents(new long[][][]{c0, a}, scale);
    }

    private long[] limb(FrameReader r, Modulus q, int i) {
        try {
            return r.packed(params.n(), q.bits(), q.value());
        } catch (MalformedFrameException e) {
            throw e;
        } catch (CkksException e) {
            throw new CkksException(e.getMessage() + " (limb " + i + ")");
        }
    }
}
