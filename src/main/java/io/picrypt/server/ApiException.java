package io.picrypt.server;

/** An error the API reports as {@code {"error": code, "message": ...}} with the given HTTP status. */
public final class ApiException extends RuntimeException {
    private final int status;
    private final String code;
    private long retryAfterSeconds = -1;

    public ApiException(int status, String code, String message) {
        super(message);
        this.status = status;
        this.code = code;
    }

    public int status() { return status; }

    public String code() { return code; }

    /** Seconds for a Retry-After header (429, 503), or -1 for none. */
    public long retryAfterSeconds() { return retryAfterSeconds; }

    ApiException retryAfterSeconds(long s) {
        this.retryAfterSeconds = s;
        return this;
    }

    static ApiException badRequest(String message) { return new ApiException(400, "bad_request", message); }

    static ApiException notFound(String message) { return new ApiException(404, "not_found", message); }
}
