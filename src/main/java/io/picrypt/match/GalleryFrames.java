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
 * Wire framing of the bulk gallery: an import ("PCGN" v1 | names(u32) | (length(u16) | UTF-8 name)* | PCGI block)
 * and an identify answer ("PCGF" v1 | entries(u32) | (position(u32) | length(u16) | UTF-8 name)* | PCGR result),
 * where position = block * BLOCK_CAPACITY + slot. Names are metadata; distances only exist encrypted.
 */
public final class GalleryFrames {
    private static final byte[] IMPORT = {'P', 'C', 'G', 'N'}, ANSWER = {'P', 'C', 'G', 'F'};

    public record Import(List<String> names, byte[] block) {}

    public record Entry(int position, String name) {}

    public record Answer(List<Entry> entries, byte[] result) {}

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

    public static byte[] writeAnswer(List<Entry> entries, byte[] result) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(result.length + entries.size() * 28 + 16);
        out.writeBytes(ANSWER);
        out.write(1);
        out.writeBytes(ByteBuffer.allocate(4).putInt(entries.size()).array());
        for (Entry e : entries) {
            out.writeBytes(ByteBuffer.allocate(4).putInt(e.position()).array());
            writeName(out, e.name());
        }
        out.writeBytes(result);
        return out.toByteArray();
    }

    public static Answer readAnswer(byte[] bytes) {
        ByteBuffer b = open(bytes, ANSWER, "gallery answer");
        int count = b.getInt();
        if (count < 0 || count > b.remaining() / 7) throw new CkksException("gallery answer: bad entry count " + count);
        List<Entry> entries = new ArrayList<>(count);
        java.util.Set<String> names = new java.util.HashSet<>();
        int last = -1;
        for (int i = 0; i < count; i++) {
            if (b.remaining() < 4) throw new CkksException("gallery answer truncated");
            int position = b.getInt();
            // the server lists live slots in position order, each once: anything else is a garbled answer
            if (position <= last) throw new CkksException("gallery answer: positions not strictly increasing");
            last = position;
            String name = readName(b);
            if (!names.add(name)) throw new CkksException("gallery answer: the name '" + name + "' appears twice");
            entries.add(new Entry(position, name));
        }
        byte[] result = new byte[b.remaining()];
        b.get(result);
        return new Answer(entries, result);
    }

    private static ByteBuffer open(byte[] bytes, byte[] magic, String what) {
        if (bytes == null || bytes.length < 9 || !Arrays.equals(bytes, 0, 4, magic, 0, 4) || bytes[4] != 1) {
            throw new CkksException("not a PiCrypt " + what + " (v1)");
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
