package io.picrypt.match;

import io.picrypt.ckks.Ciphertext;
import io.picrypt.ckks.CkksParameters;
import io.picrypt.ckks.FrameReader;
import io.picrypt.ckks.FrameWriter;
import io.picrypt.ckks.Serializer;

import java.util.ArrayList;
import java.util.List;

/** "PCMR" v1 | entries(u32) | count(u32) | (length(u32) | ciphertext)*: the server's encrypted distances for {@code entries} templates. */
public final class ResultEnvelope {
    private static final String MAGIC = "PCMR";
    private static final int MAX_COUNT = 1 << 20;

    private ResultEnvelope() {}

    /** Decoded envelope: how many templates the ciphertexts cover, and the ciphertexts. */
    public record Contents(int entries, List<Ciphertext> ciphertexts) {}

    public static byte[] write(int entries, List<Ciphertext> cts, CkksParameters p) {
        List<byte[]> blobs = cts.stream().map(ct -> Serializer.writeCiphertext(ct, p)).toList();
        return new FrameWriter(MAGIC, 1, 13 + blobs.stream().mapToLong(b -> 4L + b.length).sum())
                .u32(entries).u32(cts.size()).blobs(blobs).toByteArray();
    }

    /** A verify answer: {@link MatchParameters#VERIFY_TEMPLATES_PER_CIPHERTEXT} templates per ciphertext. */
    public static Contents read(byte[] bytes, CkksParameters p) {
        return read(bytes, p, MatchParameters.VERIFY_TEMPLATES_PER_CIPHERTEXT);
    }

    /**
     * An answer packed {@code per} templates to a ciphertext (verify: {@link MatchParameters#VERIFY_TEMPLATES_PER_CIPHERTEXT}).
     *
     * @throws io.picrypt.ckks.MalformedFrameException on bad framing or counts; CkksException for an invalid ciphertext
     */
    public static Contents read(byte[] bytes, CkksParameters p, int per) {
        FrameReader r = FrameReader.open(bytes, MAGIC, 1, "result envelope");
        long entries = r.u32();
        long each = Serializer.ciphertextBytes(p, 3, 0, false);
        int count = r.count("ciphertext count", 0, MAX_COUNT, 4 + each);
        // exactly as many ciphertexts as the entries need: none for none, and no empty one at the end
        if (entries > (long) count * per || count > 0 && entries <= (long) (count - 1) * per || (entries == 0) != (count == 0)) {
            throw r.error(count + " ciphertexts cannot hold " + entries + " entries");
        }
        List<Ciphertext> out = new ArrayList<>(count);
        for (byte[] ct : r.blobs(count, "ciphertext", each, each)) out.add(Serializer.readCiphertext(ct, p));
        r.end();
        return new Contents((int) entries, out);
    }
}
