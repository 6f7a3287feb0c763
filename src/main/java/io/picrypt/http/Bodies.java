package io.picrypt.http;

import spark.Request;

import java.io.IOException;
import java.io.InputStream;

/** Bounded request bodies: never more than the limit is buffered, and a declared larger body is refused unread. */
public final class Bodies {
    /**
     * Request attribute under which a front handler that already read the whole body into memory (the server's
     * request gate) hands it over as a {@code byte[]}: taken as is, instead of read again through Spark's request
     * wrapper, which copies the body once more and then serves it one byte per call (~40% of a gallery import's
     * server time, measured in docs/BENCHMARKS.md "Bulk import over HTTP").
     */
    public static final String BUFFERED = Bodies.class.getName() + ".buffered";

    private Bodies() {}

    /**
     * The body, at most {@code limit} bytes, not empty.
     *
     * @throws ApiException 413 {@code too_large} above the limit, 400 {@code bad_request} when empty or unreadable
     */
    public static byte[] read(Request req, long limit) {
        long declared = req.raw().getContentLengthLong();
        if (declared > limit) throw ApiException.tooLarge("request body of " + declared + " bytes exceeds the limit of " + limit);
        byte[] b = readAtMost(req, limit);
        if (b.length > limit) throw ApiException.tooLarge("request body exceeds the limit of " + limit + " bytes");
        if (b.length == 0) throw ApiException.badRequest("empty request body");
        return b;
    }

    /**
     * The body, possibly empty, or {@code tooLarge} when it is longer than {@code limit} bytes (declared or read).
     *
     * @throws ApiException {@code tooLarge}, or 400 {@code bad_request} when the body cannot be read
     */
    public static byte[] read(Request req, long limit, ApiException tooLarge) {
        if (req.raw().getContentLengthLong() > limit) throw tooLarge;
        byte[] b = readAtMost(req, limit);
        if (b.length > limit) throw tooLarge;
        return b;
    }

    /** {@code limit + 1} bytes at most, so that a longer body is seen as such. */
    private static byte[] readAtMost(Request req, long limit) {
        if (req.raw().getAttribute(BUFFERED) instanceof byte[] b) return b; // the callers check it against the limit
        try (InputStream in = req.raw().getInputStream()) {
            return in.readNBytes((int) Math.min(limit + 1, Integer.MAX_VALUE - 16));
        } catch (IOException e) {
            throw ApiException.badRequest("could not read the request body: " + e.getMessage());
        }
    }
}
