package io.picrypt.imagediff;

import io.picrypt.ckks.FrameReader;
import io.picrypt.ckks.FrameWriter;
import io.picrypt.ckks.MalformedFrameException;

/**
 * The body of {@code POST /v1/keysets/{id}/image-diff}: "PCDR" v1 | beforeLength (u32) | PCIM before | PCIM after.
 * Only the framing is checked here; {@link ImageDiffEvaluator#subtract} validates both images.
 */
public final class DiffRequest {
    private static final String MAGIC = "PCDR";
    private static final int HEADER = 4 + 1 + 4;

    private DiffRequest() {}

    /** The size of {@link #write}'s result. */
    public static long bytes(byte[] before, byte[] after) {
        return HEADER + (long) before.length + after.length;
    }

    public static byte[] write(byte[] before, byte[] after) {
        return new FrameWriter(MAGIC, 1, bytes(before, after)).blob(before).bytes(after).toByteArray();
    }

    /** {before, after}; a framing error is an {@link ImageDiffException} with reason MALFORMED. */
    public static byte[][] read(byte[] body) {
        try {
            FrameReader r = FrameReader.open(body, MAGIC, 1, "image-difference request");
            return new byte[][]{r.blob("the first image", 0, Integer.MAX_VALUE), r.rest()};
        } catch (MalformedFrameException e) {
            throw new ImageDiffException(ImageDiffException.Reason.MALFORMED, e.getMessage(), e);
        }
    }
}
