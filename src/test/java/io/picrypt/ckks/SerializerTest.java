package io.picrypt.ckks;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

class SerializerTest {
    static CkksParameters p;
    static SecretKey sk;
    static KeyGenerator kg;
    static Encoder enc;
    static Encryptor encryptor;
    static Decryptor dec;

    @BeforeAll
    static void setUp() {
        p = CkksParameters.defaultPreset();
        kg = new KeyGenerator(p);
        sk = kg.secretKey();
        enc = new Encoder(p);
        encryptor = new Encryptor(p);
        dec = new Decryptor(p, sk);
    }

    static double[] values() {
        Random r = new Random(5);
        double[] v = new double[p.slots()];
        for (int i = 0; i < v.length; i++) v[i] = r.nextDouble() * 2 - 1;
        return v;
    }

    static void assertClose(double[] a, double[] b) {
        for (int i = 0; i < a.length; i++) assertEquals(a[i], b[i], 1e-6);
    }

    @Test
    void ciphertextRoundTripsFullAndSeededAndIsNoLargerThanSeal() {
        double[] v = values();
        Ciphertext pkCt = encryptor.encrypt(enc.encode(v, p.defaultScale()), kg.publicKey(sk));
        byte[] full = Serializer.writeCiphertext(pkCt, p);
        assertTrue(full.length <= 393_329, "fresh ciphertext " + full.length + " B (SEAL 393,329)");
        assertClose(v, dec.decrypt(Serializer.readCiphertext(full, p)));

        Ciphertext sym = encryptor.encryptSymmetric(enc.encode(v, p.defaultScale()), sk);
        byte[] seeded = Serializer.writeCiphertext(sym, p);
        assertTrue(seeded.length <= 196_802, "seeded ciphertext " + seeded.length + " B (SEAL 196,802)");
        assertTrue(seeded.length < full.length * 0.55);
        assertClose(v, dec.decrypt(Serializer.readCiphertext(seeded, p)));

        Evaluator ev = new Evaluator(p);
        Ciphertext three = ev.multiply(pkCt, pkCt);
        Ciphertext back = Serializer.readCiphertext(Serializer.writeCiphertext(three, p), p);
        assertEquals(3, back.size());
        assertArrayEquals(dec.decrypt(three), dec.decrypt(back), 0);
        Ciphertext low = ev.modSwitchTo(pkCt, 0);
        assertEquals(0, Serializer.readCiphertext(Serializer.writeCiphertext(low, p), p).level());
    }

    @Test
    void keysRoundTrip() {
        PublicKey pk = kg.publicKey(sk);
        PublicKey pk2 = Serializer.readPublicKey(Serializer.writePublicKey(pk), p);
        double[] v = values();
        assertClose(v, dec.decrypt(encryptor.encrypt(enc.encode(v, p.defaultScale()), pk2)));

        RelinKey rk = kg.relinKey(sk);
        byte[] rkBytes = Serializer.writeRelinKey(rk);
        assertTrue(rkBytes.length <= 787_078, "seeded relin key " + rkBytes.length + " B (SEAL seeded 787,078)");
        RelinKey rk2 = Serializer.readRelinKey(rkBytes, p);
        Evaluator ev = new Evaluator(p);
        Ciphertext c = encryptor.encrypt(enc.encode(v, p.defaultScale()), pk);
        double[] sq = new double[v.length];
        for (int i = 0; i < v.length; i++) sq[i] = v[i] * v[i];
        assertClose(sq, dec.decrypt(ev.rescale(ev.relinearize(ev.square(c), rk2))));

        GaloisKeys gk = kg.rotationKeys(sk, List.of(1, 2), false);
        GaloisKeys gk2 = Serializer.readGaloisKeys(Serializer.writeGaloisKeys(gk), p);
        assertEquals(gk.galoisElements(), gk2.galoisElements());
        double[] rot = new double[v.length];
        for (int i = 0; i < v.length; i++) rot[i] = v[(i + 2) % v.length];
        assertClose(rot, dec.decrypt(ev.rotate(c, 2, gk2)));

        SecretKey sk2 = Serializer.readSecretKey(Serializer.writeSecretKey(sk), p);
        assertClose(v, new Decryptor(p, sk2).decrypt(c));
        assertEquals(p, Serializer.readParameters(Serializer.writeParameters(p)));
    }

    @Test
    void corruptedTruncatedOversizedAndForeignInputsAreRejected() {
        Ciphertext c = encryptor.encryptSymmetric(enc.encode(values(), p.defaultScale()), sk);
        byte[] good = Serializer.writeCiphertext(c, p, false);
        assertThrows(CkksException.class, () -> Serializer.readCiphertext(new byte[0], p));
        assertThrows(CkksException.class, () -> Serializer.readCiphertext(Arrays.copyOf(good, good.length - 1), p));
        assertThrows(CkksException.class, () -> Serializer.readCiphertext(Arrays.copyOf(good, good.length + 100), p));
        byte[] badMagic = good.clone();
        badMagic[0] = 'X';
        assertThrows(CkksException.class, () -> Serializer.readCiphertext(badMagic, p));
        byte[] badVersion = good.clone();
        badVersion[4] = 9;
        assertThrows(CkksException.class, () -> Serializer.readCiphertext(badVersion, p));
        byte[] badLevel = good.clone();
        badLevel[5 + 16 + 2] = 7;
        assertThrows(CkksException.class, () -> Serializer.readCiphertext(badLevel, p));
        byte[] badSize = good.clone();
        badSize[5 + 16 + 1] = (byte) 200;
        assertThrows(CkksException.class, () -> Serializer.readCiphertext(badSize, p));
        byte[] overModulus = good.clone();
        for (int i = 0; i < 8; i++) overModulus[5 + 16 + 3 + 8 + i] = (byte) 0xff; // first coefficient >= q0
        assertThrows(CkksException.class, () -> Serializer.readCiphertext(overModulus, p));
        byte[] random = new byte[good.length];
        new Random(1).nextBytes(random);
        assertThrows(CkksException.class, () -> Serializer.readCiphertext(random, p));
        CkksParameters other = CkksParameters.create(4096, new int[]{40, 30, 38}, Math.pow(2, 30));
        assertThrows(CkksException.class, () -> Serializer.readCiphertext(good, other));
        assertThrows(CkksException.class, () -> Serializer.readRelinKey(good, p));
        byte[] gkHostile = Serializer.writeGaloisKeys(kg.rotationKeys(sk, List.of(1), false));
        gkHostile[5 + 16] = (byte) 0xff;
        gkHostile[5 + 16 + 1] = (byte) 0xff; // claims 65535 keys
        assertThrows(CkksException.class, () -> Serializer.readGaloisKeys(gkHostile, p));
    }
}
