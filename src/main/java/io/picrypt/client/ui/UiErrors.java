package io.picrypt.client.ui;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.picrypt.ckks.CkksException;
import io.picrypt.client.ClientException;
import io.picrypt.client.EnrollmentSafety;
import io.picrypt.face.FaceException;
import io.picrypt.http.ErrorMapping;
import io.picrypt.http.Json;
import io.picrypt.image.ImageException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import spark.Service;

import java.net.ConnectException;
import java.net.http.HttpConnectTimeoutException;

/**
 * The page's errors as JSON {@code {"error", "message"}}: the shared mappers ({@link ErrorMapping}) plus the
 * client's own exceptions: enrollment-safety refusals 409 with their distances, face and image failures
 * 422/413/400, the PiCrypt server down or refusing (502, 404, 400; 409 with the
 * server's code for an outdated gallery), an answer that cannot be decrypted 502.
 */
final class UiErrors {
    private static final Logger log = LoggerFactory.getLogger(UiServer.class);

    private UiErrors() {}

    /**
     * Server refusals (409) passed to the page with the server's code and message: a gallery stored by an earlier
     * version ({@code gallery_outdated}: run 'picrypt gallery rebuild') and a gallery layout this client does not speak
     * ({@code gallery_layout}: upgrade picrypt). Any other refusal is a 502 {@code server_error}.
     */
    static final java.util.Set<String> PASSED_THROUGH = java.util.Set.of("gallery_outdated", "gallery_layout");

    static void install(Service s) {
        ErrorMapping.install(s, log, e -> e == null ? "internal error" : "internal error: " + e);
        s.exception(EnrollmentSafety.Refused.class, (e, req, res) -> {
            ObjectNode o = Json.object()
                    .put("error", e.kind() == EnrollmentSafety.Kind.MIXED_PHOTOS ? "mixed_photos" : "new_face")
                    .put("message", e.getMessage()).put("threshold", e.threshold());
            if (!Double.isNaN(e.distance())) o.put("distance", e.distance());
            ArrayNode pairs = o.putArray("pairs");
            for (EnrollmentSafety.Pair p : e.pairs()) pairs.addObject().put("first", p.first() + 1).put("second", p.second() + 1).put("distance", p.distance());
            res.status(409);
            res.body(Json.reply(res, o));
        });
        s.exception(FaceException.class, (e, req, res) -> {
            switch (e.reason()) {
                case NO_FACE -> Json.error(res, 422, "no_face", e.getMessage());
                case LOW_QUALITY -> Json.error(res, 422, "low_quality", e.getMessage());
                case TOO_LARGE -> Json.error(res, 413, "too_large", e.getMessage());
                case EMPTY, NOT_AN_IMAGE, CORRUPT -> Json.error(res, 400, "not_an_image", e.getMessage());
                default -> {
                    log.error("face pipeline failure on {}: {}", req.pathInfo(), e.getMessage());
                    Json.error(res, 500, "face_pipeline", e.getMessage());
                }
            }
        });
        s.exception(ImageException.class, (e, req, res) -> { // the shared loader (detect decodes directly)
            switch (e.reason()) {
                case TOO_LARGE -> Json.error(res, 413, "too_large", e.getMessage());
                case IO -> Json.error(res, 500, "io", e.getMessage());
                default -> Json.error(res, 400, "not_an_image", e.getMessage());
            }
        });
        s.exception(ClientException.class, (e, req, res) -> {
            Throwable c = e.getCause();
            String m = UiRequests.plain(e.getMessage());
            if (c instanceof ConnectException || c instanceof HttpConnectTimeoutException) {
                Json.error(res, 502, "server_down", m);
            } else if (e.status() == 409 && PASSED_THROUGH.contains(e.code())) { // the server's own code: the page says what to run
                Json.error(res, 409, e.code(), m);
            } else if (e.status() == 404) {
                Json.error(res, 404, "not_found", m);
            } else if (e.status() == 400 || e.status() == 413) {
                Json.error(res, 400, "rejected_by_server", m);
            } else {
                Json.error(res, 502, "server_error", m);
            }
        });
        s.exception(CkksException.class, (e, req, res) -> Json.error(res, 502, "bad_server_response",
                "the server's encrypted answer could not be decrypted: " + e.getMessage()));
    }
}
