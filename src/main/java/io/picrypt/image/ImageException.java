package io.picrypt.image;

/**
 * Every failure of {@link ImageLoader} a caller should show a user: one clear sentence that names the input,
 * plus a {@link Reason} for the CLI / HTTP mapping (every reason but IO is the caller's input: 4xx, exit 2).
 */
public final class ImageException extends RuntimeException {
    /** Why the bytes did not become pixels. */
    public enum Reason {
        /** zero bytes, or a file of length 0 */
        EMPTY,
        /** not one of the formats {@link ImageLoader} decodes (the message names the format when it is known, e.g. HEIC) */
        NOT_AN_IMAGE,
        /** a supported format whose data cannot be decoded (truncated, damaged header or pixel data) */
        CORRUPT,
        /** the file or its declared pixel count exceeds the loader's limit (checked before decoding) */
        TOO_LARGE,
        /** the file could not be read (missing, permissions, a path the system cannot represent) */
        IO
    }

    private final Reason reason;

    public ImageException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public ImageException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public Reason reason() { return reason; }

    /** True for problems with the caller's input (as opposed to the file system). */
    public boolean isInputError() { return reason != Reason.IO; }
}
