package io.picrypt.http;

import org.slf4j.Logger;
import spark.Service;

import java.util.function.Function;

/**
 * The exception mappers both web servers share: {@link ApiException} with its status (and Retry-After),
 * {@link IllegalArgumentException} as 400 {@code bad_request}, any other exception as 500 {@code internal}
 * (logged with its stack trace, never sent), unknown routes as 404 {@code not_found}. Servers add their own
 * mappers for their domain exceptions; spark picks the most specific class, so the order does not matter.
 */
public final class ErrorMapping {
    private ErrorMapping() {}

    /**
     * @param log             where unexpected exceptions are logged
     * @param internalMessage the message of a 500 for an unexpected exception (e.g. a fixed text)
     */
    public static void install(Service s, Logger log, Function<Exception, String> internalMessage) {
        s.exception(ApiException.class, (e, req, res) -> {
            if (e.retryAfterSeconds() > 0) res.header("Retry-After", Long.toString(e.retryAfterSeconds()));
            Json.error(res, e.status(), e.code(), e.getMessage());
        });
        s.exception(IllegalArgumentException.class, (e, req, res) -> Json.error(res, 400, "bad_request", e.getMessage()));
        s.exception(Exception.class, (e, req, res) -> {
            log.error("internal error on {} {}", req.requestMethod(), req.pathInfo(), e);
            Json.error(res, 500, "internal", internalMessage.apply(e));
        });
        s.notFound((req, res) -> Json.errorBody(res, 404, "not_found", "no route " + req.requestMethod() + " " + req.pathInfo()));
        s.internalServerError((req, res) -> Json.errorBody(res, 500, "internal", internalMessage.apply(null)));
    }
}
