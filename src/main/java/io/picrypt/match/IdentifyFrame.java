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
 * The 1:N answer: "PCIR" v1 | names(u32) | (nameLength(u16) | UTF-8 name | templates(u16))* | result
 * envelope. The names say which template (in envelope order) belongs to whom; the distances themselves
 * are only in the encrypted envelope.
 */
public final class IdentifyFrame {
    private static final byte[] MAGIC = {'P', 'C', 'I', 'R'};
    private static final int MAX_NAMES = 1 << 22;

    public record Entry(String name, int templates) {}

    public record Contents(List<Entry> entries, byte[] envelope) {
        public int templates() { return entries.stream().mapToInt(Entry::templates).sum(); }
    }

    private IdentifyFrame() {}

    public static byte[] write(List<Entry> entries, byte[] envelope) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(envelope.length + 64 + entries.size() * 24);
        out.writeBytes(MAGIC);
        out.write(1);
        out.writeBytes(ByteBuffer.allocate(4).putInt(entries.size()).array());
        for (Entry e : entries) {
            byte[] n = e.name().getBytes(StandardCharsets.UTF_8);
            if (n.length > 0xFFFF || e.templates() < 1 || e.templates() > 0xFFFF) throw new IllegalArgumentException("bad entry " + e);
            out.writeBytes(ByteBuffer.allocate(2).putShort((short) n.length).array());
            out.writeBytes(n);
            out.writeBytes(ByteBuffer.allocate(2).putShort((short) e.templates()).array());
        }
        out.writeBytes(envelope);
        return out.toByteArray();
    }

    public static Contents read(byte[] bytes) {
        if (bytes == null || bytes.length < 9 || !Arrays.equals(Arrays.copyOf(bytes, 4), MAGIC) || bytes[4] != 1) {
            throw new CkksException("not a PiCrypt identify response");
        }
        ByteBuffer b = ByteBuffer.wrap(bytes, 5, bytes.length - 5);
        int count = b.getInt();
        if (count < 0 || count > MAX_NAMES || count > b.remaining() / 5) throw new CkksException("identify response: bad name count " + count);
        List<Entry> entries = new ArrayList<>(count);
        java.util.Set<String> seen = new java.util.HashSet<>();
        var decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        for (int i = 0; i < count; i++) {
            if (b.remaining() < 2) throw new CkksException("identify response truncated");
            int len = Short.toUnsignedInt(b.getShort());
            if (b.remaining() < len + 2) throw new CkksException("identify response truncated");
            byte[] n = new byte[len];
            b.get(n);
            int templates = Short.toUnsignedInt(b.getShort());
            if (templates < 1) throw new CkksException("identify response: name without templates");
            String name;
            try {
                name = decoder.decode(ByteBuffer.wrap(n)).toString();
            } catch (CharacterCodingException e) {
                throw new CkksException("identify response: name is not UTF-8");
            }
            if (name.isEmpty() || !seen.add(name)) throw new CkksException("identify response: empty or repeated name '" + name + "'");
            entries.add(new Entry(name, templates));
        }
        byte[] envelope = new byte[b.remaining()];
        b.get(envelope);
        return new Contents(entries, envelope);
    }
}
