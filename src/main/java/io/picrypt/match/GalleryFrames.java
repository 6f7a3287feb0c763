package io.picrypt.match;

import io.picrypt.ckks.FrameReader;
import io.picrypt.ckks.FrameWriter;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Wire framing of the 1:N gallery: an import ("PCGN" v1 | names(u32) | (length(u16) | UTF-8 name)* | PCGI block)
 * and an identify answer ("PCGF" v2 | blocks(u32) | block number(u32)* | entries(u32) |
 * (position(u32) | length(u16) | UTF-8 name)* | PCGR result), where position = block * BLOCK_CAPACITY + slot
 * ({@link GalleryPosition}) and the PCGR result holds one ciphertext per listed block, in the listed order.
 * Because an answer says which blocks it covers, partial answers (one per shard) merge into one
 * ({@link #merge}). Names are metadata; distances only exist encrypted.
 */
public final class GalleryFrames {
    private static final String IMPORT = "PCGN", ANSWER = "PCGF";
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
        FrameWriter w = new FrameWriter(IMPORT, 1, block.length + names.size() * 24L + 16).u32(names.size());
        for (String n : names) w.name(n);
        return w.bytes(block).toByteArray();
    }

    /** @throws io.picrypt.ckks.MalformedFrameException on bad framing, a bad name count or a name that is not UTF-8 */
    public static Import readImport(byte[] bytes) {
        FrameReader r = FrameReader.open(bytes, IMPORT, 1, "gallery import");
        int count = r.count("name count", 1, GalleryParameters.BLOCK_CAPACITY, 3);
        List<String> names = new ArrayList<>(count);
        for (int i = 0; i < count; i++) names.add(r.name());
        return new Import(names, r.rest());
    }

    /** Frames an answer; {@code result} must hold one ciphertext per block of {@code blocks}, in that order. */
    public static byte[] writeAnswer(List<Integer> blocks, List<Entry> entries, byte[] result) {
        FrameWriter w = new FrameWriter(ANSWER, ANSWER_VERSION, result.length + blocks.size() * 4L + entries.size() * 28L + 16).u32(blocks.size());
        for (int b : blocks) w.u32(b);
        w.u32(entries.size());
        for (Entry e : entries) w.u32(e.position()).name(e.name());
        return w.bytes(result).toByteArray();
    }

    public static byte[] writeAnswer(Answer a) {
        return writeAnswer(a.blocks(), a.entries(), a.result());
    }

    /**
     * Parses an answer (untrusted: from the server). Checks that block numbers are distinct, that every entry lies in
     * a covered block, and that positions are distinct; the result's own framing is checked when it is decrypted.
     */
    public static Answer readAnswer(byte[] bytes) {
        FrameReader r = FrameReader.open(bytes, ANSWER, ANSWER_VERSION, "gallery answer");
        int blockCount = r.count("block count", 0, Integer.MAX_VALUE, 4);
        List<Integer> blocks = new ArrayList<>(blockCount);
        Set<Integer> covered = new HashSet<>();
        for (int i = 0; i < blockCount; i++) {
            int block = r.i32();
            if (block < 0 || block > Integer.MAX_VALUE / GalleryParameters.BLOCK_CAPACITY - 1 || !covered.add(block)) {
                throw r.error("bad or repeated block number " + block);
            }
            blocks.add(block);
        }
        int count = r.count("entry count", 0, Integer.MAX_VALUE, 7);
        List<Entry> entries = new ArrayList<>(count);
        Set<String> names = new HashSet<>();
        int last = -1;
        for (int i = 0; i < count; i++) {
            int position = r.i32();
            // the server lists live slots in position order, each once, inside the blocks it covers: anything else is garbled
            if (position <= last) throw r.error("positions not strictly increasing");
            last = position;
            if (!covered.contains(GalleryPosition.of(position).block())) throw r.error("position " + position + " is outside the blocks it covers");
            String name = r.name();
            if (!names.add(name)) throw r.error("the name '" + name + "' appears twice");
            entries.add(new Entry(position, name));
        }
        return new Answer(blocks, entries, r.rest());
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
}
