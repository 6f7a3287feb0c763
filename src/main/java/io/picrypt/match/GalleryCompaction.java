package io.picrypt.match;

import io.picrypt.ckks.Ciphertext;
import io.picrypt.ckks.CkksException;
import io.picrypt.ckks.Decryptor;
import io.picrypt.ckks.SecretKey;
import io.picrypt.ckks.Serializer;

import java.io.ByteArrayOutputStream;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Compaction of a keyset's 1:N gallery by its key owner ({@code picrypt gallery rebuild --compact}): the server hands
 * out each stored block with the names of its live slots, the owner decrypts the live identities locally, packs them
 * into fresh blocks and sends them back in one request that replaces the whole gallery atomically. Deleted slots
 * (tombstones, never reused) disappear; the server learns nothing new (it sees fresh encryptions of the same
 * identities, as at the first import).
 *
 * <pre>
 * download  "PCGB" v1 | names (u32) | (slot (u16) | length (u16) | UTF-8 name)* | stored block ("PCGS" v1: slot states, columns)
 * compact   "PCGC" v1 | expected current blocks (u32) | imports (u32) | (length (u32) | PCGN import)*
 * </pre>
 * Big-endian. The expected block count lets the server refuse (409) a compaction computed from a gallery that changed since.
 */
public final class GalleryCompaction {
    private static final byte[] DOWNLOAD = {'P', 'C', 'G', 'B'}, COMPACT = {'P', 'C', 'G', 'C'};
    private static final byte LIVE = 1;

    private GalleryCompaction() {}

    /** A live slot's name. */
    public record Entry(int slot, String name) {}

    /** One downloaded block: the names of its live slots and its stored bytes. */
    public record Download(List<Entry> entries, byte[] block) {}

    /** A compaction request: the block count it was computed from, and the new blocks (PCGN imports) in order. */
    public record Compact(int expectedBlocks, List<byte[]> imports) {}

    public static byte[] writeDownload(List<Entry> entries, byte[] block) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(block.length + 16 + entries.size() * 24);
        out.writeBytes(DOWNLOAD);
        out.write(1);
        out.writeBytes(ByteBuffer.allocate(4).putInt(entries.size()).array());
        for (Entry e : entries) {
            byte[] n = e.name().getBytes(StandardCharsets.UTF_8);
            if (n.length == 0 || n.length > 0xFFFF || e.slot() < 0 || e.slot() >= GalleryParameters.BLOCK_CAPACITY) throw new IllegalArgumentException("bad entry " + e);
            out.writeBytes(ByteBuffer.allocate(4).putShort((short) e.slot()).putShort((short) n.length).array());
            out.writeBytes(n);
        }
        out.writeBytes(block);
        return out.toByteArray();
    }

    /** Parses a download (untrusted: from the server); CkksException when malformed. */
    public static Download readDownload(byte[] bytes) {
        try {
            ByteBuffer b = header(bytes, DOWNLOAD, "gallery block download");
            int count = b.getInt();
            if (count < 0 || count > GalleryParameters.BLOCK_CAPACITY) throw new CkksException("gallery block download: bad name count " + count);
            var decoder = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
            List<Entry> entries = new ArrayList<>(count);
            int last = -1;
            for (int i = 0; i < count; i++) {
                int slot = Short.toUnsignedInt(b.getShort()), len = Short.toUnsignedInt(b.getShort());
                if (slot <= last || slot >= GalleryParameters.BLOCK_CAPACITY) throw new CkksException("gallery block download: slots not increasing");
                last = slot;
                if (len == 0 || len > b.remaining()) throw new CkksException("gallery block download truncated");
                byte[] n = new byte[len];
                b.get(n);
                try {
                    entries.add(new Entry(slot, decoder.decode(ByteBuffer.wrap(n)).toString()));
                } catch (CharacterCodingException e) {
                    throw new CkksException("gallery block download: a name is not UTF-8");
                }
            }
            byte[] block = new byte[b.remaining()];
            b.get(block);
            return new Download(List.copyOf(entries), block);
        } catch (BufferUnderflowException e) {
            throw new CkksException("gallery block download truncated");
        }
    }

    public static byte[] writeCompact(int expectedBlocks, List<byte[]> imports) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(COMPACT);
        out.write(1);
        out.writeBytes(ByteBuffer.allocate(8).putInt(expectedBlocks).putInt(imports.size()).array());
        for (byte[] i : imports) {
            out.writeBytes(ByteBuffer.allocate(4).putInt(i.length).array());
            out.writeBytes(i);
        }
        return out.toByteArray();
    }

    /** Parses a compaction request; IllegalArgumentException when malformed. */
    public static Compact readCompact(byte[] bytes) {
        try {
            ByteBuffer b = header(bytes, COMPACT, "compaction request");
            int expected = b.getInt(), count = b.getInt();
            if (expected < 0 || count < 0 || count > 1 << 20) throw new IllegalArgumentException("compaction request: bad counts");
            List<byte[]> imports = new ArrayList<>(Math.min(count, 1024));
            for (int i = 0; i < count; i++) {
                long len = b.getInt() & 0xFFFFFFFFL;
                if (len == 0 || len > b.remaining()) throw new IllegalArgumentException("compaction request: block " + i + " claims " + len + " bytes");
                byte[] imp = new byte[(int) len];
                b.get(imp);
                imports.add(imp);
            }
            if (b.hasRemaining()) throw new IllegalArgumentException("compaction request: " + b.remaining() + " bytes after the last block");
            return new Compact(expected, imports);
        } catch (BufferUnderflowException | CkksException e) {
            throw new IllegalArgumentException("compaction request truncated or malformed");
        }
    }

    /**
     * The embeddings of the live slots of a stored block ("PCGS" v1), decrypted with the gallery key: index = slot,
     * null where the slot is not live. Each is the identity's embedding to CKKS noise (about 1e-6), renormalised.
     *
     * @throws CkksException      if the bytes are not a stored block of the gallery parameters
     * @throws IntegrityException if a live slot does not decrypt to a unit-norm vector (another key, corrupted data)
     */
    public static float[][] decryptLive(SecretKey gallerySk, byte[] stored) {
        var params = GalleryParameters.get();
        ByteBuffer b = header(stored, new byte[]{'P', 'C', 'G', 'S'}, "stored gallery block");
        byte[] slots = new byte[GalleryParameters.BLOCK_CAPACITY];
        try {
            b.get(slots);
        } catch (BufferUnderflowException e) {
            throw new CkksException("stored gallery block truncated");
        }
        Decryptor dec = new Decryptor(params, gallerySk);
        int cols = GalleryParameters.COLUMNS, pack = GalleryParameters.PACK;
        float[][] out = new float[slots.length][];
        for (int s = 0; s < slots.length; s++) if (slots[s] == LIVE) out[s] = new float[GalleryParameters.DIMENSION];
        for (int e = 0; e < cols; e++) {
            int len;
            try {
                len = b.getInt();
            } catch (BufferUnderflowException x) {
                throw new CkksException("stored gallery block truncated");
            }
            if (len <= 0 || len > b.remaining()) throw new CkksException("stored gallery block: bad column length");
            byte[] c = new byte[len];
            b.get(c);
            Ciphertext ct = Serializer.readCiphertext(c, params);
            double[] coeffs = dec.decryptCoefficients(ct);
            for (int s = 0; s < slots.length; s++) {
                if (out[s] == null) continue;
                for (int d = 0; d < pack; d++) out[s][pack * e + d] = (float) coeffs[GalleryParameters.position(s) + d * cols];
            }
        }
        if (b.hasRemaining()) throw new CkksException("stored gallery block: trailing bytes");
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

    private static ByteBuffer header(byte[] bytes, byte[] magic, String what) {
        if (bytes == null || bytes.length < 5 || !Arrays.equals(Arrays.copyOf(bytes, 4), magic) || bytes[4] != 1) {
            throw new CkksException("not a " + what + " (" + new String(magic, StandardCharsets.US_ASCII) + " v1)");
        }
        return ByteBuffer.wrap(bytes, 5, bytes.length - 5);
    }
}
