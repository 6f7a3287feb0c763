package io.picrypt.imagediff;

import io.picrypt.ckks.CkksException;
import io.picrypt.imagediff.ImageDiffException.Reason;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

class ImageDiffTest {
    static final Random rnd = new Random(6);
    static ImageDiffParameters params;
    static ImageDiffKeyOwner owner;
    static ImageDiffEvaluator evaluator;

    @BeforeAll
    static void setUp() {
        params = ImageDiffParameters.standard();
        owner = ImageDiffKeyOwner.withNewKey(params);
        evaluator = new ImageDiffEvaluator(params, 1_000_000);
    }

    static RawImage random(int w, int h, int c) {
        byte[] s = new byte[w * h * c];
        rnd.nextBytes(s);
        return new RawImage(w, h, c, s);
    }

    static RawImage constant(int w, int h, int c, int v) {
        byte[] s = new byte[w * h * c];
        Arrays.fill(s, (byte) v);
        return new RawImage(w, h, c, s);
    }

    static DiffImage encryptedDiff(RawImage before, RawImage after) {
        return owner.decrypt(evaluator.subtract(owner.encrypt(before), owner.encrypt(after)));
    }

    static void assertExact(RawImage before, RawImage after) {
        DiffImage expected = DiffImage.plain(before, after);
        DiffImage got = encryptedDiff(before, after);
        for (int i = 0; i < expected.values().length; i++) {
            if (expected.value(i) != got.value(i)) fail("sample " + i + ": expected " + expected.value(i) + ", got " + got.value(i));
        }
        assertEquals(expected, got);
    }

    @Test
    void parametersAreTheDocumentedOnes() {
        assertEquals(2048, params.n());
        assertEquals(52, params.primeBits());
        assertEquals(5, params.digits());
        assertEquals(10240, params.samplesPerCiphertext());
        assertFalse(params.ckks().hasSpecialPrime());
        assertEquals(0, params.ckks().maxLevel());
    }

    @Test
    void exactOnRandomGreyAndRgbOfOddSizes() {
        assertExact(random(37, 23, 1), random(37, 23, 1));
        assertExact(random(37, 23, 3), random(37, 23, 3));
        assertExact(random(1, 1, 1), random(1, 1, 1));
        // 10240 grey samples fill one ciphertext exactly; one more needs a second
        assertExact(random(128, 80, 1), random(128, 80, 1));
        assertExact(random(10241, 1, 1), random(10241, 1, 1));
        assertExact(random(101, 67, 3), random(101, 67, 3));
    }

    @Test
    void exactAtTheExtremes() {
        // every difference +255 and -255, the digit range limits
        assertExact(constant(41, 29, 3, 0), constant(41, 29, 3, 255));
        assertExact(constant(41, 29, 3, 255), constant(41, 29, 3, 0));
        assertExact(constant(41, 29, 1, 128), constant(41, 29, 1, 128));
        // alternating signs inside each packed coefficient
        byte[] a = new byte[3 * 50 * 7], b = new byte[a.length];
        for (int i = 0; i < a.length; i++) {
            a[i] = (byte) (i % 2 == 0 ? 255 : 0);
            b[i] = (byte) (i % 2 == 0 ? 0 : 255);
        }
        assertExact(new RawImage(50, 7, 3, a), new RawImage(50, 7, 3, b));
    }

    @Test
    void exactOnTheSyntheticDemoPair() {
        SyntheticPair pair = SyntheticPair.generate();
        DiffImage plain = DiffImage.plain(pair.before(), pair.after());
        assertTrue(plain.changedPixels() > 0, "the object must move");
        DiffImage got = encryptedDiff(pair.before(), pair.after());
        assertEquals(plain, got);
        // the object shows twice: its old and its new centre changed, a background corner did not
        assertNotEquals(0, got.value(pair.centreX0(), pair.centreY0(), 1));
        assertNotEquals(0, got.value(pair.centreX1(), pair.centreY1(), 1));
        assertEquals(0, got.value(0, 0, 0));
        assertEquals(0, got.value(pair.before().width() - 1, pair.before().height() - 1, 2));
    }

    @Test
    void syntheticPairIsDeterministic() {
        SyntheticPair a = SyntheticPair.generate(64, 48, 3), b = SyntheticPair.generate(64, 48, 3);
        assertArrayEquals(a.before().samples(), b.before().samples());
        assertArrayEquals(a.after().samples(), b.after().samples());
        assertFalse(Arrays.equals(a.before().samples(), SyntheticPair.generate(64, 48, 4).before().samples()));
        assertTrue(a.displacement() > 2 * a.radius(), "object positions must not overlap");
    }

    @Test
    void oneEncryptedImageDecryptsToItself() {
        RawImage img = random(37, 23, 3);
        assertArrayEquals(img.samples(), owner.decryptImage(owner.encrypt(img)).samples());
    }

    @Test
    void encryptionIsRandomized() {
        RawImage img = random(20, 20, 1);
        assertFalse(Arrays.equals(owner.encrypt(img), owner.encrypt(img)));
    }

    @Test
    void headersDescribeTheImage() {
        byte[] blob = owner.encrypt(random(37, 23, 3));
        ImageBlobs.Header h = evaluator.inspect(blob);
        assertEquals(new ImageBlobs.Header("PCIM", 37, 23, 3, 1), h);
        assertEquals(ImageBlobs.HEADER_BYTES + ImageBlobs.imageRecordBytes(params), blob.length);
        assertEquals("PCIM", new String(blob, 0, 4, java.nio.charset.StandardCharsets.US_ASCII));
        byte[] diff = evaluator.subtract(blob, owner.encrypt(random(37, 23, 3)));
        assertEquals(ImageBlobs.HEADER_BYTES + ImageBlobs.diffRecordBytes(params), diff.length);
        // the difference is half the size of the pair's first image's ciphertext pair: (c0, two seeds)
        assertTrue(diff.length < blob.length + 64);
    }

    @Test
    void upload1280x720PairFitsTheBudget() {
        // arithmetic of the format, no encryption: 2 x header + count x record
        long samples = 1280L * 720 * 3;
        long perImage = ImageBlobs.HEADER_BYTES + params.ciphertextCount(samples) * ImageBlobs.imageRecordBytes(params);
        assertTrue(2 * perImage <= 40L << 20, "pair upload " + 2 * perImage);
    }

    // ---------------------------------------------------------------- rejections

    static Reason reasonOf(Runnable r) {
        ImageDiffException e = assertThrows(ImageDiffException.class, r::run);
        assertNotNull(e.getMessage());
        return e.reason();
    }

    @Test
    void rejectsGarbageTruncatedAndPaddedBlobs() {
        byte[] good = owner.encrypt(random(37, 23, 1));
        byte[] garbage = new byte[good.length];
        rnd.nextBytes(garbage);
        assertEquals(Reason.MALFORMED, reasonOf(() -> evaluator.subtract(garbage, good)));
        assertEquals(Reason.MALFORMED, reasonOf(() -> evaluator.subtract(good, new byte[0])));
        assertEquals(Reason.MALFORMED, reasonOf(() -> evaluator.subtract(good, null)));
        assertEquals(Reason.MALFORMED, reasonOf(() -> evaluator.subtract(Arrays.copyOf(good, good.length - 1), good)));
        assertEquals(Reason.MALFORMED, reasonOf(() -> evaluator.subtract(good, Arrays.copyOf(good, good.length + 1))));
        assertEquals(Reason.MALFORMED, reasonOf(() -> evaluator.subtract(Arrays.copyOf(good, 20), good)));
        byte[] version = good.clone();
        version[4] = 9;
        assertEquals(Reason.MALFORMED, reasonOf(() -> evaluator.subtract(version, good)));
        // a PCID where a PCIM belongs and vice versa
        byte[] diff = evaluator.subtract(good, good);
        assertEquals(Reason.MALFORMED, reasonOf(() -> evaluator.subtract(diff, good)));
        assertEquals(Reason.MALFORMED, reasonOf(() -> owner.decrypt(good)));
        assertEquals(Reason.MALFORMED, reasonOf(() -> owner.decrypt(Arrays.copyOf(diff, diff.length - 1))));
    }

    @Test
    void rejectsCoefficientsAboveTheModulus() {
        byte[] good = owner.encrypt(random(37, 23, 1));
        byte[] bad = good.clone();
        // the c0 limb starts after the 34-byte header, the 32-byte PCCT header and the 32-byte seed
        Arrays.fill(bad, ImageBlobs.HEADER_BYTES + 64, ImageBlobs.HEADER_BYTES + 64 + 14, (byte) 0xff);
        assertEquals(Reason.MALFORMED, reasonOf(() -> evaluator.subtract(good, bad)));
        byte[] diff = evaluator.subtract(good, good);
        byte[] badDiff = diff.clone();
        Arrays.fill(badDiff, ImageBlobs.HEADER_BYTES + 64, ImageBlobs.HEADER_BYTES + 64 + 14, (byte) 0xff);
        assertEquals(Reason.MALFORMED, reasonOf(() -> owner.decrypt(badDiff)));
    }

    @Test
    void rejectsMismatchedSizes() {
        byte[] a = owner.encrypt(random(37, 23, 1));
        assertEquals(Reason.SIZE_MISMATCH, reasonOf(() -> evaluator.subtract(a, owner.encrypt(random(23, 37, 1)))));
        assertEquals(Reason.SIZE_MISMATCH, reasonOf(() -> evaluator.subtract(a, owner.encrypt(random(37, 23, 3)))));
        assertEquals(Reason.SIZE_MISMATCH, reasonOf(() -> evaluator.subtract(a, owner.encrypt(random(38, 23, 1)))));
        assertEquals(Reason.SIZE_MISMATCH, reasonOf(() -> DiffImage.plain(random(2, 2, 1), random(2, 3, 1))));
    }

    @Test
    void rejectsOtherParameters() {
        ImageDiffParameters other = ImageDiffParameters.of(4096, 53, 5);
        ImageDiffKeyOwner otherOwner = ImageDiffKeyOwner.withNewKey(other);
        RawImage img = random(37, 23, 1);
        byte[] foreign = otherOwner.encrypt(img);
        assertEquals(Reason.PARAMETER_MISMATCH, reasonOf(() -> evaluator.subtract(owner.encrypt(img), foreign)));
        // same header fingerprint, but a ciphertext record of other CKKS parameters inside
        byte[] good = owner.encrypt(img);
        byte[] spliced = good.clone();
        spliced[ImageBlobs.HEADER_BYTES + 5] ^= 1; // fingerprint of the inner PCCT
        assertEquals(Reason.PARAMETER_MISMATCH, reasonOf(() -> evaluator.subtract(good, spliced)));
        byte[] unseeded = good.clone();
        unseeded[ImageBlobs.HEADER_BYTES + 21] = 0; // flags: not seeded
        assertEquals(Reason.MALFORMED, reasonOf(() -> evaluator.subtract(unseeded, good)));
        byte[] level = good.clone();
        level[ImageBlobs.HEADER_BYTES + 23] = 1;
        assertEquals(Reason.MALFORMED, reasonOf(() -> evaluator.subtract(level, good)));
        byte[] scale = good.clone();
        ByteBuffer.wrap(scale, ImageBlobs.HEADER_BYTES + 24, 8).putDouble(256);
        assertEquals(Reason.PARAMETER_MISMATCH, reasonOf(() -> evaluator.subtract(good, scale)));
        byte[] magic = good.clone();
        magic[ImageBlobs.HEADER_BYTES] = 'X';
        assertEquals(Reason.MALFORMED, reasonOf(() -> evaluator.subtract(good, magic)));
        // the records are checked by ckks (SeededCiphertexts), which knows the ciphertext layout: the good one passes
        assertEquals(io.picrypt.ckks.SeededCiphertexts.Problem.NONE, params.records().check(good, ImageBlobs.HEADER_BYTES));
        byte[] diff = new ImageDiffEvaluator(other, 1000).subtract(foreign, otherOwner.encrypt(img));
        assertEquals(Reason.PARAMETER_MISMATCH, reasonOf(() -> owner.decrypt(diff)));
    }

    @Test
    void rejectsWrongCountsAndHostileHeaders() {
        byte[] good = owner.encrypt(random(37, 23, 1));
        assertEquals(Reason.COUNT_MISMATCH, reasonOf(() -> evaluator.subtract(good, withHeader(good, 37, 23, 1, 2))));
        assertEquals(Reason.COUNT_MISMATCH, reasonOf(() -> evaluator.subtract(good, withHeader(good, 37, 23, 1, 0))));
        assertEquals(Reason.COUNT_MISMATCH, reasonOf(() -> evaluator.subtract(good, withHeader(good, 370, 230, 1, 1))));
        // huge dimensions and counts are refused from the header alone (no allocation, no OOM)
        assertEquals(Reason.TOO_LARGE, reasonOf(() -> evaluator.subtract(good, withHeader(good, 1 << 30, 1 << 30, 3, -1))));
        assertEquals(Reason.TOO_LARGE, reasonOf(() -> evaluator.subtract(good, withHeader(good, 1001, 1000, 1, 98))));
        byte[] diff = evaluator.subtract(good, good);
        assertEquals(Reason.TOO_LARGE, reasonOf(() -> owner.decrypt(withHeader(diff, Integer.MAX_VALUE, Integer.MAX_VALUE, 3, -1))));
        assertEquals(Reason.MALFORMED, reasonOf(() -> evaluator.subtract(good, withHeader(good, -1, -1, 3, -1))));
        assertEquals(Reason.MALFORMED, reasonOf(() -> evaluator.subtract(good, withHeader(good, 37, 23, 2, 1))));
        assertEquals(Reason.MALFORMED, reasonOf(() -> evaluator.subtract(good, withHeader(good, 0, 23, 1, 1))));
        // a consistent header whose count needs more data than the blob has
        assertEquals(Reason.MALFORMED, reasonOf(() -> evaluator.subtract(good, withHeader(good, 1000, 100, 1, 10))));
    }

    static byte[] withHeader(byte[] blob, int w, int h, int c, int count) {
        byte[] out = blob.clone();
        ByteBuffer.wrap(out, 21, 13).putInt(w).putInt(h).put((byte) c).putInt(count);
        return out;
    }

    @Test
    void wrongKeyOrTamperingIsDetected() {
        RawImage a = random(37, 23, 3), b = random(37, 23, 3);
        byte[] diff = evaluator.subtract(owner.encrypt(a), owner.encrypt(b));
        ImageDiffKeyOwner stranger = ImageDiffKeyOwner.withNewKey(params);
        assertEquals(Reason.DECRYPTION_FAILED, reasonOf(() -> stranger.decrypt(diff)));
        byte[] swapped = diff.clone(); // seeds of after and before exchanged: c1 negated
        System.arraycopy(diff, ImageBlobs.HEADER_BYTES, swapped, ImageBlobs.HEADER_BYTES + 32, 32);
        System.arraycopy(diff, ImageBlobs.HEADER_BYTES + 32, swapped, ImageBlobs.HEADER_BYTES, 32);
        assertEquals(Reason.DECRYPTION_FAILED, reasonOf(() -> owner.decrypt(swapped)));
    }

    @Test
    void pixelLimitOnTheServer() {
        ImageDiffEvaluator small = new ImageDiffEvaluator(params, 100);
        byte[] blob = owner.encrypt(random(11, 10, 1));
        assertEquals(Reason.TOO_LARGE, reasonOf(() -> small.subtract(blob, blob)));
        byte[] ok = owner.encrypt(random(10, 10, 3));
        assertNotNull(small.subtract(ok, ok));
    }

    @Test
    void progressIsReportedInOrderUpToTheTotal() {
        List<long[]> calls = new ArrayList<>();
        RawImage img = random(300, 200, 3); // 180000 samples: 18 ciphertexts
        byte[] blob = owner.encrypt(img, (done, total) -> calls.add(new long[]{done, total}));
        long count = params.ciphertextCount(img.sampleCount());
        assertEquals(18, count);
        assertEquals(count + 1, calls.size());
        for (int i = 0; i < calls.size(); i++) assertArrayEquals(new long[]{i, count}, calls.get(i));
        List<long[]> dec = new ArrayList<>();
        owner.decrypt(evaluator.subtract(blob, blob), (done, total) -> dec.add(new long[]{done, total}));
        assertArrayEquals(new long[]{count, count}, dec.get(dec.size() - 1));
    }

    @Test
    void parameterChoicesAreChecked() {
        assertThrows(IllegalArgumentException.class, () -> ImageDiffParameters.of(2048, 51, 5)); // rounding could fail
        assertThrows(IllegalArgumentException.class, () -> ImageDiffParameters.of(4096, 61, 6)); // beyond a double
        assertThrows(CkksException.class, () -> ImageDiffParameters.of(1024, 52, 5));           // below 128-bit security
        assertThrows(IllegalArgumentException.class, () -> ImageDiffParameters.parse("2048:53"));
        ImageDiffParameters p = ImageDiffParameters.parse("1024:26:2");
        assertEquals(2048, p.samplesPerCiphertext());
        assertFalse(Arrays.equals(p.fingerprint(), params.fingerprint()));
        assertThrows(IllegalArgumentException.class, () -> new ImageDiffKeyOwner(p, owner.secretKey()));
    }

    @Test
    void otherLayoutsAreExactToo() {
        for (String layout : new String[]{"1024:20:1", "1024:26:2", "2048:44:4", "4096:60:5"}) {
            ImageDiffParameters p = ImageDiffParameters.parse(layout);
            ImageDiffKeyOwner c = ImageDiffKeyOwner.withNewKey(p);
            ImageDiffEvaluator s = new ImageDiffEvaluator(p, 10_000);
            RawImage a = random(37, 23, 3), b = random(37, 23, 3);
            assertEquals(DiffImage.plain(a, b), c.decrypt(s.subtract(c.encrypt(a), c.encrypt(b))), layout);
        }
    }
}
