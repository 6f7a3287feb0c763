package io.picrypt.server;

import io.picrypt.http.ApiException;
import io.picrypt.match.BatchFrames;

import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;

/**
 * POST /v1/keysets/{id}/identify/batch: several probes (e.g. every face of a group photo) in one request,
 * one answer. A thin layer: each item goes through the same code as the single-probe route
 * (POST .../gallery/identify, the one 1:N path) and its answer is that route's answer, so a group photo of
 * ten people costs one round trip and nothing new is computed or revealed. The route runs in one of the
 * server's identify slots (Limits.identifySlots*), like a single identify.
 */
final class BatchIdentify {
    private final BiFunction<String, byte[], byte[]> gallery;
    private final long maxProbeBytes;

    /**
     * {@code gallery}: keyset id + single probe -> the single route's answer body;
     * {@code maxProbeBytes}: the single route's body limit, applied to each item.
     */
    BatchIdentify(BiFunction<String, byte[], byte[]> gallery, long maxProbeBytes) {
        this.gallery = gallery;
        this.maxProbeBytes = maxProbeBytes;
    }

    /** Largest accepted body for a per-probe limit: every item at the limit plus framing. */
    static long maxBody(long maxProbeBytes) { return BatchFrames.MAX_ITEMS * (maxProbeBytes + 5) + 7; }

    /** Answers a parsed batch; a malformed frame is a MalformedFrameException (400 malformed_frame). */
    byte[] answer(String keyset, byte[] body) {
        List<BatchFrames.Item> items = BatchFrames.readRequest(body);
        List<BatchFrames.Item> out = new ArrayList<>(items.size());
        for (BatchFrames.Item i : items) {
            if (i.body().length > maxProbeBytes) {
                throw new ApiException(413, "too_large", "a batch item of " + i.body().length + " bytes exceeds the per-probe limit of " + maxProbeBytes);
            }
            if (i.kind() != BatchFrames.GALLERY) {
                throw ApiException.badRequest("batch item kind " + i.kind() + " (template identify) no longer exists: send gallery probes (kind "
                        + BatchFrames.GALLERY + ")");
            }
        }
        for (BatchFrames.Item i : items) {
            byte[] a = gallery.apply(keyset, i.body());
            out.add(new BatchFrames.Item(i.kind(), a));
        }
        return BatchFrames.writeAnswer(out);
    }
}
