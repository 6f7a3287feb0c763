package io.picrypt.match;

import io.picrypt.ckks.Ciphertext;
import io.picrypt.ckks.CkksException;
import io.picrypt.ckks.Decryptor;
import io.picrypt.ckks.FrameReader;
import io.picrypt.ckks.FrameWriter;
import io.picrypt.ckks.SecretKey;
import io.picrypt.ckks.Serializer;

import java.util.ArrayList;
import java.util.List;

/**
 * Compaction of a keyset's 1:N gallery by its key owner ({@code picrypt gallery rebuild --compact}): the server hands
 * out each stored block with the names of its live slots, the owner decrypts the live identities locally, packs them
 * into fresh blocks and sends them back in one request that replaces the whole gallery atomically. Deleted slots
 * (tombstones, never reused) disappear; the server learns nothing new (it sees fresh encryptions of the same
 * identities, as at the first import).
 *
 * <pre>
 * download  "PCGB" v1 | names (u32) | (slot (u16) | length (u16) | UTF-8 name)* | stored block ("PCGS" v2: slot states, columns)
 * compact   "PCGC" v1 | expected current blocks (u32) | imports (u32) | (length (u32) | PCGN import)*
 * </pre>
 * Big-endian. The expected block count lets the server refuse (409) a compaction computed from a gallery that changed since.
 */
public final class GalleryCompaction {
    private static final String DOWNLOAD = "PCGB", COMPACT = "PCGC";
    private static final byte LIVE = 1;

    private GalleryCompaction() {}

    /** A live slot's name. */
    public record Entry(int slot, String name) {}

    /** One downloaded block: the names of its live slots and its stored bytes. */
    public record Download(List<Entry> entries, byte[] block) {}

    /** A compaction request: the block count it was computed from, and the new blocks (PCGN imports) in order. */
    public record Compact(int expectedBlocks, List<byte[]> imports) {}

    public static byte[] writeDownload(List<Entry> entries, byte[] block) {
        FrameWriter w = new FrameWriter(DOWNLOAD, 1, block.length + 16 + entries.size() * 24L).u32(entries.size());
        for (Entry e : entries) {
            if (e.slot() < 0 || e.slot() >= GalleryParameters.BLOCK_CAPACITY) throw new IllegalArgumentException("bad entry " + e);
            w.u16(e.slot()).name(e.name());
        }
        return w.bytes(block).toByteArray();
    }

    /** Parses a download (untrusted: from the server); {@link io.picrypt.ckks.MalformedFrameException} when malformed. */
    public static Download readDownload(byte[] bytes) {
        FrameReader r = FrameReader.open(bytes, DOWNLOAD, 1, "gallery block download");
        int count = r.count("name count", 0, GalleryParameters.BLOCK_CAPACITY, 5);
        List<Entry> entries = new ArrayList<>(count);
        int last = -1;
        for (int i = 0; i < count; i++) {
            int slot = r.u16();
            if (slot <= last || slot >= GalleryParameters.BLOCK_CAPACITY) throw r.error("slots not increasing");
            last = slot;
            entries.add(new Entry(slot, r.name()));
        }
        return new Download(List.copyOf(entries), r.rest());
    }

    public static byte[] writeCompact(int expectedBlocks, List<byte[]> imports) {
        return new FrameWriter(COMPACT, 1, 13 + imports.stream().mapToLong(i -> 4L + i.length).sum())
                .u32(expectedBlocks).u32(imports.size()).blobs(imports).toByteArray();
    }

    /** Parses a compaction request; {@link io.picrypt.ckks.MalformedFrameException} when malformed (the server's 400). */
    public static Compact readCompact(byte[] bytes) {
        FrameReader r = FrameReader.open(bytes, COMPACT, 1, "compaction request");
        int expected = r.count("expected block count", 0, Integer.MAX_VALUE, 0);
        int count = r.count("block count", 0, 1 << 20, 5);
        List<byte[]> imports = r.blobs(count, "block", 1, Integer.MAX_VALUE);
        r.end();
        return new Compact(expected, imports);
    }

    /**
     * The embeddings of the live slots of a stored block ("PCGS" v2), decrypted with the gallery key: index = slot,
     * null where the slot is not live. Each is the identity's embedding to CKKS noise (about 1e-6), renormalised.
     *
     * @throws CkksException      if the bytes are not a stored block of the gallery parameters ({@link OutdatedGalleryException}
     *                            for a block of the 512-dimensional layout, "PCGS" v1)
     * @throws IntegrityException if a live slot does not decrypt to a unit-norm vector (another key, corrupted data)
     */
    public static float[][] decryptLive(SecretKey gallerySk, byte[] stored) {
        var params = GalleryParameters.get();
        FrameReader r = GalleryEvaluator.openStored(stored);
        byte[] slots = r.bytes(GalleryParameters.BLOCK_CAPACITY);
        List<byte[]> columns = r.blobs(GalleryParameters.COLUMNS, "column", 1, Integer.MAX_VALUE);
        r.end();
        Decryptor dec = new Decryptor(params, gallerySk);
        int cols = GalleryParameters.COLUMNS, pack = GalleryParameters.PACK;
        float[][] out = new float[slots.length][];
        for (int s = 0; s < slots.length; s++) if (slots[s] == LIVE) out[s] = new float[GalleryParameters.DIMENSION];
        for (int e = 0; e < cols; e++) {
            byte[] c = columns.get(e);
            Ciphertext ct = Serializer.readCiphertext(c, params);
            double[] coeffs = dec.decryptCoefficients(ct);
            for (int s = 0; s < slots.length; s++) {
                if (out[s] == null) continue;
                for (int d = 0; d < pack; d++) out[s][pack * e + d] = (float) coeffs[GalleryParameters.position(s) + d * cols];
            }
        }
        for (int s = 0; s < out.length; s++) {
            if (out[s] == null) continue;
            double n2 = 0;
            for (float x : out[s]) n2 += (double) x * x;
            if (!(n2 > 0.9 && n2 < 1.1)) {
                throw new IntegrityException("gallery slot " + s + " does not decrypt to a unit vector (norm^2 " + n2
                        + "): another gallery key or corrupted data; nothing was changed");
            }
            double inv = 1 / Math.sqrt(n2);
            for (int i = 0; i < out[s].length; i++) out[s][i] = (float) (out[s][i] * inv);
        }
        return out;
    }
}
