package io.picrypt.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.picrypt.ckks.CkksException;
import io.picrypt.imagediff.DiffRequest;
import io.picrypt.imagediff.ImageDiffException;
import io.picrypt.imagediff.ImageDiffParameters;
import io.picrypt.imagediff.ImageDiffServer;
import io.picrypt.names.IdentityNames;
import io.picrypt.match.GalleryFrames;
import io.picrypt.match.MatchParameters;
import io.picrypt.match.MatchServer;
import io.picrypt.store.EnrollmentStore;
import io.picrypt.store.SqliteStore;
import io.picrypt.store.StoreException;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import spark.Request;
import spark.Response;
import spark.Service;

import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * The evaluation server: a thin HTTP layer over {@link MatchServer} and an {@link EnrollmentStore}. It holds
 * no secret key and never sees an image, an embedding or a distance: it stores ciphertexts, evaluates the
 * matching circuit on them and returns ciphertexts. Every route under /v1/keysets/{id} needs that keyset's
 * bearer token. Errors are JSON {@code {"error": code, "message": text}}; nothing changes on an error.
 */
public final class PiCryptServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(PiCryptServer.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    static final String API_VERSION = "v1";
    private static final String OCTET = "application/octet-stream";
    private static final String KEYSET_ATTRIBUTE = "picrypt.keyset";
    private static final Pattern KEY_CHECK = Pattern.compile("[0-9a-f]{32}");
    private static final Pattern MODEL = Pattern.compile("[\\p{Graph}]{1,100}/[1-9][0-9]{0,4}");

    private final ServerConfig config;
    private final EnrollmentStore store;
    private final boolean ownsStore;
    private final MatchServer match = new MatchServer();
    private final ImageDiffServer imageDiff;
    private final Limits limits;
    private final Quotas quotas;
    /** Image differences computed at once, in all and per keyset (Limits.imageDiffSlots*). */
    private final FairSlots imageDiffSlots;
    /** 1:N identify requests (single probe or batch) computed at once, in all and per keyset (Limits.identifySlots*). */
    private final FairSlots identifySlots;
    /**
     * Loaded 1:N galleries ("b:" + keyset) under one memory budget
     * (Limits.cacheBytes, weighed in KiB); the least recently used are dropped and rebuilt from the store.
     */
    private final Cache<String, Object> caches;
    private HardenedJetty jetty;
    /** Keysets whose creation failed at the commit and whose removal failed too (see undoKeyset). */
    private final java.util.Set<String> orphans = ConcurrentHashMap.newKeySet();
    private Service http;

    private final GalleryService gallery;
    private final LookalikeIndex lookalikes = new LookalikeIndex();

    /** Heap of one gallery block: COLUMNS ciphertexts of 2 x N coefficients at one prime (16 MiB). */
    static final long BLOCK_HEAP_BYTES = (long) io.picrypt.match.GalleryParameters.COLUMNS * 2 * io.picrypt.match.GalleryParameters.N * Long.BYTES;
    /** Heap of a keyset's expansion keys and prepared expansion, measured (docs/BENCHMARKS.md, "Memory"). */
    static final long GALLERY_KEYS_HEAP_BYTES = 6_700_000L;

    private static int weighKiB(Object v) {
        long bytes = v instanceof LocalGalleryService.Loaded b ? b.heapBytes() : 1024;
        return (int) Math.min(Integer.MAX_VALUE, Math.max(1, bytes >> 10));
    }

    public PiCryptServer(ServerConfig config) {
        this(config, config.storeUrl() != null ? io.picrypt.store.PostgresStore.open(config.storeUrl()) : SqliteStore.open(config.dataDir()), true);
    }

    public PiCryptServer(ServerConfig config, EnrollmentStore store, boolean ownsStore) {
        this(config, store, ownsStore, null);
    }

    /**
     * A server whose 1:N gallery is {@code galleries.apply(store)} (e.g. a {@link ClusterGalleryService}), or, when
     * {@code galleries} is null, a {@link LocalGalleryService} in this server's cache budget and quotas; the server
     * closes it. If the factory throws, an owned store is closed and the exception propagates.
     */
    public PiCryptServer(ServerConfig config, EnrollmentStore store, boolean ownsStore,
                         java.util.function.Function<EnrollmentStore, GalleryService> galleries) {
        this.config = config;
        this.store = store;
        this.ownsStore = ownsStore;
        this.imageDiff = new ImageDiffServer(ImageDiffParameters.standard(), config.maxImagePixels());
        this.limits = config.limits();
        this.quotas = new Quotas(limits);
        this.imageDiffSlots = new FairSlots(limits.imageDiffSlots(), limits.imageDiffSlotsPerKeyset());
        this.identifySlots = new FairSlots(limits.identifySlots(), limits.identifySlotsPerKeyset());
        this.caches = Caffeine.newBuilder().maximumWeight(Math.max(1, limits.cacheBytes() >> 10))
                .weigher((String k, Object v) -> weighKiB(v)).build();
        try {
            LocalGalleryService.BlockAdmission quota = (keyset, blocks, bytes) -> quotas.admitGalleryBlock(store, keyset, blocks, bytes);
            this.gallery = galleries != null ? galleries.apply(store) : new LocalGalleryService(store, PiCryptServer::validName, caches, quota);
            if (gallery instanceof ClusterGalleryService c) c.admitWith(quota); // the same keyset quota in a cluster
        } catch (RuntimeException e) {
            if (ownsStore) store.close();
            throw e;
        }
    }

    /** The server on the store its config names, with a clustered gallery when {@code cluster} is not null. */
    public static PiCryptServer open(ServerConfig config, ClusterGalleryService.Settings cluster) {
        if (cluster == null) return new PiCryptServer(config);
        if (config.storeUrl() == null) {
            throw new IllegalArgumentException("a cluster keeps its durable state in PostgreSQL, shared by every member:"
                    + " start the server with --store jdbc:postgresql://... (SQLite is one process's file)");
        }
        return new PiCryptServer(config, io.picrypt.store.PostgresStore.open(config.storeUrl()), true,
                s -> new ClusterGalleryService(s, cluster));
    }

    /** The server's name rule for created names ({@link IdentityNames#normalize}), and the name already in NFC. */
    static boolean validName(String n) {
        try {
            return n != null && IdentityNames.normalize(n).equals(n);
        } catch (IdentityNames.InvalidNameException e) {
            return false;
        }
    }

    /**
     * The largest body a route accepts, for the {@link RequestGate} (which refuses larger ones before reading).
     * Unknown routes get the template limit: they answer 404 once the body is in.
     */
    long bodyLimit(String method, String path) {
        if (path.endsWith("/image-diff")) return config.maxImageDiffBytes();
        if (path.endsWith("/gallery/keys")) return limits.maxEvaluationKeyBytes();
        if (path.endsWith("/gallery/blocks")) return config.maxGalleryBlockBytes();
        if (path.endsWith("/gallery/compact")) return config.maxGalleryBlockBytes() * Math.max(1, limits.maxGalleryBlocks()) + 64;
        if (path.endsWith("/identify/batch")) return BatchIdentify.maxBody(config.maxTemplateBytes());
        if (path.equals("/v1/keysets")) return 64 << 10;
        return config.maxTemplateBytes();
    }

    /** Estimated heap of the evaluation caches now, in bytes (never above Limits.cacheBytes once eviction ran). */
    long cachedBytes() {
        caches.cleanUp();
        return caches.policy().eviction().map(e -> e.weightedSize().orElse(0)).orElse(0L) << 10;
    }

    /** Request bodies held in memory right now (0 when not started). */
    long bufferedBodyBytes() {
        RequestGate g = jetty == null ? null : jetty.gate();
        return g == null ? 0 : g.bufferedBytes();
    }

    public synchronized PiCryptServer start() {
        if (http != null) throw new IllegalStateException("already started");
        jetty = new HardenedJetty(limits, this::bodyLimit);
        Service s = Service.ignite();
        s.embeddedServerIdentifier(jetty.register());
        s.ipAddress(config.host()).port(config.port()).threadPool(config.threads(), 2, 60_000);
        if (config.tlsKeystore() != null) {
            s.secure(config.tlsKeystore().toString(), config.tlsPassword(), null, null);
        }
        routes(s);
        s.init();
        s.awaitInitialization();
        http = s;
        log.info("PiCrypt server listening on {}://{}:{} (store {})", config.tlsKeystore() != null ? "https" : "http",
                config.host(), s.port(), config.dataDir());
        return this;
    }

    public int port() {
        if (http == null) throw new IllegalStateException("not started");
        return http.port();
    }

    public EnrollmentStore store() { return store; }

    @Override
    public synchronized void close() {
        if (http != null) {
            http.stop();
            http.awaitStop();
            http = null;
        }
        gallery.close();
        if (ownsStore) store.close();
    }

    // ------------------------------------------------------------------ routes

    private void routes(Service s) {
        s.get("/v1/health", (req, res) -> json(res, JSON.createObjectNode().put("status", "ok")));
        s.get("/v1/version", (req, res) -> {
            ObjectNode o = JSON.createObjectNode().put("api", API_VERSION).put("server", version());
            o.set("matching", matchingParams());
            return json(res, o);
        });
        s.post("/v1/keysets", this::createKeyset);
        s.delete("/v1/keysets/:id", (req, res) -> {
            String id = authorize(req);
            store.deleteKeyset(id);
            lookalikes.invalidate(id);
            gallery.forget(id);
            res.status(204);
            return "";
        });
        s.get("/v1/keysets/:id", (req, res) -> {
            String id = authorize(req);
            var k = store.keyset(id).orElseThrow();
            ObjectNode o = JSON.createObjectNode().put("keyset", id).put("params", k.paramsFingerprint())
                    .put("created", k.created().toString()).put("key_check", k.keyCheck())
                    .put("gallery_key_check", k.galleryKeyCheck()).put("model", k.model())
                    .put("identities", store.list(id).size()).put("stored_bytes", store.storedBytes(id));
            return json(res, o);
        });
        s.get("/v1/keysets/:id/identities", (req, res) -> {
            String id = authorize(req);
            ArrayNode arr = JSON.createArrayNode();
            for (var i : store.list(id)) {
                arr.addObject().put("name", i.name()).put("templates", i.templates()).put("updated", i.updated().toString());
            }
            ObjectNode o = JSON.createObjectNode();
            o.set("identities", arr);
            return json(res, o);
        });
        s.put("/v1/keysets/:id/identities/:name", this::enroll);
        s.delete("/v1/keysets/:id/identities/:name", (req, res) -> {
            String id = authorize(req);
            String name = name(req);
            lookalikes.invalidate(id);
            if (!store.deleteIdentity(id, name)) throw ApiException.notFound("no identity named '" + name + "'");
            res.status(204);
            return "";
        });
        s.post("/v1/keysets/:id/identities/:name/verify", this::verify);
        s.get("/v1/keysets/:id/identities/:name/templates", (req, res) -> {
            String id = authorize(req);
            String name = name(req);
            List<byte[]> templates = store.templates(id, name);
            if (templates.isEmpty()) throw ApiException.notFound("no identity named '" + name + "'");
            res.type(OCTET);
            return io.picrypt.match.TemplateList.write(templates);
        });
        s.post("/v1/keysets/:id/identify/batch", this::identifyBatch);
        s.post("/v1/keysets/:id/image-diff", this::imageDiff);
        s.put("/v1/keysets/:id/gallery/keys", this::putGalleryKeys);
        s.post("/v1/keysets/:id/gallery/blocks", this::importGalleryBlock);
        s.get("/v1/keysets/:id/gallery", (req, res) -> {
            String id = authorize(req);
            boolean withNames = "true".equals(req.queryParams("names"));
            GalleryService.Info g = gallery.info(id, withNames);
            ObjectNode o = JSON.createObjectNode().put("keys", g.keys())
                    .put("identities", g.identities()).put("blocks", g.blocks()).put("stored_bytes", g.storedBytes());
            if (g.keys() && withNames) {
                ArrayNode names = o.putArray("names");
                for (String n : g.names()) names.add(n);
            }
            if ("true".equals(req.queryParams("cluster")) && gallery instanceof ClusterGalleryService c) {
                o.set("cluster", c.stats(id, "true".equals(req.queryParams("gc")))); // per-member figures (bench cluster)
            }
            return json(res, o);
        });
        s.delete("/v1/keysets/:id/gallery/names/:name", this::deleteFromGallery);
        s.put("/v1/keysets/:id/gallery/names/:name", this::enrollIntoGallery);
        s.post("/v1/keysets/:id/gallery/identify", this::identifyGallery);
        s.get("/v1/keysets/:id/gallery/blocks/:n", (req, res) -> {
            String id = authorize(req);
            int n;
            try {
                n = Integer.parseInt(req.params(":n"));
            } catch (NumberFormatException e) {
                throw ApiException.badRequest("block numbers are whole numbers");
            }
            if (n < 0) throw ApiException.notFound("no gallery block " + n);
            var d = GalleryService.download(store, id, n);
            res.type(OCTET);
            return io.picrypt.match.GalleryCompaction.writeDownload(d.entries(), d.block());
        });
        s.post("/v1/keysets/:id/gallery/compact", (req, res) -> {
            String id = authorize(req);
            checkModel(req, id, true);
            var c = io.picrypt.match.GalleryCompaction.readCompact(body(req, bodyLimit("POST", "/gallery/compact")));
            List<GalleryFrames.Import> imports = new ArrayList<>();
            for (byte[] i : c.imports()) imports.add(GalleryFrames.readImport(i));
            GalleryService.Compacted r = gallery.compact(id, c.expectedBlocks(), imports);
            return json(res, JSON.createObjectNode().put("blocks_before", r.blocksBefore()).put("blocks_after", r.blocksAfter())
                    .put("identities", r.identities()));
        });

        s.exception(ApiException.class, (e, req, res) -> {
            if (e.retryAfterSeconds() > 0) res.header("Retry-After", Long.toString(e.retryAfterSeconds()));
            error(res, e.status(), e.code(), e.getMessage());
        });
        s.exception(ImageDiffException.class, (e, req, res) -> {
            if (e.isClientError()) {
                int status = e.reason() == ImageDiffException.Reason.TOO_LARGE ? 413 : 400;
                error(res, status, "image_diff_" + e.reason().name().toLowerCase(java.util.Locale.ROOT), e.getMessage());
            } else {
                log.error("image difference failed: {}", e.getMessage(), e);
                error(res, 500, "internal", "internal server error");
            }
        });
        s.exception(CkksException.class, (e, req, res) -> error(res, 400, "invalid_ciphertext", e.getMessage()));
        s.exception(IllegalArgumentException.class, (e, req, res) -> error(res, 400, "bad_request", e.getMessage()));
        s.exception(io.picrypt.store.CorruptedDataException.class, (e, req, res) -> {
            log.error("refused to compute on corrupted stored data on {} {}: {}", req.requestMethod(), req.pathInfo(), e.getMessage());
            error(res, 409, "stored_data_corrupted", e.getMessage());
        });
        s.exception(StoreException.class, (e, req, res) -> {
            log.error("store failure on {} {}: {}", req.requestMethod(), req.pathInfo(), e.getMessage());
            storeError(res, e);
        });
        s.exception(Exception.class, (e, req, res) -> {
            log.error("internal error on {} {}", req.requestMethod(), req.pathInfo(), e);
            error(res, 500, "internal", "internal server error");
        });
        // integrity (docs/PROTOCOL.md): every authorized answer names the key-check values the keyset was created with
        s.after((req, res) -> {
            if (req.attribute(KEYSET_ATTRIBUTE) instanceof EnrollmentStore.Keyset k) {
                if (k.keyCheck() != null) res.header("X-PiCrypt-Key-Check", k.keyCheck());
                if (k.galleryKeyCheck() != null) res.header("X-PiCrypt-Gallery-Key-Check", k.galleryKeyCheck());
            }
        });
        s.notFound((req, res) -> errorBody(res, 404, "not_found", "no route " + req.requestMethod() + " " + req.pathInfo()));
        s.internalServerError((req, res) -> errorBody(res, 500, "internal", "internal server error"));
    }

    private Object createKeyset(Request req, Response res) throws IOException {
        if (config.registrationToken() != null) {
            String presented = req.headers("X-PiCrypt-Registration");
            if (presented == null || !java.security.MessageDigest.isEqual(
                    Tokens.hash(presented), Tokens.hash(config.registrationToken()))) {
                throw new ApiException(401, "registration_required", "this server requires its registration token to create a keyset");
            }
        }
        JsonNode body = jsonBody(req, 64 << 10);
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
        return json(res, JSON.createObjectNode().put("keyset", id).put("token", token).put("params", params));
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
     * The embedding model a request's ciphertexts were made with (header X-PiCrypt-Model: "name/dimension").
     * Writes bind the keyset to the model on first use; any request with another model than the keyset's is
     * refused (409 model_mismatch), since distances between embeddings of different models mean nothing.
     */
    private void checkModel(Request req, String id, boolean bind) {
        String model = req.headers("X-PiCrypt-Model");
        if (model == null) return; // clients before issue 10 do not say
        if (!MODEL.matcher(model).matches()) throw ApiException.badRequest("X-PiCrypt-Model must be 'name/dimension'");
        EnrollmentStore.Keyset k = req.attribute(KEYSET_ATTRIBUTE);
        String recorded = k == null ? null : k.model();
        if (recorded == null && bind) recorded = store.bindModel(id, model);
        if (recorded != null && !recorded.equals(model)) {
            throw new ApiException(409, "model_mismatch", "this keyset holds templates of the embedding model " + recorded
                    + "; the request was made with " + model + " (use the same model, or another keyset for this one)");
        }
    }

    private Object enroll(Request req, Response res) {
        String id = authorize(req);
        String name = name(req);
        checkModel(req, id, true);
        String mode = req.queryParamOrDefault("mode", "replace");
        if (!mode.equals("replace") && !mode.equals("add")) throw ApiException.badRequest("mode must be 'replace' or 'add'");
        byte[] ct = body(req, config.maxTemplateBytes());
        long t0 = System.nanoTime();
        match.validateTemplate(ct);
        quotas.admitTemplate(store, id, name, ct.length, () -> store.templates(id, name).isEmpty());
        lookalikes.reserve(id, List.of(name), () -> allNames(id));
        int count;
        try {
            count = store.putTemplate(id, name, ct, mode.equals("replace"), config.maxTemplatesPerName());
        } catch (StoreException e) {
            lookalikes.invalidate(id); // the reservation above may name nothing stored
            if (e.getMessage().contains("limit")) throw new ApiException(409, "too_many_templates", e.getMessage());
            throw e;
        }
        serverTime(res, t0);
        res.status(count == 1 ? 201 : 200);
        return json(res, JSON.createObjectNode().put("name", name).put("templates", count).put("stored_bytes", ct.length));
    }

    private Object verify(Request req, Response res) {
        String id = authorize(req);
        String name = name(req);
        checkModel(req, id, false);
        byte[] probe = body(req, config.maxTemplateBytes());
        long t0 = System.nanoTime();
        var parsed = match.validate(probe);
        List<byte[]> templates = store.templates(id, name);
        if (templates.isEmpty()) throw ApiException.notFound("no identity named '" + name + "'");
        byte[] out = match.verify(templates, parsed);
        serverTime(res, t0);
        res.type(OCTET);
        res.header("X-PiCrypt-Templates", Integer.toString(templates.size()));
        return out;
    }

    /** POST .../identify/batch: every item answered by the gallery identify (see {@link BatchIdentify}), in an identify slot. */
    private Object identifyBatch(Request req, Response res) {
        String id = authorize(req);
        checkModel(req, id, false);
        byte[] body = body(req, BatchIdentify.maxBody(config.maxTemplateBytes()));
        acquireIdentifySlot(id);
        try {
            long t0 = System.nanoTime();
            byte[] out = new BatchIdentify(this::identifyGalleryFrame, config.maxTemplateBytes()).answer(id, body);
            serverTime(res, t0);
            res.type(OCTET);
            return out;
        } finally {
            identifySlots.release(id);
        }
    }

    /**
     * Waits (Limits.identifyWaitMs) for one of the server's identify slots; refuses with 429 when the keyset already
     * computes its share of identifies at once, 503 when the server's slots are all in use (both with Retry-After).
     */
    private void acquireIdentifySlot(String id) {
        try {
            if (identifySlots.acquire(id, limits.identifyWaitMs())) return;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ApiException(503, "busy", "interrupted while waiting for an identify slot");
        }
        if (identifySlots.ownerFull(id)) {
            throw new ApiException(429, "too_many_requests", "this keyset already runs " + limits.identifySlotsPerKeyset()
                    + " identify requests at once; wait for one to finish").retryAfterSeconds(2);
        }
        throw new ApiException(503, "busy", "too many identify requests in progress; try again shortly").retryAfterSeconds(2);
    }

    /** Two encrypted images in (PCDR framing), their encrypted difference (PCID) out; the server sees no pixel. */
    private Object imageDiff(Request req, Response res) {
        String id = authorize(req);
        try {
            if (!imageDiffSlots.acquire(id, limits.imageDiffWaitMs())) {
                throw new ApiException(503, "busy", "too many image differences in progress; try again shortly").retryAfterSeconds(5);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ApiException(503, "busy", "interrupted while waiting for an image-difference slot");
        }
        byte[] out;
        long t0;
        try {
            byte[] body = body(req, config.maxImageDiffBytes());
            t0 = System.nanoTime();
            byte[][] pair = DiffRequest.read(body);
            out = imageDiff.subtract(pair[0], pair[1]);
        } finally {
            imageDiffSlots.release(id);
        }
        serverTime(res, t0);
        log.debug("image difference for {}: {} bytes out", id, out.length);
        res.type(OCTET);
        return out;
    }

    // ------------------------------------------------------------------ bulk gallery (column-packed, for 1:N at scale)

    private Object putGalleryKeys(Request req, Response res) {
        String id = authorize(req);
        gallery.setKeys(id, body(req, limits.maxEvaluationKeyBytes()));
        res.status(204);
        return "";
    }

    private Object importGalleryBlock(Request req, Response res) {
        String id = authorize(req);
        checkModel(req, id, true);
        byte[] body = body(req, config.maxGalleryBlockBytes());
        long t0 = System.nanoTime();
        GalleryFrames.Import imp = GalleryFrames.readImport(body);
        for (String n : imp.names()) {
            try {
                if (!IdentityNames.normalize(n).equals(n)) throw new IdentityNames.InvalidNameException("not in Unicode NFC");
            } catch (IdentityNames.InvalidNameException bad) {
                throw ApiException.badRequest("bad name in the import: " + bad.getMessage());
            }
        }
        lookalikes.reserve(id, imp.names(), () -> allNames(id));
        GalleryService.Imported r;
        try {
            r = gallery.importBlock(id, imp);
        } catch (RuntimeException ex) {
            lookalikes.invalidate(id); // the reservation above may name nothing stored
            throw ex;
        }
        serverTime(res, t0);
        res.status(201);
        return json(res, JSON.createObjectNode().put("block", r.block()).put("identities", r.identities()));
    }

    /** One identity into the gallery: the server expands the enrollment ciphertext into the next free slot. */
    private Object enrollIntoGallery(Request req, Response res) {
        String id = authorize(req);
        String name = name(req);
        checkModel(req, id, true);
        byte[] enrollment = body(req, config.maxTemplateBytes());
        long t0 = System.nanoTime();
        lookalikes.reserve(id, List.of(name), () -> allNames(id));
        GalleryService.Enrolled r;
        try {
            String mode = req.queryParams("mode");
            if (mode != null && !mode.equals("replace") && !mode.equals("new")) throw ApiException.badRequest("mode must be 'new' or 'replace'");
            r = "replace".equals(mode) ? gallery.replace(id, name, enrollment) : gallery.enroll(id, name, enrollment);
        } catch (RuntimeException ex) {
            lookalikes.invalidate(id); // the reservation above may name nothing stored
            throw ex;
        }
        serverTime(res, t0);
        res.status(201);
        return json(res, JSON.createObjectNode().put("name", name).put("block", r.at().block()).put("slot", r.at().slot())
                .put("identities", r.identities()));
    }

    private Object deleteFromGallery(Request req, Response res) {
        String id = authorize(req);
        String name = name(req);
        lookalikes.invalidate(id);
        if (!gallery.delete(id, name)) throw ApiException.notFound("no gallery identity named '" + name + "'");
        res.status(204);
        return "";
    }

    private Object identifyGallery(Request req, Response res) {
        String id = authorize(req);
        checkModel(req, id, false);
        byte[] probe = body(req, config.maxTemplateBytes());
        acquireIdentifySlot(id);
        try {
            long t0 = System.nanoTime();
            byte[] out = identifyGalleryFrame(id, probe);
            serverTime(res, t0);
            res.type(OCTET);
            return out;
        } finally {
            identifySlots.release(id);
        }
    }

    /** The single-probe gallery answer (also each gallery item of a batch): PCGF v2 from the gallery service. */
    private byte[] identifyGalleryFrame(String id, byte[] probe) {
        return GalleryFrames.writeAnswer(gallery.identify(id, probe));
    }

    // ------------------------------------------------------------------ helpers

    /** Server-side compute time of the request (after the body arrived), for clients and benchmarks. */
    private static void serverTime(Response res, long t0) {
        res.header("X-PiCrypt-Server-Ms", String.format(java.util.Locale.ROOT, "%.3f", (System.nanoTime() - t0) / 1e6));
    }

    /** Checks the bearer token against the keyset's stored hash; returns the keyset id. */
    private String authorize(Request req) {
        String id = req.params(":id");
        String auth = req.headers("Authorization");
        if (auth == null || !auth.startsWith("Bearer ") || auth.length() < 8) {
            throw new ApiException(401, "unauthorized", "missing bearer token");
        }
        var keyset = id == null ? null : store.keyset(id).orElse(null);
        if (keyset == null) throw new ApiException(404, "unknown_keyset", "no such keyset");
        if (!Tokens.matches(auth.substring(7).trim(), keyset.tokenHash())) {
            throw new ApiException(403, "forbidden", "the token does not grant access to this keyset");
        }
        req.attribute(KEYSET_ATTRIBUTE, keyset);
        return id;
    }

    /** The path's name in NFC, checked against the shared rule (IdentityNames): strictly where a name is created. */
    private static String name(Request req) {
        try {
            String n = req.params(":name");
            boolean creates = req.requestMethod().equals("PUT");
            return creates ? IdentityNames.normalize(n) : IdentityNames.normalizeForLookup(n);
        } catch (IdentityNames.InvalidNameException e) {
            throw ApiException.badRequest(e.getMessage());
        }
    }

    /** Every name of the keyset (templates and gallery), for the look-alike index. */
    private java.util.Collection<String> allNames(String id) {
        java.util.Set<String> names = new java.util.HashSet<>();
        for (var i : store.list(id)) names.add(i.name());
        for (var n : store.galleryNames(id)) names.add(n.name());
        return names;
    }

    /** Reads at most {@code limit} bytes; larger bodies are refused before being buffered. */
    static byte[] body(Request req, long limit) {
        long declared = req.raw().getContentLengthLong();
        if (declared > limit) throw new ApiException(413, "too_large", "request body of " + declared + " bytes exceeds the limit of " + limit);
        try (InputStream in = req.raw().getInputStream()) {
            byte[] b = in.readNBytes((int) Math.min(limit + 1, Integer.MAX_VALUE - 16));
            if (b.length > limit) throw new ApiException(413, "too_large", "request body exceeds the limit of " + limit + " bytes");
            if (b.length == 0) throw ApiException.badRequest("empty request body");
            return b;
        } catch (IOException e) {
            throw ApiException.badRequest("could not read the request body: " + e.getMessage());
        }
    }

    private static JsonNode jsonBody(Request req, long limit) {
        byte[] b = body(req, limit);
        try {
            JsonNode n = JSON.readTree(b);
            if (n == null || !n.isObject()) throw ApiException.badRequest("expected a JSON object");
            return n;
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw ApiException.badRequest("malformed JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw ApiException.badRequest("malformed JSON");
        }
    }

    private static ObjectNode matchingParams() {
        var p = MatchParameters.get();
        ObjectNode o = JSON.createObjectNode().put("fingerprint", p.fingerprintHex()).put("n", p.n())
                .put("scale_log2", 27).put("dimension", MatchParameters.DIMENSION);
        ArrayNode primes = o.putArray("primes");
        for (int i = 0; i <= p.maxLevel(); i++) primes.add(p.dataPrime(i));
        return o;
    }

    static String version() {
        String v = PiCryptServer.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }

    private static String json(Response res, JsonNode node) {
        res.type("application/json");
        try {
            return JSON.writeValueAsString(node);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void error(Response res, int status, String code, String message) {
        res.status(status);
        res.type("application/json");
        res.body(errorJson(code, message));
    }

    private static String errorBody(Response res, int status, String code, String message) {
        res.status(status);
        res.type("application/json");
        return errorJson(code, message);
    }

    /** A store failure as the client should read it: 507 for a full disk, 503 otherwise; honest about a failed commit. */
    private static void storeError(Response res, StoreException e) {
        String outcome = e.maybeCommitted() ? "; the change may or may not have been stored (check before retrying)" : "; nothing was changed";
        switch (e.kind()) {
            case FULL -> error(res, 507, "insufficient_storage", "the server's storage is full" + outcome);
            case UNAVAILABLE -> {
                res.header("Retry-After", "5");
                error(res, 503, "store_unavailable", "the enrollment store is unavailable" + outcome);
            }
            default -> error(res, 500, "store_error", "the enrollment store failed" + outcome);
        }
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

    static String errorJson(String code, String message) {
        ObjectNode o = JSON.createObjectNode().put("error", code).put("message", message == null ? code : message);
        return o.toString();
    }
}
