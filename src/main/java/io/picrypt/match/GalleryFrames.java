package io.picrypt.match;

import io.picrypt.ckks.CkksException;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Wire framing of the 1:N gallery: an import ("PCGN" v1 | names(u32) | (length(u16) | UTF-8 name)* | PCGI block)
 * and an identify answer ("PCGF" v2 | blocks(u32) | block number(u32)* | entries(u32) |
 * (position(u32) | length(u16) | UTF-8 name)* | PCGR result), where position = block * BLOCK_CAPACITY + slot
 * ({@link GalleryPosition}) and the PCGR result holds one ciphertext per listed block, in the listed order.
 * Because an answer says which blocks it covers, partial answers (one per shard) merge into one
 * ({@link #merge}). Names are metadata; distances only exist encrypted.
 */
public final class GalleryFrames {
    private static final byte[] IMPORT = {'P', 'C', 'G', 'N'}, ANSWER = {'P', 'C', 'G', 'F'};
    private static final int ANSWER_VERSION = 2;

    public record Import(List<String> names, byte[] block) {}

    public record Entry(int position, String name) {}

    /**
     * An identify answer: the blocks it covers (distinct, in result order), the live identities in them, and the
     * PCGR result with one ciphertext per covered block (an empty gallery: no blocks, no entries, a 0-block result).
     */
    public record Answer(List<Integer> blocks, List<Entry> entries, byte[] result) {
        public Answer {
            blocks = List.copyOf(blocks);
            entries = List.copyOf(entries);
        }
    }

    private GalleryFrames() {}

    public static byte[] writeImport(List<String> names, byte[] block) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(block.length + names.size() * 24 + 16);
        out.writeBytes(IMPORT);
        out.write(1);
        out.writeBytes(ByteBuffer.allocate(4).putInt(names.size()).array());
        for (String n : names) writeName(out, n);
        out.writeBytes(block);
        return out.toByteArray();
    }

    public static Import readImport(byte[] bytes) {
        ByteBuffer b = open(bytes, IMPORT, "gallery import");
        int count = b.getInt();
        if (count < 1 || count > GalleryParameters.BLOCK_CAPACITY) throw new CkksException("gallery import: bad name count " + count);
        List<String> names = new ArrayList<>(count);
        for (int i = 0; i < count; i++) names.add(readName(b));
        byte[] block = new byte[b.remaining()];
        b.get(block);
        return new Import(names, block);
    }

    /** Frames an answer; {@code result} must hold one ciphertext per block of {@code blocks}, in that order. */
    public static byte[] writeAnswer(List<Integer> blocks, List<Entry> entries, byte[] result) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(result.length + blocks.size() * 4 + entries.size() * 28 + 16);
        out.writeBytes(ANSWER);
        out.write(ANSWER_VERSION);
        out.writeBytes(ByteBuffer.allocate(4).putInt(blocks.size()).array());
        for (int b : blocks) out.writeBytes(ByteBuffer.allocate(4).putInt(b).array());
        out.writeBytes(ByteBuffer.allocate(4).putInt(entries.size()).array());
        for (Entry e : entries) {
            out.writeBytes(ByteBuffer.allocate(4).putInt(e.position()).array());
            writeName(out, e.name());
        }
        out.writeBytes(result);
        return out.toByteArray();
    }

    public static byte[] writeAnswer(Answer a) {
        return writeAnswer(a.blocks(), a.entries(), a.result());
    }

    /**
     * Parses an answer (untrusted: from the server). Checks that block numbers are distinct, that every entry lies in
     * a covered block, and that positions are distinct; the result's own framing is checked when it is decrypted.
     */
    public static Answer readAnswer(byte[] bytes) {
        ByteBuffer b = open(bytes, ANSWER, ANSWER_VERSION, "gallery answer");
        int blockCount = b.getInt();
        if (blockCount < 0 || blockCount > b.remaining() / 4) throw new CkksException("gallery answer: bad block count " + blockCount);
        List<Integer> blocks = new ArrayList<>(blockCount);
        java.util.Set<Integer> covered = new java.util.HashSet<>();
        for (int i = 0; i < blockCount; i++) {
            int block = b.getInt();
            if (block < 0 || block > Integer.MAX_VALUE / GalleryParameters.BLOCK_CAPACITY - 1 || !covered.add(block)) {
                throw new CkksException("gallery answer: bad or repeated block number " + block);
            }
            blocks.add(block);
        }
        if (b.remaining() < 4) throw new CkksException("gallery answer truncated");
        int count = b.getInt();
        if (count < 0 || count > b.remaining() / 7) throw new CkksException("gallery answer: bad entry count " + count);
        List<Entry> entries = new ArrayList<>(count);
        java.util.Set<String> names = new java.util.HashSet<>();
        int last = -1;
        for (int i = 0; i < count; i++) {
            if (b.remaining() < 4) throw new CkksException("gallery answer truncated");
            int position = b.getInt();
            // the server lists live slots in position order, each once, inside the blocks it covers: anything else is garbled
            if (position <= last) throw new CkksException("gallery answer: positions not strictly increasing");
            last = position;
            if (!covered.contains(GalleryPosition.of(position).block())) {
                throw new CkksException("gallery answer: position " + position + " is outside the blocks it covers");
            }
            String name = readName(b);
            if (!names.add(name)) throw new CkksException("gallery answer: the name '" + name + "' appears twice");
            entries.add(new Entry(position, name));
        }
        byte[] result = new byte[b.remaining()];
        b.get(result);
        return new Answer(blocks, entries, result);
    }

    /**
     * Merges partial answers over disjoint sets of blocks (one per shard) into one answer: blocks in ascending order,
     * entries in position order, results concatenated in the same order.
     *
     * @throws IllegalArgumentException if two parts cover the same block
     */
    public static Answer merge(List<Answer> parts) {
        record Part(int block, byte[] result) {}
        List<Part> all = new ArrayList<>();
        List<Entry> entries = new ArrayList<>();
        java.util.Set<Integer> blocks = new java.util.HashSet<>();
        for (Answer a : parts) {
            List<byte[]> results = GalleryResult.split(a.result());
            if (results.size() != a.blocks().size()) throw new IllegalArgumentException("partial answer has " + results.size() + " results for " + a.blocks().size() + " blocks");
            for (int i = 0; i < results.size(); i++) {
                if (!blocks.add(a.blocks().get(i))) throw new IllegalArgumentException("block " + a.blocks().get(i) + " is in two partial answers");
                all.add(new Part(a.blocks().get(i), results.get(i)));
            }
            entries.addAll(a.entries());
        }
        all.sort(java.util.Comparator.comparingInt(Part::block));
        entries.sort(java.util.Comparator.comparingInt(Entry::position));
        return new Answer(all.stream().map(Part::block).toList(), entries, GalleryResult.join(all.stream().map(Part::result).toList()));
    }

    private static ByteBuffer open(byte[] bytes, byte[] magic, String what) {
        return open(bytes, magic, 1, what);
    }

    private static ByteBuffer open(byte[] bytes, byte[] magic, int version, String what) {
        if (bytes == null || bytes.length < 9 || !Arrays.equals(bytes, 0, 4, magic, 0, 4) || bytes[4] != version) {
            throw new CkksException("not a PiCrypt " + what + " (v" + version + ")");
        }
        return ByteBuffer.wrap(bytes, 5, bytes.length - 5);
    }

    private static void writeName(ByteArrayOutputStream out, String name) {
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        if (n.length == 0 || n.length > 0xFFFF) throw new IllegalArgumentException("bad name length");
        out.writeBytes(ByteBuffer.allocate(2).putShort((short) n.length).array());
        out.writeBytes(n);
    }

    private static String readName(ByteBuffer b) {
        if (b.remaining() < 2) throw new CkksException("truncated name");
        int len = Short.toUnsignedInt(b.getShort());
        if (len == 0 || b.remaining() < len) throw new CkksException("truncated name");
        byte[] n = new byte[len];
        b.get(n);
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(n)).toString();
        } catch (CharacterCodingException e) {
            throw new CkksException("name is not UTF-8");
        }
    }
}
