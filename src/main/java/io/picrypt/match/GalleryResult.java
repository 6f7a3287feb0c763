package io.picrypt.match;

import io.picrypt.ckks.Ciphertext;
import io.picrypt.ckks.CkksException;
import io.picrypt.ckks.CkksParameters;
import io.picrypt.ckks.CompactCiphertext;
import io.picrypt.ckks.Serializer;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;

/**
 * The server's answer to a 1:N probe: "PCGR" v2 | blocks(u32) | per block: live bitmap (BLOCK_CAPACITY/8 bytes,
 * bit s = slot s holds a live identity) | the block's relinearized level-0 result switched down to a
 * {@link CompactCiphertext}: c1 as N values of RESULT_LOG_T1 bits, then c0 at the BLOCK_CAPACITY distance positions
 * (slot order) as RESULT_LOG_T0-bit values (see {@link GalleryParameters#RESULT_LOG_T1}). 34,048 bytes per block of
 * 2,048 identities.
 *
 * <p>Version 1 (servers before issue 16 part 2; still read): per block the bitmap and one full 2-component level-0
 * ciphertext (118,816 bytes). Every length is fixed by the parameters and the version and checked before anything is
 * allocated; a result holds blocks of one version only.
 */
public final class GalleryResult {
    private static final byte[] MAGIC = {'P', 'C', 'G', 'R'};
    /** The version {@link #write} produces. */
    static final int VERSION = 2;
    /** 2^20 blocks = 8.6 G identities: far above any gallery, low enough to refuse absurd counts. */
    static final int MAX_BLOCKS = 1 << 20;

    private GalleryResult() {}

    /** One block's answer: the live bitmap and either a v1 ciphertext or a v2 compact ciphertext (the other is null). */
    public record BlockResult(byte[] liveBitmap, Ciphertext ciphertext, CompactCiphertext compact) {
        public BlockResult {
            if ((ciphertext == null) == (compact == null)) throw new IllegalArgumentException("exactly one of ciphertext, compact");
        }

        public boolean live(int slot) {
            return (liveBitmap[slot >>> 3] >>> (slot & 7) & 1) != 0;
        }
    }

    public record Contents(int version, List<BlockResult> blocks) {}

    static int bitmapBytes() { return GalleryParameters.BLOCK_CAPACITY / 8; }

    static long ciphertextBytes(CkksParameters p) { return Serializer.ciphertextBytes(p, 2, 0, false); }

    static long compactBytes() {
        return CompactCiphertext.bytes(GalleryParameters.N, GalleryParameters.BLOCK_CAPACITY, GalleryParameters.RESULT_LOG_T0,
                GalleryParameters.RESULT_LOG_T1);
    }

    /** Bytes per block (bitmap and ciphertext) of a result of the given version. */
    static long blockBytes(int version) {
        return bitmapBytes() + (version == 1 ? ciphertextBytes(GalleryParameters.get()) : compactBytes());
    }

    /** Bytes of a current-version result over {@code blocks} blocks. */
    public static long resultBytes(int blocks) { return 9 + blockBytes(VERSION) * blocks; }

    /**
     * A v2 result: each 2-component level-0 result ciphertext (at RESULT_SCALE) switched down to its compact form, on
     * all cores.
     */
    public static byte[] write(List<byte[]> bitmaps, List<Ciphertext> cts, CkksParameters p) {
        check(bitmaps, cts);
        int[] positions = GalleryParameters.distancePositions();
        CompactCiphertext[] compact = new CompactCiphertext[cts.size()];
        IntStream.range(0, cts.size()).parallel().forEach(i -> compact[i] = CompactCiphertext.switchDown(cts.get(i), p, positions,
                GalleryParameters.RESULT_LOG_T0, GalleryParameters.RESULT_LOG_T1));
        ByteBuffer b = ByteBuffer.allocate(Math.toIntExact(resultBytes(cts.size())));
        b.put(MAGIC).put((byte) VERSION).putInt(cts.size());
        for (int i = 0; i < cts.size(); i++) {
            b.put(bitmaps.get(i));
            compact[i].write(b);
        }
        if (b.hasRemaining()) throw new IllegalStateException("compact result length mismatch");
        return b.array();
    }

    /** A v1 result (full level-0 ciphertexts): what servers before the compact answer sent; for compatibility tests. */
    public static byte[] writeVersion1(List<byte[]> bitmaps, List<Ciphertext> cts, CkksParameters p) {
        check(bitmaps, cts);
        ByteBuffer b = ByteBuffer.allocate(Math.toIntExact(9 + blockBytes(1) * cts.size()));
        b.put(MAGIC).put((byte) 1).putInt(cts.size());
        for (int i = 0; i < cts.size(); i++) b.put(bitmaps.get(i)).put(Serializer.writeCiphertext(cts.get(i), p, false));
        return b.array();
    }

    private static void check(List<byte[]> bitmaps, List<Ciphertext> cts) {
        if (bitmaps.size() != cts.size()) throw new IllegalArgumentException("one bitmap per ciphertext");
        for (int i = 0; i < cts.size(); i++) {
            Ciphertext ct = cts.get(i);
            if (ct.size() != 2 || ct.level() != 0) throw new IllegalArgumentException("results are 2-component level-0 ciphertexts");
            if (bitmaps.get(i).length != bitmapBytes()) throw new IllegalArgumentException("bad bitmap length");
        }
    }

    /** The version and block count of a result whose length matches them exactly. */
    private static int[] header(byte[] bytes) {
        if (bytes == null || bytes.length < 9 || !Arrays.equals(Arrays.copyOf(bytes, 4), MAGIC) || (bytes[4] != 1 && bytes[4] != 2)) {
            throw new CkksException("not a PiCrypt gallery result (v1 or v2)");
        }
        int version = bytes[4];
        int count = ByteBuffer.wrap(bytes, 5, 4).getInt();
        // 0 blocks: the answer of an empty gallery
        if (count < 0 || count > MAX_BLOCKS) throw new CkksException("bad gallery result block count " + count);
        long each = blockBytes(version);
        if (bytes.length - 9L != each * count) {
            throw new CkksException("gallery result is " + bytes.length + " bytes, expected " + (9 + each * count) + " for " + count + " blocks");
        }
        return new int[]{version, count};
    }

    public static Contents read(byte[] bytes, CkksParameters p) {
        int[] h = header(bytes);
        int version = h[0], count = h[1];
        ByteBuffer b = ByteBuffer.wrap(bytes, 9, bytes.length - 9);
        int ctBytes = Math.toIntExact(ciphertextBytes(p));
        List<BlockResult> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            byte[] bitmap = new byte[bitmapBytes()];
            b.get(bitmap);
            if (version == 1) {
                byte[] ct = new byte[ctBytes];
                b.get(ct);
                Ciphertext c = Serializer.readCiphertext(ct, p);
                if (c.size() != 2 || c.level() != 0) throw new CkksException("gallery result ciphertext must be 2-component at level 0");
                out.add(new BlockResult(bitmap, c, null));
            } else {
                out.add(new BlockResult(bitmap, null, CompactCiphertext.read(b, p, GalleryParameters.BLOCK_CAPACITY,
                        GalleryParameters.RESULT_LOG_T0, GalleryParameters.RESULT_LOG_T1, GalleryParameters.COMPACT_RESULT_SCALE)));
            }
        }
        if (b.hasRemaining()) throw new CkksException("trailing bytes after the gallery result");
        return new Contents(version, out);
    }

    /** One complete single-block PCGR result per block of {@code bytes}, in order (framing checked, ciphertexts not parsed). */
    public static List<byte[]> split(byte[] bytes) {
        int[] h = header(bytes);
        int version = h[0], count = h[1];
        long each = blockBytes(version);
        List<byte[]> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            ByteBuffer one = ByteBuffer.allocate(Math.toIntExact(9 + each));
            one.put(MAGIC).put((byte) version).putInt(1).put(bytes, Math.toIntExact(9 + i * each), (int) each);
            out.add(one.array());
        }
        return out;
    }

    /**
     * The inverse of {@link #split}: one PCGR result holding the blocks of every part, in order (none: a 0-block result of
     * the current version).
     *
     * @throws CkksException if a part is not a result or the parts mix versions
     */
    public static byte[] join(List<byte[]> parts) {
        int count = 0, version = -1;
        for (byte[] p : parts) {
            int[] h = header(p);
            if (version != -1 && h[0] != version) throw new CkksException("gallery results of versions " + version + " and " + h[0] + " cannot be joined");
            version = h[0];
            count += h[1];
        }
        if (version == -1) version = VERSION;
        ByteBuffer b = ByteBuffer.allocate(Math.toIntExact(9 + blockBytes(version) * count));
        b.put(MAGIC).put((byte) version).putInt(count);
        for (byte[] p : parts) b.put(p, 9, p.length - 9);
        return b.array();
    }
}
