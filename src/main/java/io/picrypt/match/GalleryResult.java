package io.picrypt.match;

import io.picrypt.ckks.Ciphertext;
import io.picrypt.ckks.CkksException;
import io.picrypt.ckks.CkksParameters;
import io.picrypt.ckks.CompactCiphertext;
import io.picrypt.ckks.CompactRelinearizer;
import io.picrypt.ckks.FrameReader;
import io.picrypt.ckks.FrameWriter;
import io.picrypt.ckks.Serializer;

import java.util.ArrayList;
import java.util.List;
import java.nio.ByteBuffer;
import java.util.stream.IntStream;

/**
 * The server's answer to a 1:N probe: "PCGR" v2 | blocks(u32) | per block: live bitmap (BLOCK_CAPACITY/8 bytes,
 * bit s = slot s holds a live identity) | the block's relinearized level-0 result switched down to a
 * {@link CompactCiphertext}: c1 as N values of RESULT_LOG_T1 bits, then c0 at the BLOCK_CAPACITY distance positions
 * (slot order) as RESULT_LOG_T0-bit values (see {@link GalleryParameters#RESULT_LOG_T1}). 33,280 bytes per block of
 * 4,096 identities (34,048 per 2,048 in the layout before issue 16 round 10).
 *
 * <p>Version 1 (servers before issue 16 part 2; still read): per block the bitmap and one full 2-component level-0
 * ciphertext (118,816 bytes). Every length is fixed by the parameters and the version and checked before anything is
 * allocated; a result holds blocks of one version only.
 */
public final class GalleryResult {
    private static final String MAGIC = "PCGR";
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
     * all cores. None: the answer of an empty gallery, which {@link #read} accepts too.
     */
    public static byte[] write(List<byte[]> bitmaps, List<Ciphertext> cts, CkksParameters p) {
        check(bitmaps, cts);
        int[] positions = GalleryParameters.distancePositions();
        int each = Math.toIntExact(blockBytes(VERSION));
        // header first, then every block switched down and written in place at its fixed offset, on all cores
        byte[] out = new FrameWriter(MAGIC, VERSION, 9).u32(cts.size()).toByteArray(resultBytes(cts.size()));
        IntStream.range(0, cts.size()).parallel().forEach(i -> {
            ByteBuffer b = ByteBuffer.wrap(out, 9 + i * each, each);
            b.put(bitmaps.get(i));
            CompactCiphertext.switchDown(cts.get(i), p, positions, GalleryParameters.RESULT_LOG_T0, GalleryParameters.RESULT_LOG_T1).write(b);
            if (b.hasRemaining()) throw new IllegalStateException("compact result length mismatch");
        });
        return out;
    }

    /**
     * The v2 result from each block's product sum (3-component level-0 ciphertexts at RESULT_SCALE, not relinearized):
     * relinearized and switched down in one pass by {@code answerer} ({@link CompactRelinearizer}, word for word the
     * bytes of {@link #write(List, List, CkksParameters)} on the relinearized sums), written in place on all cores.
     */
    public static byte[] write(List<byte[]> bitmaps, List<Ciphertext> sums, CompactRelinearizer answerer) {
        check(bitmaps, sums, 3, "product sums are 3-component level-0 ciphertexts");
        if (answerer.bytes() != compactBytes()) throw new IllegalArgumentException("answerer of other widths or positions");
        int each = Math.toIntExact(blockBytes(VERSION));
        byte[] out = new FrameWriter(MAGIC, VERSION, 9).u32(sums.size()).toByteArray(resultBytes(sums.size()));
        IntStream.range(0, sums.size()).parallel().forEach(i -> {
            ByteBuffer b = ByteBuffer.wrap(out, 9 + i * each, each);
            b.put(bitmaps.get(i));
            answerer.write(sums.get(i), b);
            if (b.hasRemaining()) throw new IllegalStateException("compact result length mismatch");
        });
        return out;
    }

    /** A v1 result (full level-0 ciphertexts): what servers before the compact answer sent; for compatibility tests. */
    public static byte[] writeVersion1(List<byte[]> bitmaps, List<Ciphertext> cts, CkksParameters p) {
        check(bitmaps, cts);
        FrameWriter w = new FrameWriter(MAGIC, 1, 9 + blockBytes(1) * cts.size()).u32(cts.size());
        for (int i = 0; i < cts.size(); i++) w.bytes(bitmaps.get(i)).bytes(Serializer.writeCiphertext(cts.get(i), p, false));
        return w.toByteArray();
    }

    private static void check(List<byte[]> bitmaps, List<Ciphertext> cts) {
        check(bitmaps, cts, 2, "results are 2-component level-0 ciphertexts");
    }

    /** One bitmap of the right length per ciphertext, at most MAX_BLOCKS, each ciphertext level 0 with {@code size} components. */
    private static void check(List<byte[]> bitmaps, List<Ciphertext> cts, int size, String shape) {
        if (bitmaps.size() != cts.size()) throw new IllegalArgumentException("one bitmap per ciphertext");
        if (cts.size() > MAX_BLOCKS) throw new IllegalArgumentException("at most " + MAX_BLOCKS + " blocks in one result");
        for (int i = 0; i < cts.size(); i++) {
            Ciphertext ct = cts.get(i);
            if (ct.size() != size || ct.level() != 0) throw new IllegalArgumentException(shape);
            if (bitmaps.get(i).length != bitmapBytes()) throw new IllegalArgumentException("bad bitmap length");
        }
    }

    /**
     * @throws io.picrypt.ckks.MalformedFrameException on bad framing, version or length; CkksException for an invalid
     *         ciphertext
     */
    public static Contents read(byte[] bytes, CkksParameters p) {
        FrameReader r = open(bytes);
        int version = bytes[4];
        int count = Math.toIntExact(r.remaining() / blockBytes(version)); // exact: checked by open
        int ctBytes = Math.toIntExact(version == 1 ? ciphertextBytes(p) : compactBytes());
        List<BlockResult> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            byte[] bitmap = r.bytes(bitmapBytes());
            if (version == 1) {
                Ciphertext c = Serializer.readCiphertext(r.bytes(ctBytes), p);
                if (c.size() != 2 || c.level() != 0) throw new CkksException("gallery result ciphertext must be 2-component at level 0");
                out.add(new BlockResult(bitmap, c, null));
            } else {
                int at = r.skip(ctBytes); // read in place: no copy of the block's bytes
                out.add(new BlockResult(bitmap, null, CompactCiphertext.read(ByteBuffer.wrap(bytes, at, ctBytes), p, GalleryParameters.BLOCK_CAPACITY,
                        GalleryParameters.RESULT_LOG_T0, GalleryParameters.RESULT_LOG_T1, GalleryParameters.COMPACT_RESULT_SCALE)));
            }
        }
        r.end();
        return new Contents(version, out);
    }

    /** One complete single-block PCGR result per block of {@code bytes}, in order (framing checked, ciphertexts not parsed). */
    public static List<byte[]> split(byte[] bytes) {
        FrameReader r = open(bytes);
        int version = bytes[4];
        int each = Math.toIntExact(blockBytes(version));
        List<byte[]> out = new ArrayList<>();
        while (r.remaining() > 0) out.add(new FrameWriter(MAGIC, version, 9 + each).u32(1).bytes(r.bytes(each)).toByteArray());
        return out;
    }

    /**
     * The inverse of {@link #split}: one PCGR result holding the blocks of every part, in order (none: a 0-block result of
     * the current version).
     *
     * @throws io.picrypt.ckks.MalformedFrameException if a part is not a result or the parts mix versions
     */
    public static byte[] join(List<byte[]> parts) {
        List<FrameReader> readers = parts.stream().map(GalleryResult::open).toList();
        int version = parts.isEmpty() ? VERSION : parts.get(0)[4];
        for (byte[] part : parts) {
            if (part[4] != version) throw new io.picrypt.ckks.MalformedFrameException("gallery results of versions " + version + " and " + part[4] + " cannot be joined");
        }
        long count = readers.stream().mapToLong(r -> r.remaining() / blockBytes(version)).sum();
        if (count > MAX_BLOCKS) throw new IllegalArgumentException("at most " + MAX_BLOCKS + " blocks in one result");
        FrameWriter w = new FrameWriter(MAGIC, version, 9 + blockBytes(version) * count).u32(count);
        for (FrameReader r : readers) w.bytes(r.rest());
        return w.toByteArray();
    }

    /** Checks magic, version (1 or 2), the block count (0..MAX_BLOCKS) and that exactly that many blocks follow. */
    private static FrameReader open(byte[] bytes) {
        int version = bytes != null && bytes.length >= 5 && (bytes[4] == 1 || bytes[4] == 2) ? bytes[4] : VERSION;
        FrameReader r = FrameReader.open(bytes, MAGIC, version, "gallery result");
        long each = blockBytes(version);
        int count = r.count("block count", 0, MAX_BLOCKS, each);
        r.exactly(each * count, count + " blocks");
        return r;
    }
}
