package io.picrypt.server;

import io.picrypt.http.ApiPaths;
import io.picrypt.http.Bodies;
import io.picrypt.http.RouteTable;

import java.util.function.BiFunction;

/**
 * POST /v1/keysets/{id}/identify/batch: every item answered by the gallery identify's code (see {@link BatchIdentify}),
 * the whole batch in one identify slot.
 */
final class BatchRoutes {
    private final ServerConfig config;
    private final KeysetAccess access;
    private final IdentifySlots slots;
    private final BatchIdentify batch;

    /** {@code gallery}: keyset id + single probe -> the gallery identify's answer body. */
    BatchRoutes(ServerConfig config, KeysetAccess access, IdentifySlots slots, BiFunction<String, byte[], byte[]> gallery) {
        this.config = config;
        this.access = access;
        this.slots = slots;
        this.batch = new BatchIdentify(gallery, config.maxTemplateBytes());
    }

    void register(RouteTable r) {
        long max = BatchIdentify.maxBody(config.maxTemplateBytes());
        r.post(ApiPaths.keyset(ApiPaths.IDENTIFY_BATCH), max, (req, res) -> {
            String id = access.authorize(req);
            access.checkModel(req, id, false);
            KeysetAccess.checkGalleryLayout(req);
            byte[] body = Bodies.read(req, max);
            return slots.run(id, () -> {
                long t0 = System.nanoTime();
                byte[] out = batch.answer(id, body);
                KeysetAccess.serverTime(res, t0);
                return KeysetAccess.octets(res, out);
            });
        });
    }
}
