package io.picrypt.match;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
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
    private static final byte[] REQUEST = "PCBQ".getBytes(StandardCharsets.US_ASCII), ANSWER = "PCBA".getBytes(StandardCharsets.US_ASCII);

    /** One item: its kind and the single-probe body (request) or answer. */
    public record Item(int kind, byte[] body) {
        public Item {
            if (kind != TEMPLATES && kind != GALLERY) throw new IllegalArgumentException("batch item kind must be 1 or 2, not " + kind);
            if (body == null || body.length == 0) throw new IllegalArgumentException("empty batch item");
        }
    }

    public static byte[] writeRequest(List<Item> items) { return write(REQUEST, items); }

    public static byte[] writeAnswer(List<Item> items) { return write(ANSWER, items); }

    /** Parses a request; IllegalArgumentException with a reason when it is malformed. */
    public static List<Item> readRequest(byte[] frame) { return read(REQUEST, frame, "request"); }

    /** Parses an answer (untrusted: from the server); IllegalArgumentException when malformed. */
    public static List<Item> readAnswer(byte[] frame) { return read(ANSWER, frame, "answer"); }

    private static byte[] write(byte[] magic, List<Item> items) {
        if (items.isEmpty() || items.size() > MAX_ITEMS) throw new IllegalArgumentException("a batch holds 1 to " + MAX_ITEMS + " items, not " + items.size());
        long size = 7;
        for (Item i : items) size += 5L + i.body().length;
        if (size > Integer.MAX_VALUE - 16) throw new IllegalArgumentException("batch too large");
        ByteBuffer b = ByteBuffer.allocate((int) size);
        b.put(magic).put((byte) 1).putShort((short) items.size());
        for (Item i : items) b.put((byte) i.kind()).putInt(i.body().length).put(i.body());
        return b.array();
    }

    private static List<Item> read(byte[] magic, byte[] frame, String what) {
        try {
            ByteBuffer b = ByteBuffer.wrap(frame);
            byte[] m = new byte[4];
            b.get(m);
            if (!java.util.Arrays.equals(m, magic)) throw new IllegalArgumentException("not a batch " + what + " (bad magic)");
            int version = b.get() & 0xFF;
            if (version != 1) throw new IllegalArgumentException("unsupported batch " + what + " version " + version);
            int count = b.getShort() & 0xFFFF;
            if (count < 1 || count > MAX_ITEMS) throw new IllegalArgumentException("a batch holds 1 to " + MAX_ITEMS + " items, not " + count);
            List<Item> out = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                int kind = b.get() & 0xFF;
                long len = b.getInt() & 0xFFFFFFFFL;
                if (len > b.remaining()) throw new IllegalArgumentException("batch item " + i + " claims " + len + " bytes, " + b.remaining() + " left");
                byte[] body = new byte[(int) len];
                b.get(body);
                out.add(new Item(kind, body));
            }
            if (b.hasRemaining()) throw new IllegalArgumentException(b.remaining() + " trailing bytes after the batch " + what);
            return List.copyOf(out);
        } catch (BufferUnderflowException e) {
            throw new IllegalArgumentException("truncated batch " + what);
        }
    }
}
