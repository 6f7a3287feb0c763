package io.picrypt.match;

import io.picrypt.ckks.Ciphertext;
import io.picrypt.ckks.CkksException;
import io.picrypt.ckks.CkksParameters;
import io.picrypt.ckks.FrameReader;
import io.picrypt.ckks.FrameWriter;
import io.picrypt.ckks.Serializer;

import java.util.ArrayList;
import java.util.List;

/**
 * The server's answer to a 1:N probe: "PCGR" v1 | blocks(u32) | per block: live bitmap (BLOCK_CAPACITY/8 bytes,
 * bit s = slot s holds a live identity) | one relinearized 2-component level-0 ciphertext whose
 * coefficient position(s) is the encrypted inner product with slot s. Every length is fixed by the parameters and checked
 * before anything is allocated.
 */
public final class GalleryResult {
    private static final String MAGIC = "PCGR";
    /** 2^20 blocks = 8.6 G identities: far above any gallery, low enough to refuse absurd counts. */
    static final int MAX_BLOCKS = 1 << 20;

    private GalleryResult() {}

    public record BlockResult(byte[] liveBitmap, Ciphertext ciphertext) {
        public boolean live(int slot) {
            return (liveBitmap[slot >>> 3] >>> (slot & 7) & 1) != 0;
        }
    }

    public record Contents(List<BlockResult> blocks) {}

    static int bitmapBytes() { return GalleryParameters.BLOCK_CAPACITY / 8; }

    static long ciphertextBytes(CkksParameters p) { return Serializer.ciphertextBytes(p, 2, 0, false); }

    /** A result of one block per ciphertext (none: the answer of an empty gallery, which {@link #read} accepts too). */
    public static byte[] write(List<byte[]> bitmaps, List<Ciphertext> cts, CkksParameters p) {
        if (bitmaps.size() != cts.size()) throw new IllegalArgumentException("one bitmap per ciphertext");
        if (cts.size() > MAX_BLOCKS) throw new IllegalArgumentException("at most " + MAX_BLOCKS + " blocks in one result");
        FrameWriter w = new FrameWriter(MAGIC, 1, 9 + blockBytes(p) * cts.size()).u32(cts.size());
        for (int i = 0; i < cts.size(); i++) {
            Ciphertext ct = cts.get(i);
            if (ct.size() != 2 || ct.level() != 0) throw new IllegalArgumentException("results are 2-component level-0 ciphertexts");
            if (bitmaps.get(i).length != bitmapBytes()) throw new IllegalArgumentException("bad bitmap length");
            w.bytes(bitmaps.get(i)).bytes(Serializer.writeCiphertext(ct, p, false));
        }
        return w.toByteArray();
    }

    /** @throws io.picrypt.ckks.MalformedFrameException on bad framing or length; CkksException for an invalid ciphertext */
    public static Contents read(byte[] bytes, CkksParameters p) {
        FrameReader r = open(bytes, p);
        int count = Math.toIntExact(r.remaining() / blockBytes(p)); // exact: checked by open
        int ctBytes = Math.toIntExact(ciphertextBytes(p));
        List<BlockResult> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            byte[] bitmap = r.bytes(bitmapBytes());
            Ciphertext c = Serializer.readCiphertext(r.bytes(ctBytes), p);
            if (c.size() != 2 || c.level() != 0) throw new CkksException("gallery result ciphertext must be 2-component at level 0");
            out.add(new BlockResult(bitmap, c));
        }
        r.end();
        return new Contents(out);
    }

    /** One complete single-block PCGR result per block of {@code bytes}, in order (framing checked, ciphertexts not parsed). */
    public static List<byte[]> split(byte[] bytes) {
        CkksParameters p = GalleryParameters.get();
        FrameReader r = open(bytes, p);
        List<byte[]> out = new ArrayList<>();
        while (r.remaining() > 0) out.add(new FrameWriter(MAGIC, 1, 9 + blockBytes(p)).u32(1).bytes(r.bytes(Math.toIntExact(blockBytes(p)))).toByteArray());
        return out;
    }

    /** The inverse of {@link #split}: one PCGR result holding the blocks of every part, in order (none: a 0-block result). */
    public static byte[] join(List<byte[]> parts) {
        CkksParameters p = GalleryParameters.get();
        List<FrameReader> readers = parts.stream().map(b -> open(b, p)).toList();
        long count = readers.stream().mapToLong(r -> r.remaining() / blockBytes(p)).sum();
        if (count > MAX_BLOCKS) throw new IllegalArgumentException("at most " + MAX_BLOCKS + " blocks in one result");
        FrameWriter w = new FrameWriter(MAGIC, 1, 9 + blockBytes(p) * count).u32(count);
        for (FrameReader r : readers) w.bytes(r.rest());
        return w.toByteArray();
    }

    private static long blockBytes(CkksParameters p) { return bitmapBytes() + ciphertextBytes(p); }

    /** Checks magic, version, the block count (0..MAX_BLOCKS) and that exactly that many blocks follow. */
    private static FrameReader open(byte[] bytes, CkksParameters p) {
        FrameReader r = FrameReader.open(bytes, MAGIC, 1, "gallery result");
        long each = blockBytes(p);
        int count = r.count("block count", 0, MAX_BLOCKS, each);
        r.exactly(each * count, count + " blocks");
        return r;
    }
}
