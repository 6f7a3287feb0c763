package io.picrypt.match;

import io.picrypt.ckks.Ciphertext;
import io.picrypt.ckks.CkksException;
import io.picrypt.ckks.CkksParameters;
import io.picrypt.ckks.Serializer;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The server's answer to a 1:N probe: "PCGR" v1 | blocks(u32) | per block: live bitmap (BLOCK_CAPACITY/8 bytes,
 * bit s = slot s holds a live identity) | one relinearized 2-component level-0 ciphertext whose
 * coefficient position(s) is the encrypted inner product with slot s. Every length is fixed by the parameters and checked
 * before anything is allocated.
 */
public final class GalleryResult {
    private static final byte[] MAGIC = {'P', 'C', 'G', 'R'};
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

    public static byte[] write(List<byte[]> bitmaps, List<Ciphertext> cts, CkksParameters p) {
        if (bitmaps.size() != cts.size()) throw new IllegalArgumentException("one bitmap per ciphertext");
        long each = bitmapBytes() + ciphertextBytes(p);
        ByteBuffer b = ByteBuffer.allocate(Math.toIntExact(9 + each * cts.size()));
        b.put(MAGIC).put((byte) 1).putInt(cts.size());
        for (int i = 0; i < cts.size(); i++) {
            Ciphertext ct = cts.get(i);
            if (ct.size() != 2 || ct.level() != 0) throw new IllegalArgumentException("results are 2-component level-0 ciphertexts");
            if (bitmaps.get(i).length != bitmapBytes()) throw new IllegalArgumentException("bad bitmap length");
            b.put(bitmaps.get(i)).put(Serializer.writeCiphertext(ct, p, false));
        }
        return b.array();
    }

    public static Contents read(byte[] bytes, CkksParameters p) {
        if (bytes == null || bytes.length < 9 || !Arrays.equals(Arrays.copyOf(bytes, 4), MAGIC) || bytes[4] != 1) {
            throw new CkksException("not a PiCrypt gallery result");
        }
        ByteBuffer b = ByteBuffer.wrap(bytes, 5, bytes.length - 5);
        int count = b.getInt();
        // 0 blocks: the answer of an empty gallery
        if (count < 0 || count > MAX_BLOCKS) throw new CkksException("bad gallery result block count " + count);
        int ctBytes = Math.toIntExact(ciphertextBytes(p));
        long each = bitmapBytes() + (long) ctBytes;
        if (b.remaining() != each * count) throw new CkksException("gallery result is " + bytes.length + " bytes, expected " + (9 + each * count) + " for " + count + " blocks");
        List<BlockResult> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            byte[] bitmap = new byte[bitmapBytes()];
            b.get(bitmap);
            byte[] ct = new byte[ctBytes];
            b.get(ct);
            Ciphertext c = Serializer.readCiphertext(ct, p);
            if (c.size() != 2 || c.level() != 0) throw new CkksException("gallery result ciphertext must be 2-component at level 0");
            out.add(new BlockResult(bitmap, c));
        }
        return new Contents(out);
    }

    /** One complete single-block PCGR result per block of {@code bytes}, in order (framing checked, ciphertexts not parsed). */
    public static List<byte[]> split(byte[] bytes) {
        if (bytes == null || bytes.length < 9 || !Arrays.equals(Arrays.copyOf(bytes, 4), MAGIC) || bytes[4] != 1) {
            throw new CkksException("not a PiCrypt gallery result");
        }
        int count = ByteBuffer.wrap(bytes, 5, 4).getInt();
        long each = bitmapBytes() + ciphertextBytes(GalleryParameters.get());
        if (count < 0 || count > MAX_BLOCKS || bytes.length - 9 != each * count) throw new CkksException("gallery result has a bad length for " + count + " blocks");
        List<byte[]> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            ByteBuffer one = ByteBuffer.allocate(Math.toIntExact(9 + each));
            one.put(MAGIC).put((byte) 1).putInt(1).put(bytes, Math.toIntExact(9 + i * each), (int) each);
            out.add(one.array());
        }
        return out;
    }

    /** The inverse of {@link #split}: one PCGR result holding the blocks of every part, in order (none: a 0-block result). */
    public static byte[] join(List<byte[]> parts) {
        long each = bitmapBytes() + ciphertextBytes(GalleryParameters.get());
        int count = 0;
        for (byte[] p : parts) {
            if (p.length < 9 || !Arrays.equals(Arrays.copyOf(p, 4), MAGIC) || p[4] != 1) throw new CkksException("not a PiCrypt gallery result");
            int c = ByteBuffer.wrap(p, 5, 4).getInt();
            if (c < 0 || p.length - 9 != each * c) throw new CkksException("gallery result has a bad length");
            count += c;
        }
        ByteBuffer b = ByteBuffer.allocate(Math.toIntExact(9 + each * count));
        b.put(MAGIC).put((byte) 1).putInt(count);
        for (byte[] p : parts) b.put(p, 9, p.length - 9);
        return b.array();
    }
}
