package io.picrypt.ckks;

import io.picrypt.ring.RingContext;
import io.picrypt.ring.Sampler;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * Versioned, compact binary formats. Every coefficient is stored in exactly as many bits as its prime
 * needs; symmetric ciphertexts and the uniform halves of keys are stored as 32-byte seeds.
 * Readers validate magic, version, parameter fingerprint, sizes (the exact length is computed from the
 * parameters before anything is allocated, so a hostile length cannot cause an OutOfMemoryError),
 * levels, scales and that every coefficient is below its modulus. Framing is done by {@link FrameWriter} and
 * {@link FrameReader}: a bad magic, version or length is a {@link MalformedFrameException}; an object that is well
 * framed but invalid (other parameters, a coefficient not below its modulus, a bad level, size or scale) is a
 * {@link CkksException}.
 *
 * <pre>
 * ciphertext:  "PCCT" v1 | fingerprint[16] | flags(bit0 seeded) | size | level | scale(f64) | [seed 32] | limbs...
 * public key:  "PCPK" v1 | fingerprint[16] | seed 32 | b limbs (data primes)
 * relin key:   "PCRK" v1 | fingerprint[16] | switching key
 * Galois keys: "PCGK" v1 | fingerprint[16] | count(u16) | (element(u32) | switching key)*, elements increasing
 * switching key: seed 32 | digits(u8) | b[digit] limbs over all primes
 * secret key:  "PCSK" v1 | fingerprint[16] | N coefficients in 2 bits (0, 1, 2 = -1)
 * parameters:  "PCPA" v1 | N(u32) | count(u8) | data primes(u64)* | special(u64) | scale(f64) | insecure(u8)
 * </pre>
 */
public final class Serializer {
    public static final byte VERSION = 1;
    private static final int FP = 16;

    private Serializer() {}

    // ------------------------------------------------------------------ parameters

    public static byte[] writeParameters(CkksParameters p) {
        long[] d = p.dataPrimes();
        FrameWriter w = new FrameWriter("PCPA", VERSION, 4 + 1 + 4 + 1 + 8 * d.length + 8 + 8 + 1).u32(p.n()).u8(d.length);
        for (long q : d) w.i64(q);
        return w.i64(p.specialPrime()).f64(p.defaultScale()).u8(p.isInsecure() ? 1 : 0).toByteArray();
    }

    public static CkksParameters readParameters(byte[] bytes) {
        FrameReader r = FrameReader.open(bytes, "PCPA", VERSION, "PCPA parameters");
        int n = r.i32();
        int count = r.u8();
        if (count < 1 || count > 60) throw r.error("bad prime count " + count);
        r.exactly(8L * count + 17, count + " data primes");
        long[] primes = new long[count + 1];
        for (int i = 0; i < count; i++) primes[i] = r.i64();
        long special = r.i64();
        double scale = r.f64();
        boolean insecure = r.u8() != 0;
        r.end();
        if (insecure) throw new CkksException("refusing serialized parameters marked insecure");
        try {
            if (special == 0) return CkksParameters.of(n, Arrays.copyOf(primes, count), false, scale, false);
            primes[count] = special;
            return CkksParameters.of(n, primes, true, scale, false);
        } catch (IllegalArgumentException e) {
            throw new CkksException("invalid parameters: " + e.getMessage(), e);
        }
    }

    // ------------------------------------------------------------------ ciphertexts

    /** Serializes; a seeded symmetric ciphertext is written as (c0, seed) when {@code useSeed}. */
    public static byte[] writeCiphertext(Ciphertext ct, CkksParameters p, boolean useSeed) {
        boolean seeded = useSeed && ct.seed != null;
        int limbs = ct.level() + 1;
        FrameWriter w = new FrameWriter("PCCT", VERSION, ciphertextBytes(p, ct.size(), ct.level(), seeded));
        w.bytes(p.fingerprint()).u8(seeded ? 1 : 0).u8(ct.size()).u8(ct.level()).f64(ct.scale);
        if (seeded) w.bytes(ct.seed);
        for (int c = 0; c < ct.size(); c++) {
            if (seeded && c == 1) continue;
            packLimbs(w, p, ct.comps[c], limbs);
        }
        return w.toByteArray();
    }

    public static byte[] writeCiphertext(Ciphertext ct, CkksParameters p) {
        return writeCiphertext(ct, p, true);
    }

    public static Ciphertext readCiphertext(byte[] bytes, CkksParameters p) {
        FrameReader r = FrameReader.open(bytes, "PCCT", VERSION, "PCCT ciphertext");
        checkFingerprint(r, p);
        int flags = r.u8();
        int size = r.u8();
        int level = r.u8();
        double scale = r.f64();
        if ((flags & ~1) != 0) throw new CkksException("unknown ciphertext flags " + flags);
        boolean seeded = (flags & 1) != 0;
        if (size < 2 || size > 3 || (seeded && size != 2)) throw new CkksException("bad ciphertext size " + size);
        if (level > p.maxLevel()) throw new CkksException("ciphertext level " + level + " above the parameters' maximum " + p.maxLevel());
        if (!(scale >= 1) || Double.isInfinite(scale) || scale > 0x1p200) throw new CkksException("bad ciphertext scale " + scale);
        int limbs = level + 1;
        r.exactly((seeded ? Sampler.SEED_BYTES : 0) + (long) (seeded ? 1 : size) * limbsBytes(p, limbs), "a ciphertext of " + size + " components at level " + level);
        byte[] seed = seeded ? r.bytes(Sampler.SEED_BYTES) : null;
        long[][][] comps = new long[size][][];
        comps[0] = unpackLimbs(r, p, limbs);
        if (seeded) comps[1] = Sampler.uniformFromSeed(seed, 0, p.ring(), RingContext.range(0, limbs));
        for (int c = 1; c < size; c++) if (!seeded) comps[c] = unpackLimbs(r, p, limbs);
        r.end();
        return new Ciphertext(comps, scale, seed);
    }

    /** Exact serialized size of a ciphertext of {@code size} components at {@code level}. */
    public static long ciphertextBytes(CkksParameters p, int size, int level, boolean seeded) {
        return 4 + 1 + FP + 3 + 8 + (seeded ? Sampler.SEED_BYTES : 0) + (long) (seeded ? 1 : size) * limbsBytes(p, level + 1);
    }

    // ------------------------------------------------------------------ keys

    public static byte[] writePublicKey(PublicKey k) {
        CkksParameters p = k.params;
        int limbs = p.ring().size(); // data primes and the special prime
        FrameWriter w = new FrameWriter("PCPK", VERSION, 4 + 1 + FP + Sampler.SEED_BYTES + limbsBytes(p, limbs));
        w.bytes(p.fingerprint()).bytes(k.seed);
        packLimbs(w, p, k.b, limbs);
        return w.toByteArray();
    }

    public static PublicKey readPublicKey(byte[] bytes, CkksParameters p) {
        FrameReader r = FrameReader.open(bytes, "PCPK", VERSION, "PCPK public key");
        checkFingerprint(r, p);
        int limbs = p.ring().size(); // data primes and the special prime
        r.exactly(Sampler.SEED_BYTES + limbsBytes(p, limbs), "a public key");
        byte[] seed = r.bytes(Sampler.SEED_BYTES);
        long[][] kb = unpackLimbs(r, p, limbs);
        return new PublicKey(p, kb, Sampler.uniformFromSeed(seed, 0, p.ring(), RingContext.range(0, limbs)), seed);
    }

    public static byte[] writeRelinKey(RelinKey k) {
        CkksParameters p = k.params();
        FrameWriter w = new FrameWriter("PCRK", VERSION, 4 + 1 + FP + switchingKeyBytes(p)).bytes(p.fingerprint());
        writeSwitchingKey(w, p, k.key());
        return w.toByteArray();
    }

    public static RelinKey readRelinKey(byte[] bytes, CkksParameters p) {
        FrameReader r = FrameReader.open(bytes, "PCRK", VERSION, "PCRK relinearization key");
        checkFingerprint(r, p);
        r.exactly(switchingKeyBytes(p), "a relinearization key");
        return new RelinKey(p, readSwitchingKey(r, p));
    }

    public static byte[] writeGaloisKeys(GaloisKeys k) {
        CkksParameters p = k.params;
        long each = 4 + switchingKeyBytes(p);
        FrameWriter w = new FrameWriter("PCGK", VERSION, 4 + 1 + FP + 2 + each * k.keys.size()).bytes(p.fingerprint()).u16(k.keys.size());
        for (var e : new java.util.TreeMap<>(k.keys).entrySet()) {
            w.u32(e.getKey());
            writeSwitchingKey(w, p, e.getValue());
        }
        return w.toByteArray();
    }

    public static GaloisKeys readGaloisKeys(byte[] bytes, CkksParameters p) {
        FrameReader r = FrameReader.open(bytes, "PCGK", VERSION, "PCGK Galois keys");
        checkFingerprint(r, p);
        long each = 4 + switchingKeyBytes(p);
        int count = r.count16("Galois key count", 0, p.n(), each);
        r.exactly(each * count, count + " Galois keys");
        Map<Integer, SwitchingKey> keys = new HashMap<>();
        int previous = 1;
        for (int i = 0; i < count; i++) {
            int g = r.i32();
            if (g <= previous || g >= 2 * p.n() || g % 2 == 0) throw new CkksException("bad or unordered Galois element " + g);
            previous = g;
            keys.put(g, readSwitchingKey(r, p));
        }
        return new GaloisKeys(p, keys);
    }

    /** The secret key leaves memory only through this method, called explicitly by the client's key store. */
    public static byte[] writeSecretKey(SecretKey k) {
        CkksParameters p = k.params;
        FrameWriter w = new FrameWriter("PCSK", VERSION, 4 + 1 + FP + p.n() / 4).bytes(p.fingerprint());
        for (int i = 0; i < p.n(); i += 4) {
            int v = 0;
            for (int j = 0; j < 4; j++) v |= (int) ((k.coeffs[i + j] + 3) % 3) << (2 * j);
            w.u8(v);
        }
        return w.toByteArray();
    }

    public static SecretKey readSecretKey(byte[] bytes, CkksParameters p) {
        FrameReader r = FrameReader.open(bytes, "PCSK", VERSION, "PCSK secret key");
        checkFingerprint(r, p);
        r.exactly(p.n() / 4, "a secret key");
        long[] c = new long[p.n()];
        for (int i = 0; i < p.n(); i += 4) {
            int v = r.u8();
            for (int j = 0; j < 4; j++) {
                int t = (v >> (2 * j)) & 3;
                if (t == 3) throw new CkksException("secret key coefficient out of range");
                c[i + j] = t == 2 ? -1 : t;
            }
        }
        return new SecretKey(p, c);
    }

    // ------------------------------------------------------------------ helpers

    private static long switchingKeyBytes(CkksParameters p) {
        return Sampler.SEED_BYTES + 1 + (long) (p.maxLevel() + 1) * limbsBytes(p, p.ring().size());
    }

    private static void writeSwitchingKey(FrameWriter w, CkksParameters p, SwitchingKey k) {
        w.bytes(k.seed).u8(k.digits());
        for (long[][] digit : k.b) packLimbs(w, p, digit, p.ring().size());
    }

    private static SwitchingKey readSwitchingKey(FrameReader r, CkksParameters p) {
        if (!p.hasSpecialPrime()) throw new CkksException("parameters without a special prime have no switching keys");
        byte[] seed = r.bytes(Sampler.SEED_BYTES);
        int digits = r.u8();
        if (digits != p.maxLevel() + 1) throw new CkksException("switching key has " + digits + " digits, expected " + (p.maxLevel() + 1));
        int[] all = RingContext.range(0, p.ring().size());
        long[][][] kb = new long[digits][][], ka = new long[digits][][];
        for (int i = 0; i < digits; i++) {
            kb[i] = unpackLimbs(r, p, all.length);
            ka[i] = Sampler.uniformFromSeed(seed, i, p.ring(), all);
        }
        return new SwitchingKey(kb, ka, seed);
    }

    /** Bytes of {@code limbs} limbs, each N coefficients of bits(q_i) bits, byte-aligned per limb. */
    static long limbsBytes(CkksParameters p, int limbs) {
        long total = 0;
        for (int i = 0; i < limbs; i++) total += ((long) p.n() * p.ring().modulus(i).bits() + 7) / 8;
        return total;
    }

    private static final VarHandle LE_LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    /** Packs each limb's coefficients LSB-first into a bit stream of bits(q_i) bits each, byte-aligned per limb. */
    private static void packLimbs(FrameWriter w, CkksParameters p, long[][] poly, int limbs) {
        for (int i = 0; i < limbs; i++) w.packed(poly[i], p.ring().modulus(i).bits());
    }

    private static long[][] unpackLimbs(FrameReader r, CkksParameters p, int limbs) {
        long[][] out = new long[limbs][];
        for (int i = 0; i < limbs; i++) {
            var m = p.ring().modulus(i);
            try {
                out[i] = r.packed(p.n(), m.bits(), m.value());
            } catch (MalformedFrameException e) {
                throw e;
            } catch (CkksException e) {
                throw new CkksException(e.getMessage() + " (limb " + i + ")");
            }
        }
        return out;
    }

    /**
     * Writes the coefficients LSB-first as a bit stream of {@code bits} bits each, byte-aligned at the end; returns the
     * offset after it. Works a 64-bit word at a time (the stream is little-endian, so a word written little-endian is
     * the same 8 bytes). Other formats reach it through {@link FrameWriter#packed}.
     */
    static int packPoly(long[] coeffs, int bits, byte[] out, int off) {
        int pos = off;
        long acc = 0;
        int filled = 0;
        for (long v : coeffs) {
            acc |= v << filled;
            filled += bits;
            if (filled >= 64) {
                LE_LONG.set(out, pos, acc);
                pos += 8;
                filled -= 64;
                acc = filled == 0 ? 0 : v >>> (bits - filled);
            }
        }
        for (; filled > 0; filled -= 8, acc >>>= 8) out[pos++] = (byte) acc;
        return pos;
    }

    /** Reads {@code n} coefficients written by {@link #packPoly}; any not below {@code q}, or missing bytes, is a CkksException. */
    static long[] unpackPoly(byte[] in, int off, int n, int bits, long q) {
        long mask = (1L << bits) - 1;
        long endL = off + ((long) n * bits + 7) / 8;
        if (off < 0 || endL > in.length) throw new CkksException("coefficient data truncated");
        int pos = off, end = (int) endL;
        long acc = 0;
        int avail = 0;
        long[] o = new long[n];
        for (int j = 0; j < n; j++) {
            long v;
            if (avail >= bits) {
                v = acc & mask;
                acc >>>= bits;
                avail -= bits;
            } else {
                long next;
                int got;
                if (end - pos >= 8) {
                    next = (long) LE_LONG.get(in, pos);
                    pos += 8;
                    got = 64;
                } else { // the last bytes
                    next = 0;
                    got = 0;
                    while (pos < end) {
                        next |= (in[pos++] & 0xffL) << got;
                        got += 8;
                    }
                }
                v = (acc | (next << avail)) & mask;
                int used = bits - avail;
                acc = used == 64 ? 0 : next >>> used;
                avail = got - used;
            }
            if (v >= q) throw new CkksException("coefficient " + j + " is not below its modulus");
            o[j] = v;
        }
        return o;
    }

    private static void checkFingerprint(FrameReader r, CkksParameters p) {
        if (!Arrays.equals(r.bytes(FP), p.fingerprint())) throw new CkksException("object was made for other CKKS parameters (fingerprint mismatch)");
    }
}
