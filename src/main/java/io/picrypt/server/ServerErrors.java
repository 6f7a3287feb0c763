package io.picrypt.server;

import io.picrypt.ckks.CkksException;
import io.picrypt.http.ErrorMapping;
import io.picrypt.http.Json;
import io.picrypt.imagediff.ImageDiffException;
import io.picrypt.store.CorruptedDataException;
import io.picrypt.store.StoreException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import spark.Response;
import spark.Service;

import java.util.Locale;

/**
 * The API server's errors as JSON: the shared mappers ({@link ErrorMapping}) plus its domain exceptions: a bad
 * ciphertext 400 {@code invalid_ciphertext}, a gallery stored in an earlier version's layout 409 {@code gallery_outdated}, image-difference input 400/413, corrupted stored data 409, store
 * failures 507/503/500 (honest about a commit that may have happened). Nothing changes on an error.
 */
final class ServerErrors {
    private static final Logger log = LoggerFactory.getLogger(PiCryptServer.class);

    private ServerErrors() {}

    static void install(Service s) {
        ErrorMapping.install(s, log, e -> "internal server error");
        s.exception(ImageDiffException.class, (e, req, res) -> {
            if (e.isClientError()) {
                int status = e.reason() == ImageDiffException.Reason.TOO_LARGE ? 413 : 400;
                Json.error(res, status, "image_diff_" + e.reason().name().toLowerCase(Locale.ROOT), e.getMessage());
            } else {
                log.error("image difference failed: {}", e.getMessage(), e);
                Json.error(res, 500, "internal", "internal server error");
            }
        });
        s.exception(io.picrypt.ckks.MalformedFrameException.class, (e, req, res) -> Json.error(res, 400, "malformed_frame", e.getMessage()));
        s.exception(CkksException.class, (e, req, res) -> Json.error(res, 400, "invalid_ciphertext", e.getMessage()));
        // a gallery of an earlier version's layout: nothing computed; the key owner rebuilds it (picrypt gallery rebuild)
        s.exception(io.picrypt.match.OutdatedGalleryException.class, (e, req, res) -> Json.error(res, 409, "gallery_outdated", e.getMessage()));
        s.exception(CorruptedDataException.class, (e, req, res) -> {
            log.error("refused to compute on corrupted stored data on {} {}: {}", req.requestMethod(), req.pathInfo(), e.getMessage());
            Json.error(res, 409, "stored_data_corrupted", e.getMessage());
        });
        s.exception(StoreException.class, (e, req, res) -> {
            log.error("store failure on {} {}: {}", req.requestMethod(), req.pathInfo(), e.getMessage());
            storeError(res, e);
        });
    }

    /** A store failure as the client should read it: 507 for a full disk, 503 otherwise; honest about a failed commit. */
    private static void storeError(Response res, StoreException e) {
        String outcome = e.maybeCommitted() ? "; the change may or may not have been stored (check before retrying)" : "; nothing was changed";
        switch (e.kind()) {
            case FULL -> Json.error(res, 507, "insufficient_storage", "the server's storage is full" + outcome);
            case UNAVAILABLE -> {
                res.header("Retry-After", "5");
                Json.error(res, 503, "store_unavailable", "the enrollment store is unavailable" + outcome);
            }
            case CONFLICT -> Json.error(res, 409, "conflict", e.getMessage() + "; nothing was changed");
            default -> Json.error(res, 500, "store_error", "the enrollment store failed" + outcome);
        }
    }
}
