package io.picrypt.client;

/** A client-side failure with a message fit for users (server down, bad key file, HTTP error, ...). */
public class ClientException extends RuntimeException {
    private final int status;
    private final String code;

    public ClientException(String message) { this(message, 0, null); }

    public ClientException(String message, Throwable cause) { this(message, 0, cause); }

    /** A wrapper of another ClientException keeps its server error code ({@link #code()}). */
    public ClientException(String message, int status, Throwable cause) {
        this(message, status, cause instanceof ClientException c ? c.code : null, cause);
    }

    /** {@code code}: the server's JSON error code ({"error": ...}), may be null. */
    public ClientException(String message, int status, String code, Throwable cause) {
        super(message, cause);
        this.status = status;
        this.code = code;
    }

    /** HTTP status when the server answered with an error, else 0. */
    public int status() { return status; }

    /** The server's error code (e.g. {@code gallery_outdated}) when it answered with its JSON error, else null. */
    public String code() { return code; }
}
