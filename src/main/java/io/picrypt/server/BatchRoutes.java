package io.picrypt.server;

import io.picrypt.http.ApiPaths;
import io.picrypt.http.Bodies;
import io.picrypt.http.RouteTable;

import java.util.function.BiFunction;

/** POST /v1/keysets/{id}/identify/batch: every item answered by a single-probe route's code (see {@link BatchIdentify}). */
final class BatchRoutes {
    private final ServerConfig config;
    private final KeysetAccess access;
    private final BatchIdentify batch;

    /** {@code templates} / {@code gallery}: keyset id + single probe -> that single route's answer body. */
    BatchRoutes(ServerConfig config, KeysetAccess access, BiFunction<String, byte[], byte[]> templates,
                BiFunction<String, byte[], byte[]> gallery) {
        this.config = config;
        this.access = access;
        this.batch = new BatchIdentify(templates, gallery, config.maxTemplateBytes());
    }

    void register(RouteTable r) {
        long max = BatchIdentify.maxBody(config.maxTemplateBytes());
        r.post(ApiPaths.keyset(ApiPaths.IDENTIFY_BATCH), max, (req, res) -> {
            String id = access.authorize(req);
            access.checkModel(req, id, false);
            byte[] body = Bodies.read(req, max);
            long t0 = System.nanoTime();
            byte[] out = batch.answer(id, body);
            KeysetAccess.serverTime(res, t0);
            return KeysetAccess.octets(res, out);
        });
    }
}
