package io.picrypt.server;

import io.picrypt.http.ApiException;
import io.picrypt.http.ApiPaths;
import io.picrypt.http.Bodies;
import io.picrypt.http.RouteTable;
import io.picrypt.imagediff.DiffRequest;
import io.picrypt.imagediff.ImageDiffParameters;
import io.picrypt.imagediff.ImageDiffEvaluator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import spark.Request;
import spark.Response;

/**
 * POST /v1/keysets/{id}/image-diff: two encrypted images in (PCDR framing), their encrypted difference (PCID) out;
 * the server sees no pixel. At most Limits.imageDiffSlots computed at once, and imageDiffSlotsPerKeyset per keyset
 * (503 busy + Retry-After after imageDiffWaitMs); the slot is taken after the body arrived (the request gate reads it).
 */
final class ImageDiffRoutes {
    private static final Logger log = LoggerFactory.getLogger(ImageDiffRoutes.class);

    private final ServerConfig config;
    private final Limits limits;
    private final KeysetAccess access;
    private final ImageDiffEvaluator imageDiff;
    private final FairSlots slots;

    ImageDiffRoutes(ServerConfig config, KeysetAccess access) {
        this.config = config;
        this.limits = config.limits();
        this.access = access;
        this.imageDiff = new ImageDiffEvaluator(ImageDiffParameters.standard(), config.maxImagePixels());
        this.slots = new FairSlots(limits.imageDiffSlots(), limits.imageDiffSlotsPerKeyset());
    }

    void register(RouteTable r) {
        r.post(ApiPaths.keyset(ApiPaths.IMAGE_DIFF), config.maxImageDiffBytes(), this::imageDiff);
    }

    private Object imageDiff(Request req, Response res) {
        String id = access.authorize(req);
        try {
            if (!slots.acquire(id, limits.imageDiffWaitMs())) {
                throw new ApiException(503, "busy", "too many image differences in progress; try again shortly").retryAfterSeconds(5);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ApiException(503, "busy", "interrupted while waiting for an image-difference slot");
        }
        byte[] out;
        long t0;
        try {
            byte[] body = Bodies.read(req, config.maxImageDiffBytes());
            t0 = System.nanoTime();
            byte[][] pair = DiffRequest.read(body);
            out = imageDiff.subtract(pair[0], pair[1]);
        } finally {
            slots.release(id);
        }
        KeysetAccess.serverTime(res, t0);
        log.debug("image difference for {}: {} bytes out", id, out.length);
        return KeysetAccess.octets(res, out);
    }
}
