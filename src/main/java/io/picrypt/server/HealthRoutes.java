package io.picrypt.server;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.picrypt.http.ApiPaths;
import io.picrypt.http.Json;
import io.picrypt.http.RouteTable;
import io.picrypt.match.MatchParameters;

/** GET /v1/health and GET /v1/version: no token, no store, no queue (the request gate lets them skip it). */
final class HealthRoutes {
    static final String API_VERSION = "v1";

    private HealthRoutes() {}

    static void register(RouteTable r) {
        r.get(ApiPaths.HEALTH, (req, res) -> Json.reply(res, Json.object().put("status", "ok")));
        r.get(ApiPaths.VERSION, (req, res) -> {
            ObjectNode o = Json.object().put("api", API_VERSION).put("server", version());
            o.set("matching", matchingParams());
            return Json.reply(res, o);
        });
    }

    /** The jar's Implementation-Version, or "dev" outside a jar. */
    static String version() {
        String v = PiCryptServer.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }

    private static ObjectNode matchingParams() {
        var p = MatchParameters.get();
        ObjectNode o = Json.object().put("fingerprint", p.fingerprintHex()).put("n", p.n())
                .put("scale_log2", 27).put("dimension", MatchParameters.DIMENSION);
        ArrayNode primes = o.putArray("primes");
        for (int i = 0; i <= p.maxLevel(); i++) primes.add(p.dataPrime(i));
        return o;
    }
}
