package io.picrypt.match;

import io.picrypt.ckks.FrameReader;
import io.picrypt.ckks.FrameWriter;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The 1:N answer: "PCIR" v1 | names(u32) | (nameLength(u16) | UTF-8 name | templates(u16))* | result
 * envelope. The names say which template (in envelope order) belongs to whom; the distances themselves
 * are only in the encrypted envelope.
 */
public final class IdentifyFrame {
    private static final String MAGIC = "PCIR";
    private static final int MAX_NAMES = 1 << 22;

    public record Entry(String name, int templates) {}

    public record Contents(List<Entry> entries, byte[] envelope) {
        public int templates() { return entries.stream().mapToInt(Entry::templates).sum(); }
    }

    private IdentifyFrame() {}

    public static byte[] write(List<Entry> entries, byte[] envelope) {
        FrameWriter w = new FrameWriter(MAGIC, 1, envelope.length + 64 + entries.size() * 24L).u32(entries.size());
        for (Entry e : entries) {
            if (e.templates() < 1) throw new IllegalArgumentException("bad entry " + e);
            w.name(e.name()).u16(e.templates());
        }
        return w.bytes(envelope).toByteArray();
    }

    /** @throws io.picrypt.ckks.MalformedFrameException on bad framing, an empty, repeated or non-UTF-8 name, or a name without templates */
    public static Contents read(byte[] bytes) {
        FrameReader r = FrameReader.open(bytes, MAGIC, 1, "identify response");
        int count = r.count("name count", 0, MAX_NAMES, 5);
        List<Entry> entries = new ArrayList<>(count);
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < count; i++) {
            String name = r.name();
            int templates = r.u16();
            if (templates < 1) throw r.error("name without templates");
            if (!seen.add(name)) throw r.error("repeated name '" + name + "'");
            entries.add(new Entry(name, templates));
        }
        return new Contents(entries, r.rest());
    }
}
