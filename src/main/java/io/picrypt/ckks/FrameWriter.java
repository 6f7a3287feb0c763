package io.picrypt.ckks;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * Writes one binary frame, big-endian: a 4-byte ASCII magic and a version byte, then fields. The counterpart of
 * {@link FrameReader}; every format of the project is written with these two classes, so their layouts are
 * described by the calls alone.
 *
 * <p>Values that do not fit their field are the caller's mistake: {@link IllegalArgumentException}. A writer made
 * with the exact size of its frame returns its buffer without copying.
 */
public final class FrameWriter {
    private static final VarHandle BE_INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.BIG_ENDIAN);
    private static final VarHandle BE_LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

    private byte[] buf;
    private int pos;

    /** A frame of about {@code expectedBytes} (grows when needed), starting with magic and version. */
    public FrameWriter(String magic, int version, long expectedBytes) {
        if (expectedBytes > Integer.MAX_VALUE - 16) throw new IllegalArgumentException("a frame is limited to 2 GiB, not " + expectedBytes + " bytes");
        buf = new byte[(int) Math.max(expectedBytes, 5)];
        byte[] m = magic.getBytes(StandardCharsets.US_ASCII);
        if (m.length != 4) throw new IllegalArgumentException("a magic has 4 ASCII characters: " + magic);
        if (version < 0 || version > 0xFF) throw new IllegalArgumentException("version " + version);
        bytes(m).u8(version);
    }

    public FrameWriter(String magic, int version) {
        this(magic, version, 64);
    }

    /** Bytes written so far. */
    public int size() { return pos; }

    public FrameWriter u8(int v) {
        if (v < 0 || v > 0xFF) throw new IllegalArgumentException("u8 field out of range: " + v);
        ensure(1);
        buf[pos++] = (byte) v;
        return this;
    }

    public FrameWriter u16(int v) {
        if (v < 0 || v > 0xFFFF) throw new IllegalArgumentException("u16 field out of range: " + v);
        ensure(2);
        buf[pos++] = (byte) (v >>> 8);
        buf[pos++] = (byte) v;
        return this;
    }

    public FrameWriter u32(long v) {
        if (v < 0 || v > 0xFFFF_FFFFL) throw new IllegalArgumentException("u32 field out of range: " + v);
        ensure(4);
        BE_INT.set(buf, pos, (int) v);
        pos += 4;
        return this;
    }

    public FrameWriter i64(long v) {
        ensure(8);
        BE_LONG.set(buf, pos, v);
        pos += 8;
        return this;
    }

    public FrameWriter f64(double v) {
        return i64(Double.doubleToRawLongBits(v));
    }

    public FrameWriter bytes(byte[] b) {
        return bytes(b, 0, b.length);
    }

    public FrameWriter bytes(byte[] b, int off, int len) {
        ensure(len);
        System.arraycopy(b, off, buf, pos, len);
        pos += len;
        return this;
    }

    /** A name: u16 length (1..65535) | UTF-8 bytes. */
    public FrameWriter name(String name) {
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        if (n.length == 0 || n.length > 0xFFFF) throw new IllegalArgumentException("a name has 1 to 65535 UTF-8 bytes, not " + n.length);
        return u16(n.length).bytes(n);
    }

    /** One length-prefixed object: u32 length | bytes. */
    public FrameWriter blob(byte[] b) {
        return u32(b.length).bytes(b);
    }

    /** Each object length-prefixed, in order (no count: formats that carry one write it first). */
    public FrameWriter blobs(List<byte[]> list) {
        long total = 0;
        for (byte[] b : list) total += 4L + b.length;
        ensure(total);
        for (byte[] b : list) blob(b);
        return this;
    }

    /** N coefficients of {@code bits} bits each as a little-endian bit stream, byte-aligned at the end ({@link Serializer#packPoly}). */
    public FrameWriter packed(long[] coeffs, int bits) {
        ensure(((long) coeffs.length * bits + 7) / 8);
        pos = Serializer.packPoly(coeffs, bits, buf, pos);
        return this;
    }

    /** The frame. */
    public byte[] toByteArray() {
        return pos == buf.length ? buf : Arrays.copyOf(buf, pos);
    }

    /**
     * The frame followed by zero bytes up to {@code totalBytes}: room for fixed-size records the caller fills in place
     * (in parallel, at offsets it computes from the header it wrote).
     */
    public byte[] toByteArray(long totalBytes) {
        if (totalBytes < pos || totalBytes > Integer.MAX_VALUE - 16) throw new IllegalArgumentException("bad frame size " + totalBytes);
        return totalBytes == buf.length ? buf : Arrays.copyOf(buf, (int) totalBytes);
    }

    private void ensure(long more) {
        long need = pos + more;
        if (need <= buf.length) return;
        if (need > Integer.MAX_VALUE - 16) throw new IllegalArgumentException("a frame is limited to 2 GiB");
        buf = Arrays.copyOf(buf, (int) Math.min(Integer.MAX_VALUE - 16, Math.max(need, 2L * buf.length)));
    }
}
