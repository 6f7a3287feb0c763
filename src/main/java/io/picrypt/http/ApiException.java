package io.picrypt.http;

/**
 * The one error type of both web servers (the API server and the local web page): answered as JSON
 * {@code {"error": code, "message": text}} with the given HTTP status by {@link ErrorMapping}. The message is
 * shown to the caller, so it must not hold secrets or stack traces.
 */
public final class ApiException extends RuntimeException {
    private final int status;
    private final String code;
    private long retryAfterSeconds = -1;

    /** @param status an HTTP status, 4xx or 5xx; @param code a stable snake_case code clients may test */
    public ApiException(int status, String code, String message) {
        super(message);
        this.status = status;
        this.code = code;
    }

    public int status() { return status; }

    public String code() { return code; }

    /** Seconds for a Retry-After header (429, 503), or -1 for none. */
    public long retryAfterSeconds() { return retryAfterSeconds; }

    /** Sets the Retry-After seconds; returns this exception (for {@code throw new ApiException(...).retryAfterSeconds(5)}). */
    public ApiException retryAfterSeconds(long s) {
        this.retryAfterSeconds = s;
        return this;
    }

    /** 400 {@code bad_request}. */
    public static ApiException badRequest(String message) { return new ApiException(400, "bad_request", message); }

    /** 404 {@code not_found}. */
    public static ApiException notFound(String message) { return new ApiException(404, "not_found", message); }

    /** 413 {@code too_large}. */
    public static ApiException tooLarge(String message) { return new ApiException(413, "too_large", message); }
}
