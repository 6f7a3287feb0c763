package io.picrypt.match;

import io.picrypt.ckks.Ciphertext;
import io.picrypt.ckks.CkksException;
import io.picrypt.ckks.CkksParameters;
import io.picrypt.ckks.Serializer;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** "PCMR" v1 | entries(u32) | count(u32) | (length(u32) | ciphertext)*: the server's encrypted distances for {@code entries} templates. */
public final class ResultEnvelope {
    private static final byte[] MAGIC = {'P', 'C', 'M', 'R'};
    private static final int MAX_COUNT = 1 << 20;

    private ResultEnvelope() {}

    /** Decoded envelope: how many templates the ciphertexts cover, and the ciphertexts. */
    public record Contents(int entries, List<Ciphertext> ciphertexts) {}

    public static byte[] write(int entries, List<Ciphertext> cts, CkksParameters p) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(MAGIC);
        out.write(1);
        out.writeBytes(ByteBuffer.allocate(4).putInt(entries).array());
        out.writeBytes(ByteBuffer.allocate(4).putInt(cts.size()).array());
        for (Ciphertext ct : cts) {
            byte[] b = Serializer.writeCiphertext(ct, p);
            out.writeBytes(ByteBuffer.allocate(4).putInt(b.length).array());
            out.writeBytes(b);
        }
        return out.toByteArray();
    }

    /** A verify answer: {@link MatchParameters#VERIFY_TEMPLATES_PER_CIPHERTEXT} templates per ciphertext. */
    public static Contents read(byte[] bytes, CkksParameters p) {
        return read(bytes, p, MatchParameters.VERIFY_TEMPLATES_PER_CIPHERTEXT);
    }

    /** An answer packed {@code per} templates to a ciphertext (verify: {@link MatchParameters#VERIFY_TEMPLATES_PER_CIPHERTEXT}). */
    public static Contents read(byte[] bytes, CkksParameters p, int per) {
        if (bytes == null || bytes.length < 13 || !Arrays.equals(Arrays.copyOf(bytes, 4), MAGIC) || bytes[4] != 1) {
            throw new CkksException("not a PiCrypt result envelope");
        }
        ByteBuffer b = ByteBuffer.wrap(bytes, 5, bytes.length - 5);
        int entries = b.getInt();
        int count = b.getInt();
        if (entries < 0 || (long) count * per < entries || (long) (count - 1) * per >= entries && count > 0 || (entries == 0) != (count == 0)) {
            throw new CkksException("result envelope: " + count + " ciphertexts cannot hold " + entries + " entries");
        }
        if (count < 0 || count > MAX_COUNT) throw new CkksException("bad result count " + count);
        long each = Serializer.ciphertextBytes(p, 3, 0, false);
        List<Ciphertext> out = new ArrayList<>(Math.min(count, 1024));
        for (int i = 0; i < count; i++) {
            if (b.remaining() < 4) throw new CkksException("result envelope truncated");
            int len = b.getInt();
            if (len != each || b.remaining() < len) throw new CkksException("bad ciphertext length in result envelope");
            byte[] ct = new byte[len];
            b.get(ct);
            out.add(Serializer.readCiphertext(ct, p));
        }
        if (b.hasRemaining()) throw new CkksException("trailing bytes in result envelope");
        return new Contents(entries, out);
    }
}
