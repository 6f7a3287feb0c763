package io.picrypt.match;

import io.picrypt.ckks.FrameReader;
import io.picrypt.ckks.FrameWriter;

import java.util.List;

/**
 * A name's stored 1:1 templates as the server returns them to their key owner (for {@code picrypt gallery rebuild}):
 * "PCTL" v1 | count (u32) | (length (u32) | PCCT ciphertext)*. Only the key owner can read the ciphertexts.
 */
public final class TemplateList {
    private static final String MAGIC = "PCTL";
    /** Far above the server's per-name limit (32 by default), low enough to refuse absurd counts. */
    static final int MAX_TEMPLATES = 1024;

    private TemplateList() {}

    public static byte[] write(List<byte[]> templates) {
        return new FrameWriter(MAGIC, 1, 9 + templates.stream().mapToLong(t -> 4L + t.length).sum())
                .u32(templates.size()).blobs(templates).toByteArray();
    }

    /** @throws io.picrypt.ckks.MalformedFrameException on bad framing (the ciphertexts themselves are checked when decrypted) */
    public static List<byte[]> read(byte[] bytes) {
        FrameReader r = FrameReader.open(bytes, MAGIC, 1, "template list");
        int count = r.count("template count", 0, MAX_TEMPLATES, 5);
        List<byte[]> out = r.blobs(count, "template", 1, Integer.MAX_VALUE);
        r.end();
        return out;
    }
}
