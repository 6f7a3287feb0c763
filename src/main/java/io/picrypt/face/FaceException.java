package io.picrypt.face;

/**
 * Every failure of the face pipeline that a caller should report to a user: the message is one clear
 * sentence and {@link #reason()} lets the CLI / HTTP layers map it (e.g. NO_FACE and bad images to 4xx).
 */
public final class FaceException extends RuntimeException {
    /** Why the pipeline could not produce a result. */
    public enum Reason {
        /** zero bytes, or a file of length 0 */
        EMPTY,
        /** the bytes are not one of the image formats we decode (JPEG, PNG, BMP, WebP) */
        NOT_AN_IMAGE,
        /** a known image format whose data cannot be decoded (truncated, damaged) */
        CORRUPT,
        /** the file or its pixel count exceeds the configured limit (checked before decoding) */
        TOO_LARGE,
        /** the image decoded but no face was found, even after the padded retry */
        NO_FACE,
        /** a face was found but the quality gate refused it (too small, too blurred, turned too far, covered): see {@link QualityPolicy} */
        LOW_QUALITY,
        /** the file could not be read */
        IO,
        /** a model is missing, fails its checksum, or does not fit its manifest entry */
        MODEL
    }

    private final Reason reason;

    public FaceException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public FaceException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public Reason reason() { return reason; }

    /** True for problems with the caller's input (as opposed to a broken installation). */
    public boolean isInputError() { return reason != Reason.MODEL && reason != Reason.IO; }
}
