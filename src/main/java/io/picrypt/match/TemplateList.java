package io.picrypt.match;

import io.picrypt.ckks.CkksException;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A name's stored 1:1 templates as the server returns them to their key owner (for {@code picrypt gallery rebuild}):
 * "PCTL" v1 | count (u32) | (length (u32) | PCCT ciphertext)*. Only the key owner can read the ciphertexts.
 */
public final class TemplateList {
    private static final byte[] MAGIC = {'P', 'C', 'T', 'L'};
    /** Far above the server's per-name limit (32 by default), low enough to refuse absurd counts. */
    static final int MAX_TEMPLATES = 1024;

    private TemplateList() {}

    public static byte[] write(List<byte[]> templates) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(MAGIC);
        out.write(1);
        out.writeBytes(ByteBuffer.allocate(4).putInt(templates.size()).array());
        for (byte[] t : templates) {
            out.writeBytes(ByteBuffer.allocate(4).putInt(t.length).array());
            out.writeBytes(t);
        }
        return out.toByteArray();
    }

    /** @throws CkksException on bad framing (the ciphertexts themselves are checked when decrypted) */
    public static List<byte[]> read(byte[] bytes) {
        if (bytes == null || bytes.length < 9 || !Arrays.equals(bytes, 0, 4, MAGIC, 0, 4) || bytes[4] != 1) {
            throw new CkksException("not a PiCrypt template list (v1)");
        }
        ByteBuffer b = ByteBuffer.wrap(bytes, 5, bytes.length - 5);
        int count = b.getInt();
        if (count < 0 || count > MAX_TEMPLATES) throw new CkksException("template list: bad count " + count);
        List<byte[]> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            if (b.remaining() < 4) throw new CkksException("template list truncated");
            int len = b.getInt();
            if (len < 1 || len > b.remaining()) throw new CkksException("template list: bad length " + len);
            byte[] t = new byte[len];
            b.get(t);
            out.add(t);
        }
        if (b.hasRemaining()) throw new CkksException("template list: trailing bytes");
        return out;
    }
}
