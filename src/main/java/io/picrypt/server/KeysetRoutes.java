package io.picrypt.server;

import com.fasterxml.jackson.databind.JsonNode;
import io.picrypt.http.ApiException;
import io.picrypt.http.ApiPaths;
import io.picrypt.http.Bodies;
import io.picrypt.http.Json;
import io.picrypt.http.RouteTable;
import io.picrypt.match.MatchParameters;
import io.picrypt.store.EnrollmentStore;
import io.picrypt.store.StoreException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import spark.Request;
import spark.Response;

import java.security.MessageDigest;
import java.time.Instant;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * Keysets: POST /v1/keysets (the one thing an unauthenticated caller can do: registration token, quotas), GET and
 * DELETE /v1/keysets/{id}. A keyset whose creation failed at the commit is removed again, since nobody holds its token.
 */
final class KeysetRoutes {
    private static final Logger log = LoggerFactory.getLogger(KeysetRoutes.class);
    /** Largest body of POST /v1/keysets: a small JSON object. */
    static final long CREATE_BODY_BYTES = 64 << 10;
    private static final Pattern KEY_CHECK = Pattern.compile("[0-9a-f]{32}");

    private final ServerConfig config;
    private final EnrollmentStore store;
    private final Quotas quotas;
    private final KeysetAccess access;
    private final Consumer<String> forget;
    /** Keysets whose creation failed at the commit and whose removal failed too (see undoKeyset). */
    private final Set<String> orphans = ConcurrentHashMap.newKeySet();

    /** @param forget drops every cached or indexed state of a deleted keyset (caches, look-alikes, gallery) */
    KeysetRoutes(ServerConfig config, EnrollmentStore store, Quotas quotas, KeysetAccess access, Consumer<String> forget) {
        this.config = config;
        this.store = store;
        this.quotas = quotas;
        this.access = access;
        this.forget = forget;
    }

    void register(RouteTable r) {
        r.post(ApiPaths.KEYSETS, CREATE_BODY_BYTES, this::create);
        r.delete(ApiPaths.KEYSET, (req, res) -> {
            String id = access.authorize(req);
            store.deleteKeyset(id);
            forget.accept(id);
            return KeysetAccess.noContent(res);
        });
        r.get(ApiPaths.KEYSET, (req, res) -> {
            String id = access.authorize(req);
            var k = store.keyset(id).orElseThrow();
            return Json.reply(res, Json.object().put("keyset", id).put("params", k.paramsFingerprint())
                    .put("created", k.created().toString()).put("key_check", k.keyCheck())
                    .put("gallery_key_check", k.galleryKeyCheck()).put("model", k.model())
                    .put("identities", store.list(id).size()).put("stored_bytes", store.storedBytes(id)));
        });
    }

    private Object create(Request req, Response res) {
        if (config.registrationToken() != null) {
            String presented = req.headers("X-PiCrypt-Registration");
            if (presented == null || !MessageDigest.isEqual(Tokens.hash(presented), Tokens.hash(config.registrationToken()))) {
                throw new ApiException(401, "registration_required", "this server requires its registration token to create a keyset");
            }
        }
        JsonNode body = Json.parseObject(Json.MAPPER, Bodies.read(req, CREATE_BODY_BYTES));
        quotas.admitKeysetCreation(req.ip());
        removeOrphans();
        String params = body.path("params").asText("");
        String expected = MatchParameters.get().fingerprintHex();
        if (!expected.equals(params)) {
            throw new ApiException(400, "unsupported_parameters",
                    "this server evaluates the matching parameters " + expected + "; got '" + params + "'");
        }
        String keyCheck = keyCheck(body, "key_check"), galleryKeyCheck = keyCheck(body, "gallery_key_check");
        String id = Tokens.newKeysetId();
        String token = Tokens.newToken();
        try {
            store.createKeyset(new EnrollmentStore.Keyset(id, Tokens.hash(token), params, Instant.now(), keyCheck, galleryKeyCheck, null));
        } catch (StoreException e) {
            // the commit may have stored the row although it failed: nobody will ever hold its token, so remove it
            if (e.maybeCommitted()) throw undoKeyset(id, e);
            throw e;
        }
        log.info("keyset {} created", id);
        res.status(201);
        return Json.reply(res, Json.object().put("keyset", id).put("token", token).put("params", params));
    }

    /** An optional key-check value: 32 lowercase hex digits (docs/PROTOCOL.md "Integrity"). */
    private static String keyCheck(JsonNode body, String field) {
        JsonNode n = body.get(field);
        if (n == null || n.isNull()) return null;
        String v = n.asText("");
        if (!KEY_CHECK.matcher(v).matches()) throw ApiException.badRequest("'" + field + "' must be 32 lowercase hex digits");
        return v;
    }

    /**
     * A keyset whose creation failed at the commit may still be stored (nobody holds its token): remove it. If the
     * store still fails, the id is kept and removed before the next keyset is created, and the answer says the
     * outcome is unknown.
     */
    private StoreException undoKeyset(String id, StoreException failure) {
        try {
            store.deleteKeyset(id);
            log.info("keyset {}: creation failed at commit; removed", id);
            return new StoreException(failure.kind(), false, failure.getMessage(), failure);
        } catch (RuntimeException again) {
            log.warn("keyset {}: creation failed at commit and could not be undone yet: {}", id, again.getMessage());
            orphans.add(id);
            return failure;
        }
    }

    private void removeOrphans() {
        for (String id : orphans) {
            store.deleteKeyset(id);
            orphans.remove(id);
            log.info("keyset {}: orphan of a failed creation removed", id);
        }
    }
}
