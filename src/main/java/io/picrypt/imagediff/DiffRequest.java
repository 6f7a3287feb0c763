package io.picrypt.imagediff;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * The body of {@code POST /v1/keysets/{id}/image-diff}: "PCDR" v1 | beforeLength (u32) | PCIM before | PCIM after.
 * Only the framing is checked here; {@link ImageDiffServer#subtract} validates both images.
 */
public final class DiffRequest {
    private static final byte[] MAGIC = {'P', 'C', 'D', 'R'};
    private static final int HEADER = 4 + 1 + 4;

    private DiffRequest() {}

    /** The size of {@link #write}'s result. */
    public static long bytes(byte[] before, byte[] after) {
        return HEADER + (long) before.length + after.length;
    }

    public static byte[] write(byte[] before, byte[] after) {
        return ByteBuffer.allocate(Math.addExact(HEADER, Math.addExact(before.length, after.length)))
                .put(MAGIC).put((byte) 1).putInt(before.length).put(before).put(after).array();
    }

    /** {before, after}; a framing error is an {@link ImageDiffException} with reason MALFORMED. */
    public static byte[][] read(byte[] body) {
        if (body == null || body.length < HEADER || !Arrays.equals(body, 0, 4, MAGIC, 0, 4) || body[4] != 1) {
            throw new ImageDiffException(ImageDiffException.Reason.MALFORMED, "not an image-difference request (PCDR v1)");
        }
        long first = Integer.toUnsignedLong(ByteBuffer.wrap(body, 5, 4).getInt());
        if (first > body.length - HEADER) {
            throw new ImageDiffException(ImageDiffException.Reason.MALFORMED, "image-difference request: the first image's length exceeds the body");
        }
        return new byte[][]{Arrays.copyOfRange(body, HEADER, HEADER + (int) first), Arrays.copyOfRange(body, HEADER + (int) first, body.length)};
    }
}
