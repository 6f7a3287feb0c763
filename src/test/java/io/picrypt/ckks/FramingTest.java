package io.picrypt.ckks;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/** The framing kit (FrameWriter / FrameReader) and seeded ciphertexts handled in place (SeededCiphertexts). */
class FramingTest {
    @Test
    void everyFieldRoundTrips() {
        byte[] f = new FrameWriter("TEST", 3).u8(255).u16(65535).u32(0xFFFF_FFFFL).i64(-2).f64(0.5).name("Zoë")
                .blob(new byte[]{7}).blobs(List.of(new byte[]{1, 2}, new byte[0])).bytes(new byte[]{9}).toByteArray();
        FrameReader r = FrameReader.open(f, "TEST", 3, "test frame");
        assertEquals(255, r.u8());
        assertEquals(65535, r.u16());
        assertEquals(0xFFFF_FFFFL, r.u32());
        assertEquals(-2, r.i64());
        assertEquals(0.5, r.f64());
        assertEquals("Zoë", r.name());
        assertArrayEquals(new byte[]{7}, r.blob("b", 1, 1));
        List<byte[]> two = r.blobs(2, "c", 0, 2);
        assertArrayEquals(new byte[]{1, 2}, two.get(0));
        assertEquals(0, two.get(1).length);
        assertArrayEquals(new byte[]{9}, r.rest());
        r.end();
    }

    @Test
    void writerRefusesWhatDoesNotFit() {
        FrameWriter w = new FrameWriter("TEST", 1);
        assertThrows(IllegalArgumentException.class, () -> w.u8(256));
        assertThrows(IllegalArgumentException.class, () -> w.u16(-1));
        assertThrows(IllegalArgumentException.class, () -> w.u32(1L << 32));
        assertThrows(IllegalArgumentException.class, () -> w.name(""));
        assertThrows(IllegalArgumentException.class, () -> w.name("x".repeat(65536)));
        assertThrows(IllegalArgumentException.class, () -> new FrameWriter("TOOLONG", 1));
    }

    @Test
    void readerRefusesEveryMalformationWithOneErrorType() {
        byte[] f = new FrameWriter("TEST", 1).u32(2).blob(new byte[]{1}).blob(new byte[]{2}).toByteArray();
        assertThrows(MalformedFrameException.class, () -> FrameReader.open(null, "TEST", 1, "t"));
        assertThrows(MalformedFrameException.class, () -> FrameReader.open(new byte[4], "TEST", 1, "t"));
        assertThrows(MalformedFrameException.class, () -> FrameReader.open(f, "TESX", 1, "t"));
        assertThrows(MalformedFrameException.class, () -> FrameReader.open(f, "TEST", 2, "t"));
        // a count is checked against the bytes left before anything is allocated for it
        byte[] huge = f.clone();
        huge[5] = 0x7F;
        MalformedFrameException e = assertThrows(MalformedFrameException.class,
                () -> FrameReader.open(huge, "TEST", 1, "t").count("items", 0, Integer.MAX_VALUE, 5));
        assertTrue(e.getMessage().startsWith("t: items"), e.getMessage());
        assertThrows(MalformedFrameException.class, () -> FrameReader.open(f, "TEST", 1, "t").count("items", 0, 1, 0), "above max");
        assertThrows(MalformedFrameException.class, () -> FrameReader.open(f, "TEST", 1, "t").count("items", 3, 9, 0), "below min");
        FrameReader r = FrameReader.open(f, "TEST", 1, "t");
        int n = r.count("items", 0, 9, 5);
        assertThrows(MalformedFrameException.class, () -> r.blobs(n, "item", 2, 9), "length below the minimum");
        FrameReader r2 = FrameReader.open(Arrays.copyOf(f, f.length + 1), "TEST", 1, "t");
        r2.blobs(r2.count("items", 0, 9, 5), "item", 1, 1);
        assertThrows(MalformedFrameException.class, r2::end, "a trailing byte");
        for (int cut = 0; cut < f.length; cut++) {
            byte[] c = Arrays.copyOf(f, cut);
            assertThrows(MalformedFrameException.class, () -> {
                FrameReader t = FrameReader.open(c, "TEST", 1, "t");
                t.blobs(t.count("items", 0, 9, 5), "item", 1, 1);
                t.end();
            }, "truncated to " + cut);
        }
        byte[] badName = new FrameWriter("TEST", 1).u16(2).bytes(new byte[]{(byte) 0xC3, 0x28}).toByteArray();
        assertThrows(MalformedFrameException.class, () -> FrameReader.open(badName, "TEST", 1, "t").name());
        assertTrue(MalformedFrameException.class.getSuperclass() == CkksException.class, "every caller refusing CKKS errors refuses frames");
    }

    /** Coefficients of every width 12..61 bits pack and unpack; one not below q is an invalid object, not a framing error. */
    @Test
    void packedRoundTripForEveryWidth() {
        Random rnd = new Random(7);
        for (int bits = 12; bits <= 61; bits++) {
            long q = (1L << bits) - 1;
            long[] v = new long[2048];
            for (int j = 0; j < v.length; j++) v[j] = j < 4 ? q - 1 - j : Math.floorMod(rnd.nextLong(), q);
            byte[] f = new FrameWriter("TEST", 1).u8(3).packed(v, bits).toByteArray();
            assertEquals(6 + (v.length * bits + 7) / 8, f.length);
            FrameReader r = FrameReader.open(f, "TEST", 1, "t");
            r.u8();
            assertArrayEquals(v, r.packed(v.length, bits, q), "bits " + bits);
            r.end();
        }
        byte[] all = new FrameWriter("TEST", 1).toByteArray(5 + (16 * 20 + 7) / 8);
        Arrays.fill(all, 5, all.length, (byte) 0xff);
        CkksException e = assertThrows(CkksException.class, () -> FrameReader.open(all, "TEST", 1, "t").packed(16, 20, (1 << 20) - 3));
        assertFalse(e instanceof MalformedFrameException, e.toString());
        assertThrows(MalformedFrameException.class, () -> FrameReader.open(all, "TEST", 1, "t").packed(17, 20, 1 << 20), "cut short");
    }

    /** At a level with two limbs: the in-place difference of two seeded ciphertexts decrypts to the difference of their values. */
    @Test
    void seededDifferenceDecryptsToTheDifference() {
        CkksParameters p = CkksParameters.defaultPreset();
        SecretKey sk = new KeyGenerator(p).secretKey();
        Encoder enc = new Encoder(p);
        Encryptor encryptor = new Encryptor(p);
        int level = 1;
        double scale = 0x1p30;
        double[] a = new double[p.slots()], b = new double[p.slots()];
        Random r = new Random(3);
        for (int i = 0; i < a.length; i++) {
            a[i] = r.nextDouble() * 2 - 1;
            b[i] = r.nextDouble() * 2 - 1;
        }
        SeededCiphertexts records = new SeededCiphertexts(p, level, scale);
        byte[] ca = Serializer.writeCiphertext(encryptor.encryptSymmetric(enc.encode(a, scale, level), sk), p);
        byte[] cb = Serializer.writeCiphertext(encryptor.encryptSymmetric(enc.encode(b, scale, level), sk), p);
        assertEquals(records.ciphertextBytes(), ca.length);
        // records sit inside larger frames: shift them by 3 bytes
        byte[] blobA = new byte[3 + ca.length], blobB = new byte[3 + cb.length], out = new byte[5 + records.differenceBytes()];
        System.arraycopy(ca, 0, blobA, 3, ca.length);
        System.arraycopy(cb, 0, blobB, 3, cb.length);
        assertEquals(SeededCiphertexts.Problem.NONE, records.check(blobA, 3));
        records.subtract(blobA, 3, blobB, 3, out, 5);
        Ciphertext d = records.difference(out, 5);
        assertEquals(level, d.level());
        double[] got = new Decryptor(p, sk).decrypt(d);
        for (int i = 0; i < a.length; i++) assertEquals(a[i] - b[i], got[i], 1e-4, "slot " + i);

        assertEquals(SeededCiphertexts.Problem.NOT_A_CIPHERTEXT, records.check(blobA, 2));
        assertEquals(SeededCiphertexts.Problem.NOT_A_CIPHERTEXT, records.check(blobA, 4), "cut short");
        assertEquals(SeededCiphertexts.Problem.OTHER_SCALE, new SeededCiphertexts(p, level, 0x1p31).check(blobA, 3));
        assertEquals(SeededCiphertexts.Problem.NOT_FRESH_SEEDED, new SeededCiphertexts(p, 0, scale).check(blobA, 3));
        byte[] unseeded = Serializer.writeCiphertext(encryptor.encryptSymmetric(enc.encode(a, scale, level), sk), p, false);
        assertEquals(SeededCiphertexts.Problem.NOT_FRESH_SEEDED, records.check(Arrays.copyOf(unseeded, ca.length), 0));
        CkksParameters other = CkksParameters.create(8192, new int[]{60, 40, 40, 60}, 0x1p40);
        assertEquals(SeededCiphertexts.Problem.NONE, new SeededCiphertexts(other, level, scale).check(blobA, 3), "same primes: same fingerprint");
        CkksParameters noSpecial = CkksParameters.create(8192, new int[]{60, 40, 40}, 0x1p40, false); // same limb sizes, other fingerprint
        assertEquals(SeededCiphertexts.Problem.OTHER_PARAMETERS, new SeededCiphertexts(noSpecial, level, scale).check(blobA, 3));
        // a coefficient not below its modulus is refused by both sides
        byte[] high = blobA.clone();
        Arrays.fill(high, 3 + 64, 3 + 64 + 16, (byte) 0xFF);
        assertThrows(CkksException.class, () -> records.subtract(high, 3, blobB, 3, out, 5));
        byte[] highDiff = out.clone();
        Arrays.fill(highDiff, 5 + 64, 5 + 64 + 16, (byte) 0xFF);
        assertThrows(CkksException.class, () -> records.difference(highDiff, 5));
        assertThrows(MalformedFrameException.class, () -> records.difference(out, 6), "cut short");
    }
}
