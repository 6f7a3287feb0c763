package io.picrypt.ckks;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Reads one binary frame written by {@link FrameWriter} from untrusted bytes. Every read checks the bytes that
 * remain first; every count and length is checked against the remaining bytes (times the least each item takes)
 * before anything proportional to it is allocated, so a hostile count costs nothing. Names are strict UTF-8
 * (malformed and unmappable input refused, never replaced). Any violation is one
 * {@link MalformedFrameException} whose message starts with what the frame is ("gallery answer: ...").
 *
 * <p>Use: {@code FrameReader r = FrameReader.open(bytes, "PCTL", 1, "template list"); int n = r.count(...); ...; r.end();}
 */
public final class FrameReader {
    private static final VarHandle BE_INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.BIG_ENDIAN);
    private static final VarHandle BE_LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

    private final byte[] buf;
    private final String what;
    private int pos;
    private final int end;

    private FrameReader(byte[] buf, int pos, int end, String what) {
        this.buf = buf;
        this.pos = pos;
        this.end = end;
        this.what = what;
    }

    /**
     * Checks the magic (4 ASCII characters) and the version byte; {@code what} names the frame in messages.
     *
     * @throws MalformedFrameException when bytes is null or shorter than 5 bytes, or magic or version differ
     */
    public static FrameReader open(byte[] bytes, String magic, int version, String what) {
        if (bytes == null || bytes.length < 5) {
            throw new MalformedFrameException(what + ": " + (bytes == null ? "missing" : bytes.length + " bytes, too short for a " + magic + " frame"));
        }
        byte[] m = magic.getBytes(StandardCharsets.US_ASCII);
        if (!Arrays.equals(bytes, 0, 4, m, 0, 4)) {
            throw new MalformedFrameException("not a " + what + " (magic " + printable(bytes, 4) + ", expected " + magic + ")");
        }
        int v = bytes[4] & 0xFF;
        if (v != version) throw new MalformedFrameException("unsupported " + what + " version " + v + " (expected " + version + ")");
        return new FrameReader(bytes, 5, bytes.length, what);
    }

    /** Bytes of a frame without magic and version (e.g. one fixed-size record inside a larger frame). */
    public static FrameReader wrap(byte[] bytes, int off, int len, String what) {
        if (bytes == null || off < 0 || len < 0 || off > bytes.length - len) throw new MalformedFrameException(what + ": truncated");
        return new FrameReader(bytes, off, off + len, what);
    }

    public int remaining() { return end - pos; }

    /** Offset of the next byte in the array given to {@link #open} or {@link #wrap}. */
    public int position() { return pos; }

    /** A {@link MalformedFrameException} naming this frame: for checks only the format knows (orders, ranges). */
    public MalformedFrameException error(String message) {
        return new MalformedFrameException(what + ": " + message);
    }

    /** @throws MalformedFrameException unless at least {@code n} bytes remain */
    public void need(long n) {
        if (n < 0 || n > remaining()) {
            throw error("truncated (" + remaining() + " bytes left at offset " + pos + ", " + n + " needed)");
        }
    }

    public int u8() {
        need(1);
        return buf[pos++] & 0xFF;
    }

    public int u16() {
        need(2);
        int v = (buf[pos] & 0xFF) << 8 | buf[pos + 1] & 0xFF;
        pos += 2;
        return v;
    }

    public long u32() {
        need(4);
        long v = Integer.toUnsignedLong((int) BE_INT.get(buf, pos));
        pos += 4;
        return v;
    }

    /** A u32 that is a signed int in the format (e.g. a position); negative values are the caller's to refuse. */
    public int i32() {
        return (int) u32();
    }

    public long i64() {
        need(8);
        long v = (long) BE_LONG.get(buf, pos);
        pos += 8;
        return v;
    }

    public double f64() {
        return Double.longBitsToDouble(i64());
    }

    public byte[] bytes(int n) {
        need(n);
        byte[] out = Arrays.copyOfRange(buf, pos, pos + n);
        pos += n;
        return out;
    }

    /** Skips {@code n} bytes (e.g. a record handled in place); returns the offset where they start. */
    public int skip(long n) {
        need(n);
        int at = pos;
        pos += (int) n;
        return at;
    }

    /** Compares the next bytes with {@code expected} without consuming them (a missing byte is a mismatch). */
    public boolean startsWith(byte[] expected) {
        return remaining() >= expected.length && Arrays.equals(buf, pos, pos + expected.length, expected, 0, expected.length);
    }

    /**
     * A u32 count in [min, max] whose items, at least {@code minBytesEach} bytes each, fit in the bytes that remain
     * (checked before the caller allocates anything for them).
     */
    public int count(String field, int min, int max, long minBytesEach) {
        return checkCount(field, u32(), min, max, minBytesEach);
    }

    /** As {@link #count} for a u16 count. */
    public int count16(String field, int min, int max, long minBytesEach) {
        return checkCount(field, u16(), min, max, minBytesEach);
    }

    private int checkCount(String field, long v, int min, int max, long minBytesEach) {
        if (v < min || v > max) throw error(field + " " + v + " outside [" + min + ", " + max + "]");
        if (minBytesEach > 0 && v > remaining() / minBytesEach) {
            throw error(field + " " + v + " cannot fit in the " + remaining() + " bytes left (" + minBytesEach + " or more each)");
        }
        return (int) v;
    }

    /** A name: u16 length (at least 1) | strict UTF-8. */
    public String name() {
        int len = u16();
        if (len == 0) throw error("empty name");
        need(len);
        try {
            String s = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(buf, pos, len)).toString();
            pos += len;
            return s;
        } catch (CharacterCodingException e) {
            throw error("a name is not UTF-8");
        }
    }

    /** One length-prefixed object (u32 length | bytes), its length in [minBytes, maxBytes] and present. */
    public byte[] blob(String field, long minBytes, long maxBytes) {
        long len = u32();
        if (len < minBytes || len > maxBytes) throw error("bad length " + len + " of " + field + " (" + minBytes + ".." + maxBytes + ")");
        need(len);
        return bytes((int) len);
    }

    /** {@code count} length-prefixed objects, each as {@link #blob}. */
    public List<byte[]> blobs(int count, String field, long minBytes, long maxBytes) {
        if (minBytes < 0 || count > remaining() / (4 + Math.max(minBytes, 0))) {
            throw error(count + " " + field + "s cannot fit in the " + remaining() + " bytes left");
        }
        List<byte[]> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) out.add(blob(field + " " + i, minBytes, maxBytes));
        return out;
    }

    /**
     * {@code n} coefficients of {@code bits} bits ({@link FrameWriter#packed}); one not below {@code q} is an invalid
     * object ({@link CkksException}, not a framing error).
     */
    public long[] packed(int n, int bits, long q) {
        need(((long) n * bits + 7) / 8);
        long[] out = Serializer.unpackPoly(buf, pos, n, bits, q);
        pos += (int) (((long) n * bits + 7) / 8);
        return out;
    }

    /** Every byte left (e.g. a nested frame that its own reader checks). */
    public byte[] rest() {
        return bytes(remaining());
    }

    /** @throws MalformedFrameException unless every byte was read */
    public void end() {
        if (pos != end) throw error((end - pos) + " trailing bytes");
    }

    /** @throws MalformedFrameException unless exactly {@code n} bytes remain (formats whose length follows from their header) */
    public void exactly(long n, String expectation) {
        if (remaining() != n) throw error("body is " + remaining() + " bytes, " + expectation + " needs exactly " + n);
    }

    private static String printable(byte[] m, int n) {
        StringBuilder s = new StringBuilder("\"");
        for (int i = 0; i < n; i++) {
            int c = m[i] & 0xFF;
            s.append(c >= 32 && c < 127 ? String.valueOf((char) c) : String.format("\\x%02x", c));
        }
        return s.append('"').toString();
    }
}
