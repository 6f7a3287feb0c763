package io.picrypt.imagediff;

/**
 * Every failure of the image-difference feature a caller should report: one clear sentence plus a
 * {@link Reason} so the HTTP layer can map client mistakes to 400 and the CLI to exit code 2.
 */
public final class ImageDiffException extends RuntimeException {
    /** Why the operation failed. */
    public enum Reason {
        /** width x height exceeds the configured pixel limit (checked before decoding or allocating) */
        TOO_LARGE,
        /** the two images have different width, height or channel count (decoding errors are io.picrypt.image.ImageException) */
        SIZE_MISMATCH,
        /** a blob was made for other parameters (fingerprint, scale, level or packing differ) */
        PARAMETER_MISMATCH,
        /** the ciphertext count does not fit width x height x channels */
        COUNT_MISMATCH,
        /** a blob is not a well-formed PCIM / PCID object (magic, version, length, coefficient range) */
        MALFORMED,
        /** decryption did not yield a valid difference (wrong key, or tampered data) */
        DECRYPTION_FAILED,
        /** a file could not be read or written */
        IO
    }

    private final Reason reason;

    public ImageDiffException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public ImageDiffException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public Reason reason() { return reason; }

    /** True when the caller's input is at fault (HTTP 400), false for I/O and decryption failures. */
    public boolean isClientError() {
        return reason != Reason.IO && reason != Reason.DECRYPTION_FAILED;
    }
}
