package io.picrypt.match;

import io.picrypt.ckks.FrameReader;
import io.picrypt.ckks.FrameWriter;

import java.util.ArrayList;
import java.util.List;

/**
 * Framing of a batch identification: several single-probe requests in one body, their single-probe answers
 * in one body, in the same order. Each item is exactly what the single-probe route takes or returns, so
 * every check of a single answer applies to each item unchanged.
 *
 * <pre>
 * request:  "PCBQ" u8 version=1  u16 count  { u8 kind  u32 length  bytes[length] } * count
 * answer:   "PCBA" u8 version=1  u16 count  { u8 kind  u32 length  bytes[length] } * count
 * </pre>
 * Big-endian; kind 2 = POST .../gallery/identify (the one 1:N path); kind 1 (the removed template identify)
 * still parses so that the server can refuse it with a clear 400. 1 <= count <= {@link #MAX_ITEMS}.
 */
public final class BatchFrames {
    private BatchFrames() {}

    /** Most items in one batch: 32 faces with both kinds. */
    public static final int MAX_ITEMS = 64;
    public static final int TEMPLATES = 1, GALLERY = 2;
    private static final String REQUEST = "PCBQ", ANSWER = "PCBA";

    /** One item: its kind and the single-probe body (request) or answer. */
    public record Item(int kind, byte[] body) {
        public Item {
            if (kind != TEMPLATES && kind != GALLERY) throw new IllegalArgumentException("batch item kind must be 1 or 2, not " + kind);
            if (body == null || body.length == 0) throw new IllegalArgumentException("empty batch item");
        }
    }

    public static byte[] writeRequest(List<Item> items) { return write(REQUEST, items); }

    public static byte[] writeAnswer(List<Item> items) { return write(ANSWER, items); }

    /** Parses a request; {@link io.picrypt.ckks.MalformedFrameException} with a reason when it is malformed. */
    public static List<Item> readRequest(byte[] frame) { return read(REQUEST, frame, "request"); }

    /** Parses an answer (untrusted: from the server); {@link io.picrypt.ckks.MalformedFrameException} when malformed. */
    public static List<Item> readAnswer(byte[] frame) { return read(ANSWER, frame, "answer"); }

    private static byte[] write(String magic, List<Item> items) {
        if (items.isEmpty() || items.size() > MAX_ITEMS) throw new IllegalArgumentException("a batch holds 1 to " + MAX_ITEMS + " items, not " + items.size());
        FrameWriter w = new FrameWriter(magic, 1, 7 + items.stream().mapToLong(i -> 5L + i.body().length).sum()).u16(items.size());
        for (Item i : items) w.u8(i.kind()).blob(i.body());
        return w.toByteArray();
    }

    private static List<Item> read(String magic, byte[] frame, String what) {
        FrameReader r = FrameReader.open(frame, magic, 1, "batch " + what);
        int count = r.count16("item count", 1, MAX_ITEMS, 6);
        List<Item> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            int kind = r.u8();
            if (kind != TEMPLATES && kind != GALLERY) throw r.error("item " + i + " has kind " + kind + " (1 or 2)");
            out.add(new Item(kind, r.blob("item " + i, 1, Integer.MAX_VALUE)));
        }
        r.end();
        return List.copyOf(out);
    }
}
