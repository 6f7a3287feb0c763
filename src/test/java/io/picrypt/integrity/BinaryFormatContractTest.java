package io.picrypt.integrity;

import io.picrypt.ckks.CkksException;
import io.picrypt.ckks.KeyGenerator;
import io.picrypt.ckks.MalformedFrameException;
import io.picrypt.ckks.Serializer;
import io.picrypt.imagediff.DiffRequest;
import io.picrypt.imagediff.ImageDiffKeyOwner;
import io.picrypt.imagediff.ImageDiffException;
import io.picrypt.imagediff.ImageDiffParameters;
import io.picrypt.imagediff.ImageDiffEvaluator;
import io.picrypt.imagediff.RawImage;
import io.picrypt.match.BatchFrames;
import io.picrypt.match.GalleryKeyOwner;
import io.picrypt.match.GalleryCompaction;
import io.picrypt.match.GalleryFrames;
import io.picrypt.match.GalleryParameters;
import io.picrypt.match.GalleryResult;
import io.picrypt.match.GalleryEvaluator;
import io.picrypt.match.MatchKeyOwner;
import io.picrypt.match.MatchParameters;
import io.picrypt.match.MatchEvaluator;
import io.picrypt.match.ResultEnvelope;
import io.picrypt.match.SyntheticEmbeddings;
import io.picrypt.match.TemplateList;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.*;

/**
 * One contract over every binary format of the project, on both sides of the wire (the server's parsers of what
 * clients send, the client's parsers of what the server answers): the round trip parses; every truncation, one
 * trailing byte, a wrong magic, a wrong version and every count field off by one (and zero, and 2^31-1) are
 * refused with the format's own exception (CkksException / ImageDiffException), never an index or buffer error,
 * an OutOfMemoryError, or silently accepted. Each parser is the whole path its reader runs (e.g. an identify
 * answer: frame, envelope, ciphertexts, decryption and range checks).
 */
class BinaryFormatContractTest {
    /** A format: its bytes, the full parse, and the offsets of its u32/u16 count fields. */
    record Format(String name, byte[] bytes, Consumer<byte[]> parse, int[] u32Counts, int[] u16Counts) {}

    static final List<Format> formats = new ArrayList<>();
    /**
     * PCIM/PCID: the ciphertext count field (after magic, version, fingerprint, width, height, channels). Width and
     * height are metadata: a change that implies the same ciphertext count cannot be seen by a parser, only by
     * comparing with the request (not done by the image-difference client: see the issue 10 note).
     */
    static final int[] IMAGE_COUNT = {4 + 1 + 16 + 4 + 4 + 1};

    @BeforeAll
    static void build() {
        SplittableRandom r = new SplittableRandom(5);
        var mp = MatchParameters.get();
        var sk = MatchKeyOwner.generateSecretKey();
        MatchKeyOwner mc = new MatchKeyOwner(sk);
        MatchEvaluator ms = new MatchEvaluator();
        float[] y = SyntheticEmbeddings.unit(r), x = SyntheticEmbeddings.unit(r);
        byte[] template = mc.encryptTemplate(y), probe = mc.encryptProbe(x);
        formats.add(new Format("PCCT template (server parse)", template, ms::validate, new int[0], new int[0]));
        byte[] verify = ms.verify(List.of(template, mc.encryptTemplate(x)), probe);
        formats.add(new Format("PCMR verify answer (client parse)", verify, b -> mc.decryptVerify(b), new int[]{5, 9}, new int[0]));
        formats.add(new Format("PCSK secret key", Serializer.writeSecretKey(sk), b -> Serializer.readSecretKey(b, mp), new int[0], new int[0]));
        formats.add(new Format("PCPA parameters", Serializer.writeParameters(mp), Serializer::readParameters, new int[]{5}, new int[0]));
        // a name's stored templates as the key owner reads them back (gallery rebuild): the list, then every template decrypts
        formats.add(new Format("PCTL template list (client parse)", TemplateList.write(List.of(template, mc.encryptTemplate(x))), b -> {
            for (byte[] t : TemplateList.read(b)) mc.decryptTemplate(t);
        }, new int[]{5, 9}, new int[0]));

        var gp = GalleryParameters.get();
        var gsk = GalleryKeyOwner.generateSecretKey();
        // the 1:1 embeddings above serve the gallery too, projected with a (synthetic) gallery basis
        GalleryKeyOwner gc = new GalleryKeyOwner(gsk, io.picrypt.match.GalleryProjection.synthetic(1));
        byte[] evalKeys = gc.evaluationKeys();
        GalleryEvaluator gs = new GalleryEvaluator(evalKeys);
        List<float[]> people = new ArrayList<>();
        for (int i = 0; i < 3; i++) people.add(SyntheticEmbeddings.unit(r));
        byte[] bulk = gc.encryptBlock(people);
        // PCGI's identity count is the key owner's claim about columns the server cannot read: alone it is not checkable
        // (a larger count makes all-zero slots live, d^2 = 2 for them); PCGN binds it to the names, tested below
        formats.add(new Format("PCGI bulk block (server parse)", bulk, gs::importBlock, new int[0], new int[0]));
        formats.add(new Format("PCGN gallery import (server parse)", GalleryFrames.writeImport(List.of("a", "b", "c"), bulk), b -> {
            GalleryFrames.Import imp = GalleryFrames.readImport(b);
            if (gs.importBlock(imp.block()).liveCount() != imp.names().size()) throw new CkksException("names and block differ");
        }, new int[]{5}, new int[]{9}));
        GalleryEvaluator.Block block = gs.importBlock(bulk);
        formats.add(new Format("PCGS stored block (server parse)", block.toBytes(), gs::readBlock, new int[0], new int[0]));
        byte[] result = gs.identify(List.of(block), gc.encryptProbe(x));
        formats.add(new Format("PCGR gallery result (client parse)", result, b -> gc.decryptAllDistances(b), new int[]{5}, new int[0]));
        // the answer of an empty gallery: written and read as 0 blocks (the writer and the reader agree)
        formats.add(new Format("PCGR empty gallery result (client parse)", GalleryResult.write(List.of(), List.of(), gp), b -> {
            if (gc.decryptAllDistances(b).length != 0 || !GalleryResult.read(b, gp).blocks().isEmpty()) throw new CkksException("not empty");
        }, new int[]{5}, new int[0]));
        // v1 (full level-0 ciphertexts) of servers before the compact answer: still parsed, as strictly
        byte[] live = new byte[GalleryParameters.BLOCK_CAPACITY / 8];
        live[0] = 7;
        byte[] resultV1 = GalleryResult.writeVersion1(List.of(live),
                gs.resultCiphertexts(List.of(block), gs.expandProbe(gc.encryptProbe(x))), gp);
        formats.add(new Format("PCGR v1 gallery result (client parse)", resultV1, b -> gc.decryptAllDistances(b), new int[]{5}, new int[0]));
        byte[] answer = GalleryFrames.writeAnswer(List.of(0), List.of(new GalleryFrames.Entry(0, "a"), new GalleryFrames.Entry(1, "b"),
                new GalleryFrames.Entry(2, "c")), result);
        // v2: block count at 5, block numbers, entry count at 13, first name's length at 21; the client's parse is
        // GalleryKeyOwner.distances (live slots must be exactly the named ones)
        formats.add(new Format("PCGF gallery answer (client parse)", answer, b -> gc.distances(GalleryFrames.readAnswer(b)),
                new int[]{5, 13}, new int[]{21}));
        // a batch of gallery identifications (the one 1:N path): each request item is first parsed as a ciphertext of the
        // gallery parameters (the single route's first check), each answer item exactly as a single PCGF answer
        byte[] galleryProbe = gc.encryptProbe(x);
        formats.add(new Format("PCBQ batch request (server parse)", BatchFrames.writeRequest(List.of(new BatchFrames.Item(BatchFrames.GALLERY, galleryProbe),
                new BatchFrames.Item(BatchFrames.GALLERY, gc.encryptProbe(y)))), b -> {
            for (BatchFrames.Item i : BatchFrames.readRequest(b)) Serializer.readCiphertext(i.body(), gp);
        }, new int[]{8}, new int[]{5}));
        formats.add(new Format("PCBA batch answer (client parse)", BatchFrames.writeAnswer(List.of(new BatchFrames.Item(BatchFrames.GALLERY, answer))), b -> {
            for (BatchFrames.Item i : BatchFrames.readAnswer(b)) gc.distances(GalleryFrames.readAnswer(i.body()));
        }, new int[]{8}, new int[]{5}));
        // compaction (issue 14): a stored block with its live names as the key owner downloads it (parse: frame, then the
        // live slots decrypted and counted against the names), and the owner's request of fresh PCGN imports
        byte[] download = GalleryCompaction.writeDownload(List.of(new GalleryCompaction.Entry(0, "a"), new GalleryCompaction.Entry(1, "b"),
                new GalleryCompaction.Entry(2, "c")), block.toBytes());
        formats.add(new Format("PCGB compaction download (client parse)", download, b -> {
            GalleryCompaction.Download d = GalleryCompaction.readDownload(b);
            if (Arrays.stream(GalleryCompaction.decryptLive(gsk, d.block())).filter(v -> v != null).count() != d.entries().size()) {
                throw new CkksException("names and live slots differ");
            }
        }, new int[]{5}, new int[]{9, 11}));
        byte[] compactImport = GalleryFrames.writeImport(List.of("a", "b", "c"), bulk);
        formats.add(new Format("PCGC compaction request (server parse)", GalleryCompaction.writeCompact(1, List.of(compactImport, compactImport)), b -> {
            for (byte[] i : GalleryCompaction.readCompact(b).imports()) {
                GalleryFrames.Import imp = GalleryFrames.readImport(i);
                if (gs.importBlock(imp.block()).liveCount() != imp.names().size()) throw new CkksException("names and block differ");
            }
        }, new int[]{9, 13}, new int[0]));
        formats.add(new Format("PCGE evaluation keys (server parse)", evalKeys, b -> new GalleryEvaluator(b), new int[]{5}, new int[0]));
        formats.add(new Format("PCGK Galois keys", Serializer.writeGaloisKeys(new KeyGenerator(gp).galoisKeys(gsk, List.of(GalleryParameters.galoisElements().get(0)))),
                b -> Serializer.readGaloisKeys(b, gp), new int[0], new int[]{21}));
        formats.add(new Format("PCRK relinearization key", Serializer.writeRelinKey(new KeyGenerator(gp).relinKey(gsk)),
                b -> Serializer.readRelinKey(b, gp), new int[0], new int[0]));
        formats.add(new Format("PCPK public key", Serializer.writePublicKey(new KeyGenerator(gp).publicKey(gsk)),
                b -> Serializer.readPublicKey(b, gp), new int[0], new int[0]));

        ImageDiffParameters ip = ImageDiffParameters.standard();
        ImageDiffKeyOwner ic = ImageDiffKeyOwner.withNewKey(ip);
        ImageDiffEvaluator is = new ImageDiffEvaluator(ip, 1_000_000);
        byte[] pixels = new byte[6 * 5 * 3];
        for (int i = 0; i < pixels.length; i++) pixels[i] = (byte) r.nextInt(256);
        byte[] before = ic.encrypt(new RawImage(6, 5, 3, pixels)), after = ic.encrypt(new RawImage(6, 5, 3, pixels.clone()));
        formats.add(new Format("PCIM encrypted image (server parse)", before, b -> is.subtract(b, after), IMAGE_COUNT, new int[0]));
        formats.add(new Format("PCIM encrypted image (client parse)", before, ic::decryptImage, IMAGE_COUNT, new int[0]));
        formats.add(new Format("PCDR difference request (server parse)", DiffRequest.write(before, after), b -> {
            byte[][] pair = DiffRequest.read(b);
            is.subtract(pair[0], pair[1]);
        }, new int[]{5}, new int[0]));
        formats.add(new Format("PCID difference (client parse)", is.subtract(before, after), ic::decrypt,
                IMAGE_COUNT, new int[0]));
    }

    static void refused(Format f, byte[] b, String what) {
        refused(f, b, what, false);
    }

    /**
     * {@code frame}: the damage is to the framing (length, magic, version), so the error must be the framing kit's
     * MalformedFrameException (the server's 400 malformed_frame), or for the image formats, whose routes keep their
     * own codes, an ImageDiffException of reason MALFORMED caused by one.
     */
    static void refused(Format f, byte[] b, String what, boolean frame) {
        try {
            f.parse().accept(b);
        } catch (CkksException | ImageDiffException e) {
            if (frame && !isFrameError(e)) fail(f.name() + ", " + what + ": " + e + " instead of a malformed-frame error");
            return;
        } catch (Throwable t) {
            fail(f.name() + ", " + what + ": " + t + " instead of a format error");
        }
        fail(f.name() + ", " + what + ": accepted");
    }

    static boolean isFrameError(Throwable e) {
        return e instanceof MalformedFrameException
                || e instanceof ImageDiffException d && d.reason() == ImageDiffException.Reason.MALFORMED && d.getCause() instanceof MalformedFrameException;
    }

    /**
     * Every length for formats up to 160 KiB (every wire answer of one verify, identify or gallery block, every
     * template, probe and image here). Multi-megabyte ones (evaluation keys, whole blocks), whose parsers validate
     * megabytes before they reach a cut near the end: every length in the first 1 KiB (all headers and counts),
     * the last 16 bytes, and 40 evenly spaced lengths between.
     */
    static int[] truncations(int length) {
        if (length <= 160 << 10) return java.util.stream.IntStream.range(0, length).toArray();
        java.util.TreeSet<Integer> n = new java.util.TreeSet<>();
        for (int i = 0; i < 1024; i++) n.add(i);
        for (int i = length - 16; i < length; i++) n.add(i);
        for (int k = 1; k < 40; k++) n.add((int) ((long) length * k / 40));
        return n.stream().mapToInt(Integer::intValue).toArray();
    }

    @TestFactory
    List<DynamicTest> everyFormat() {
        List<DynamicTest> tests = new ArrayList<>();
        for (Format f : formats) {
            tests.add(DynamicTest.dynamicTest(f.name(), () -> {
                f.parse().accept(f.bytes()); // round trip
                byte[] b = f.bytes();
                for (int n : truncations(b.length)) refused(f, Arrays.copyOf(b, n), "truncated to " + n + " of " + b.length + " bytes", true);
                refused(f, Arrays.copyOf(b, b.length + 1), "one trailing byte", true);
                byte[] m = b.clone();
                m[0] ^= 0x20;
                refused(f, m, "wrong magic", true);
                m = b.clone();
                m[4] = (byte) (m[4] + 1);
                refused(f, m, "version " + (b[4] + 1) + " (one above this format's)", true);
                for (int at : f.u32Counts()) {
                    int v = ByteBuffer.wrap(b, at, 4).getInt();
                    for (int w : new int[]{v + 1, v - 1, 0, Integer.MAX_VALUE, -1}) {
                        if (w == v) continue;
                        byte[] c = b.clone();
                        ByteBuffer.wrap(c, at, 4).putInt(w);
                        refused(f, c, "u32 count at " + at + " = " + w + " (was " + v + ")");
                    }
                }
                for (int at : f.u16Counts()) {
                    int v = Short.toUnsignedInt(ByteBuffer.wrap(b, at, 2).getShort());
                    for (int w : new int[]{v + 1, v - 1, 0, 0xFFFF}) {
                        if (w == v || w < 0) continue;
                        byte[] c = b.clone();
                        ByteBuffer.wrap(c, at, 2).putShort((short) w);
                        refused(f, c, "u16 count at " + at + " = " + w + " (was " + v + ")");
                    }
                }
            }));
        }
        return tests;
    }

    /**
     * Names are strict UTF-8 in every frame that carries them: an invalid byte, an overlong encoding, an encoded
     * surrogate and an empty name are refused as malformed frames (never decoded with replacement characters).
     */
    @TestFactory
    List<DynamicTest> namesAreStrictUtf8() {
        byte[] result = formats.stream().filter(f -> f.name().startsWith("PCGR empty")).findFirst().orElseThrow().bytes();
        record Framed(String name, java.util.function.Function<String, byte[]> write, int nameAt, Consumer<byte[]> parse) {}
        List<Framed> frames = List.of(
                new Framed("PCGN", n -> GalleryFrames.writeImport(List.of(n), new byte[]{1}), 9, GalleryFrames::readImport),
                new Framed("PCGF", n -> GalleryFrames.writeAnswer(List.of(0), List.of(new GalleryFrames.Entry(0, n)), result), 21,
                        GalleryFrames::readAnswer));
        byte[][] bad = {{(byte) 0xFF, 'a', 'b'}, {(byte) 0xC0, (byte) 0x80, 'a'}, {(byte) 0xED, (byte) 0xA0, (byte) 0x80}};
        List<DynamicTest> tests = new ArrayList<>();
        for (Framed fr : frames) {
            tests.add(DynamicTest.dynamicTest(fr.name(), () -> {
                byte[] good = fr.write().apply("abc");
                fr.parse().accept(good);
                assertEquals(3, ByteBuffer.wrap(good, fr.nameAt(), 2).getShort(), "the name's length field is where the test expects it");
                for (byte[] b : bad) {
                    byte[] c = good.clone();
                    System.arraycopy(b, 0, c, fr.nameAt() + 2, 3);
                    assertThrows(MalformedFrameException.class, () -> fr.parse().accept(c), fr.name() + " with name bytes " + Arrays.toString(b));
                }
                byte[] empty = good.clone();
                ByteBuffer.wrap(empty, fr.nameAt(), 2).putShort((short) 0);
                assertThrows(MalformedFrameException.class, () -> fr.parse().accept(empty), fr.name() + " with an empty name");
                assertThrows(IllegalArgumentException.class, () -> fr.write().apply(""), "the writer refuses what the reader refuses");
            }));
        }
        return tests;
    }
}
