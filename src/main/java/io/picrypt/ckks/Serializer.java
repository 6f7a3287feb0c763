package io.picrypt.ckks;

import io.picrypt.ring.RingContext;
import io.picrypt.ring.Sampler;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * Versioned, compact binary formats. Every coefficient is stored in exactly as many bits as its prime
 * needs; symmetric ciphertexts and the uniform halves of keys are stored as 32-byte seeds.
 * Readers validate magic, version, parameter fingerprint, sizes (the exact length is computed from the
 * parameters before anything is allocated, so a hostile length cannot cause an OutOfMemoryError),
 * levels, scales and that every coefficient is below its modulus; any violation is a {@link CkksException}.
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
        ByteBuffer b = ByteBuffer.allocate(4 + 1 + 4 + 1 + 8 * d.length + 8 + 8 + 1);
        b.put(magic("PCPA")).put(VERSION).putInt(p.n()).put((byte) d.length);
        for (long q : d) b.putLong(q);
        b.putLong(p.specialPrime()).putDouble(p.defaultScale()).put((byte) (p.isInsecure() ? 1 : 0));
        return b.array();
    }

    public static CkksParameters readParameters(byte[] bytes) {
        ByteBuffer b = header(bytes, "PCPA", 10);
        int n = b.getInt();
        int count = b.get() & 0xff;
        if (count < 1 || count > 60) throw new CkksException("bad prime count " + count);
        need(b, 8L * count + 17);
        long[] primes = new long[count + 1];
        for (int i = 0; i < count; i++) primes[i] = b.getLong();
        long special = b.getLong();
        double scale = b.getDouble();
        boolean insecure = b.get() != 0;
        end(b);
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
        long bytes = 4 + 1 + FP + 3 + 8 + (seeded ? Sampler.SEED_BYTES : 0)
                + (long) (seeded ? 1 : ct.size()) * limbsBytes(p, limbs, false);
        ByteBuffer b = ByteBuffer.allocate(Math.toIntExact(bytes));
        b.put(magic("PCCT")).put(VERSION).put(p.fingerprint()).put((byte) (seeded ? 1 : 0))
                .put((byte) ct.size()).put((byte) ct.level()).putDouble(ct.scale);
        if (seeded) b.put(ct.seed);
        for (int c = 0; c < ct.size(); c++) {
            if (seeded && c == 1) continue;
            packLimbs(b, p, ct.comps[c], limbs, false);
        }
        return b.array();
    }

    public static byte[] writeCiphertext(Ciphertext ct, CkksParameters p) {
        return writeCiphertext(ct, p, true);
    }

    public static Ciphertext readCiphertext(byte[] bytes, CkksParameters p) {
        ByteBuffer b = header(bytes, "PCCT", FP + 11);
        checkFingerprint(b, p);
        int flags = b.get() & 0xff;
        int size = b.get() & 0xff;
        int level = b.get() & 0xff;
        double scale = b.getDouble();
        if ((flags & ~1) != 0) throw new CkksException("unknown ciphertext flags " + flags);
        boolean seeded = (flags & 1) != 0;
        if (size < 2 || size > 3 || (seeded && size != 2)) throw new CkksException("bad ciphertext size " + size);
        if (level > p.maxLevel()) throw new CkksException("ciphertext level " + level + " above the parameters' maximum " + p.maxLevel());
        if (!(scale >= 1) || Double.isInfinite(scale) || scale > 0x1p200) throw new CkksException("bad ciphertext scale " + scale);
        int limbs = level + 1;
        long expected = (seeded ? Sampler.SEED_BYTES : 0) + (long) (seeded ? 1 : size) * limbsBytes(p, limbs, false);
        if (b.remaining() != expected) throw new CkksException("ciphertext body is " + b.remaining() + " bytes, expected " + expected);
        byte[] seed = null;
        if (seeded) {
            seed = new byte[Sampler.SEED_BYTES];
            b.get(seed);
        }
        long[][][] comps = new long[size][][];
        comps[0] = unpackLimbs(b, p, limbs, false);
        if (seeded) comps[1] = Sampler.uniformFromSeed(seed, 0, p.ring(), RingContext.range(0, limbs));
        for (int c = 1; c < size; c++) if (!seeded) comps[c] = unpackLimbs(b, p, limbs, false);
        return new Ciphertext(comps, scale, seed);
    }

    /** Exact serialized size of a ciphertext of {@code size} components at {@code level}. */
    public static long ciphertextBytes(CkksParameters p, int size, int level, boolean seeded) {
        return 4 + 1 + FP + 3 + 8 + (seeded ? Sampler.SEED_BYTES : 0) + (long) (seeded ? 1 : size) * limbsBytes(p, level + 1, false);
    }

    // ------------------------------------------------------------------ keys

    public static byte[] writePublicKey(PublicKey k) {
        CkksParameters p = k.params;
        int limbs = p.ring().size(); // data primes and the special prime
        ByteBuffer b = ByteBuffer.allocate(Math.toIntExact(4 + 1 + FP + Sampler.SEED_BYTES + limbsBytes(p, limbs, false)));
        b.put(magic("PCPK")).put(VERSION).put(p.fingerprint()).put(k.seed);
        packLimbs(b, p, k.b, limbs, false);
        return b.array();
    }

    public static PublicKey readPublicKey(byte[] bytes, CkksParameters p) {
        ByteBuffer b = header(bytes, "PCPK", FP);
        checkFingerprint(b, p);
        int limbs = p.ring().size(); // data primes and the special prime
        if (b.remaining() != Sampler.SEED_BYTES + limbsBytes(p, limbs, false)) throw new CkksException("public key has the wrong length");
        byte[] seed = new byte[Sampler.SEED_BYTES];
        b.get(seed);
        long[][] kb = unpackLimbs(b, p, limbs, false);
        return new PublicKey(p, kb, Sampler.uniformFromSeed(seed, 0, p.ring(), RingContext.range(0, limbs)), seed);
    }

    public static byte[] writeRelinKey(RelinKey k) {
        CkksParameters p = k.params();
        ByteBuffer b = ByteBuffer.allocate(Math.toIntExact(4 + 1 + FP + switchingKeyBytes(p)));
        b.put(magic("PCRK")).put(VERSION).put(p.fingerprint());
        writeSwitchingKey(b, p, k.key());
        return b.array();
    }

    public static RelinKey readRelinKey(byte[] bytes, CkksParameters p) {
        ByteBuffer b = header(bytes, "PCRK", FP);
        checkFingerprint(b, p);
        if (b.remaining() != switchingKeyBytes(p)) throw new CkksException("relinearization key has the wrong length");
        return new RelinKey(p, readSwitchingKey(b, p));
    }

    public static byte[] writeGaloisKeys(GaloisKeys k) {
        CkksParameters p = k.params;
        long each = 4 + switchingKeyBytes(p);
        ByteBuffer b = ByteBuffer.allocate(Math.toIntExact(4 + 1 + FP + 2 + each * k.keys.size()));
        b.put(magic("PCGK")).put(VERSION).put(p.fingerprint()).putShort((short) k.keys.size());
        for (var e : k.keys.entrySet()) {
            b.putInt(e.getKey());
            writeSwitchingKey(b, p, e.getValue());
        }
        return b.array();
    }

    public static GaloisKeys readGaloisKeys(byte[] bytes, CkksParameters p) {
        ByteBuffer b = header(bytes, "PCGK", FP + 2);
        checkFingerprint(b, p);
        int count = b.getShort() & 0xffff;
        if (count > p.n()) throw new CkksException("too many Galois keys: " + count);
        long each = 4 + switchingKeyBytes(p);
        if (b.remaining() != each * count) throw new CkksException("Galois keys have the wrong length for " + count + " keys");
        Map<Integer, SwitchingKey> keys = new HashMap<>();
        int previous = 1;
        for (int i = 0; i < count; i++) {
            int g = b.getInt();
            if (g <= previous || g >= 2 * p.n() || g % 2 == 0) throw new CkksException("bad or unordered Galois element " + g);
            previous = g;
            keys.put(g, readSwitchingKey(b, p));
        }
        return new GaloisKeys(p, keys);
    }

    /** The secret key leaves memory only through this method, called explicitly by the client's key store. */
    public static byte[] writeSecretKey(SecretKey k) {
        CkksParameters p = k.params;
        ByteBuffer b = ByteBuffer.allocate(4 + 1 + FP + p.n() / 4);
        b.put(magic("PCSK")).put(VERSION).put(p.fingerprint());
        for (int i = 0; i < p.n(); i += 4) {
            int v = 0;
            for (int j = 0; j < 4; j++) v |= (int) ((k.coeffs[i + j] + 3) % 3) << (2 * j);
            b.put((byte) v);
        }
        return b.array();
    }

    public static SecretKey readSecretKey(byte[] bytes, CkksParameters p) {
        ByteBuffer b = header(bytes, "PCSK", FP);
        checkFingerprint(b, p);
        if (b.remaining() != p.n() / 4) throw new CkksException("secret key has the wrong length");
        long[] c = new long[p.n()];
        for (int i = 0; i < p.n(); i += 4) {
            int v = b.get() & 0xff;
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
        return Sampler.SEED_BYTES + 1 + (long) (p.maxLevel() + 1) * limbsBytes(p, p.ring().size(), true);
    }

    private static void writeSwitchingKey(ByteBuffer b, CkksParameters p, SwitchingKey k) {
        b.put(k.seed).put((byte) k.digits());
        for (long[][] digit : k.b) packLimbs(b, p, digit, p.ring().size(), true);
    }

    private static SwitchingKey readSwitchingKey(ByteBuffer b, CkksParameters p) {
        if (!p.hasSpecialPrime()) throw new CkksException("parameters without a special prime have no switching keys");
        byte[] seed = new byte[Sampler.SEED_BYTES];
        b.get(seed);
        int digits = b.get() & 0xff;
        if (digits != p.maxLevel() + 1) throw new CkksException("switching key has " + digits + " digits, expected " + (p.maxLevel() + 1));
        int[] all = RingContext.range(0, p.ring().size());
        long[][][] kb = new long[digits][][], ka = new long[digits][][];
        for (int i = 0; i < digits; i++) {
            kb[i] = unpackLimbs(b, p, all.length, true);
            ka[i] = Sampler.uniformFromSeed(seed, i, p.ring(), all);
        }
        return new SwitchingKey(kb, ka, seed);
    }

    /** Bytes of {@code limbs} limbs, each N coefficients of bits(q_i) bits, byte-aligned per limb. */
    static long limbsBytes(CkksParameters p, int limbs, boolean allPrimes) {
        long total = 0;
        for (int i = 0; i < limbs; i++) total += ((long) p.n() * p.ring().modulus(i).bits() + 7) / 8;
        return total;
    }

    private static final VarHandle LE_LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    /**
     * Packs each limb's coefficients LSB-first into a bit stream of bits(q_i) bits each, byte-aligned per limb.
     */
    private static void packLimbs(ByteBuffer b, CkksParameters p, long[][] poly, int limbs, boolean allPrimes) {
        int pos = b.arrayOffset() + b.position();
        for (int i = 0; i < limbs; i++) pos = packPoly(poly[i], p.ring().modulus(i).bits(), b.array(), pos);
        b.position(pos - b.arrayOffset());
    }

    private static long[][] unpackLimbs(ByteBuffer b, CkksParameters p, int limbs, boolean allPrimes) {
        int n = p.n();
        int pos = b.arrayOffset() + b.position();
        long[][] out = new long[limbs][];
        for (int i = 0; i < limbs; i++) {
            var m = p.ring().modulus(i);
            try {
                out[i] = unpackPoly(b.array(), pos, n, m.bits(), m.value());
            } catch (CkksException e) {
                throw new CkksException(e.getMessage() + " (limb " + i + ")");
            }
            pos += (int) (((long) n * m.bits() + 7) / 8);
        }
        b.position(pos - b.arrayOffset());
        return out;
    }

    /**
     * Writes the coefficients LSB-first as a bit stream of {@code bits} bits each, byte-aligned at the end; returns the
     * offset after it. Works a 64-bit word at a time (the stream is little-endian, so a word written little-endian is
     * the same 8 bytes). Shared with other compact formats (image differences).
     */
    public static int packPoly(long[] coeffs, int bits, byte[] out, int off) {
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
    public static long[] unpackPoly(byte[] in, int off, int n, int bits, long q) {
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

    private static byte[] magic(String m) {
        return m.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    }

    private static ByteBuffer header(byte[] bytes, String magic, int minAfterVersion) {
        if (bytes == null || bytes.length < 5 + minAfterVersion) throw new CkksException("input too short for a " + magic + " object");
        ByteBuffer b = ByteBuffer.wrap(bytes);
        byte[] m = new byte[4];
        b.get(m);
        if (!Arrays.equals(m, magic(magic))) throw new CkksException("not a " + magic + " object (bad magic)");
        byte v = b.get();
        if (v != VERSION) throw new CkksException("unsupported " + magic + " version " + v);
        return b;
    }

    private static void checkFingerprint(ByteBuffer b, CkksParameters p) {
        byte[] fp = new byte[FP];
        b.get(fp);
        if (!Arrays.equals(fp, p.fingerprint())) throw new CkksException("object was made for other CKKS parameters (fingerprint mismatch)");
    }

    private static void need(ByteBuffer b, long n) {
        if (b.remaining() < n) throw new CkksException("input truncated");
    }

    private static void end(ByteBuffer b) {
        if (b.hasRemaining()) throw new CkksException(b.remaining() + " unexpected trailing bytes");
    }
}
