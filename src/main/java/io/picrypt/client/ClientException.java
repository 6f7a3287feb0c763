package io.picrypt.client;

/** A client-side failure with a message fit for users (server down, bad key file, HTTP error, ...). */
public class ClientException extends RuntimeException {
    private final int status;

    public ClientException(String message) { this(message, 0, null); }

    public ClientException(String message, Throwable cause) { this(message, 0, cause); }

    public ClientException(String message, int status, Throwable cause) {
        super(message, cause);
        this.status = status;
    }

    /** HTTP status when the server answered with an error, else 0. */
    public int status() { return status; }
}
