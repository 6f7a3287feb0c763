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
import io.picrypt.match.GalleryParameters;
import io.picrypt.match.GalleryServer;
import io.picrypt.match.IdentifyFrame;
import io.picrypt.match.MatchParameters;
import io.picrypt.match.MatchServer;
import io.picrypt.store.EnrollmentStore;
import io.picrypt.store.SqliteStore;
import io.picrypt.store.StoreException;
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

    private final ServerConfig config;
    private final EnrollmentStore store;
    private final boolean ownsStore;
    private final MatchServer match = new MatchServer();
    private final ConcurrentHashMap<String, CachedGallery> galleries = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Object> galleryLocks = new ConcurrentHashMap<>();
    private final ImageDiffServer imageDiff;
    /** Image-difference bodies are up to 320 MiB: at most two are buffered at a time, the rest wait or get 503. */
    private final java.util.concurrent.Semaphore imageDiffSlots = new java.util.concurrent.Semaphore(2, true);
    private Service http;

    /** A keyset's bulk gallery in memory: the evaluator built from its keys, its blocks, and who is where. */
    private record BulkGallery(GalleryServer server, List<GalleryServer.Block> blocks, List<GalleryFrames.Entry> entries) {}

    private final ConcurrentHashMap<String, BulkGallery> bulk = new ConcurrentHashMap<>();
    private final LookalikeIndex lookalikes = new LookalikeIndex();

    private record CachedGallery(long generation, List<IdentifyFrame.Entry> entries, MatchServer.Gallery gallery) {}

    public PiCryptServer(ServerConfig config) {
        this(config, config.storeUrl() != null ? io.picrypt.store.PostgresStore.open(config.storeUrl()) : SqliteStore.open(config.dataDir()), true);
    }

    public PiCryptServer(ServerConfig config, EnrollmentStore store, boolean ownsStore) {
        this.config = config;
        this.store = store;
        this.ownsStore = ownsStore;
        this.imageDiff = new ImageDiffServer(ImageDiffParameters.standard(), config.maxImagePixels());
    }

    public synchronized PiCryptServer start() {
        if (http != null) throw new IllegalStateException("already started");
        Service s = Service.ignite().ipAddress(config.host()).port(config.port())
                .threadPool(config.threads(), 2, 60_000);
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
            galleries.remove(id);
            bulk.remove(id);
            res.status(204);
            return "";
        });
        s.get("/v1/keysets/:id", (req, res) -> {
            String id = authorize(req);
            var k = store.keyset(id).orElseThrow();
            ObjectNode o = JSON.createObjectNode().put("keyset", id).put("params", k.paramsFingerprint())
                    .put("created", k.created().toString())
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
        s.post("/v1/keysets/:id/identify", this::identify);
        s.post("/v1/keysets/:id/identify/batch", this::identifyBatch);
        s.post("/v1/keysets/:id/image-diff", this::imageDiff);
        s.put("/v1/keysets/:id/gallery/keys", this::putGalleryKeys);
        s.post("/v1/keysets/:id/gallery/blocks", this::importGalleryBlock);
        s.get("/v1/keysets/:id/gallery", (req, res) -> {
            String id = authorize(req);
            var g = bulkGallery(id, false);
            ObjectNode o = JSON.createObjectNode().put("keys", g != null)
                    .put("identities", g == null ? 0 : g.entries().size()).put("blocks", g == null ? 0 : g.blocks().size())
                    .put("stored_bytes", store.galleryBytes(id));
            if (g != null && "true".equals(req.queryParams("names"))) {
                ArrayNode names = o.putArray("names");
                for (GalleryFrames.Entry e : g.entries()) names.add(e.name());
            }
            return json(res, o);
        });
        s.delete("/v1/keysets/:id/gallery/names/:name", this::deleteFromGallery);
        s.put("/v1/keysets/:id/gallery/names/:name", this::enrollIntoGallery);
        s.post("/v1/keysets/:id/gallery/identify", this::identifyGallery);

        s.exception(ApiException.class, (e, req, res) -> error(res, e.status(), e.code(), e.getMessage()));
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
        s.exception(StoreException.class, (e, req, res) -> {
            log.error("store failure on {} {}: {}", req.requestMethod(), req.pathInfo(), e.getMessage());
            error(res, 500, "store_error", "the enrollment store failed; nothing was changed");
        });
        s.exception(Exception.class, (e, req, res) -> {
            log.error("internal error on {} {}", req.requestMethod(), req.pathInfo(), e);
            error(res, 500, "internal", "internal server error");
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
        String params = body.path("params").asText("");
        String expected = MatchParameters.get().fingerprintHex();
        if (!expected.equals(params)) {
            throw new ApiException(400, "unsupported_parameters",
                    "this server evaluates the matching parameters " + expected + "; got '" + params + "'");
        }
        String id = Tokens.newKeysetId();
        String token = Tokens.newToken();
        store.createKeyset(new EnrollmentStore.Keyset(id, Tokens.hash(token), params, Instant.now()));
        log.info("keyset {} created", id);
        res.status(201);
        return json(res, JSON.createObjectNode().put("keyset", id).put("token", token).put("params", params));
    }

    private Object enroll(Request req, Response res) {
        String id = authorize(req);
        String name = name(req);
        String mode = req.queryParamOrDefault("mode", "replace");
        if (!mode.equals("replace") && !mode.equals("add")) throw ApiException.badRequest("mode must be 'replace' or 'add'");
        byte[] ct = body(req, config.maxTemplateBytes());
        long t0 = System.nanoTime();
        match.validateTemplate(ct);
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

    private Object identify(Request req, Response res) {
        String id = authorize(req);
        byte[] probe = body(req, config.maxTemplateBytes());
        long t0 = System.nanoTime();
        byte[] out = identifyFrame(id, probe);
        serverTime(res, t0);
        res.type(OCTET);
        return out;
    }

    /** The single-probe identify answer (also each item of a batch). */
    private byte[] identifyFrame(String id, byte[] probe) {
        var parsed = match.validate(probe);
        CachedGallery g = gallery(id);
        byte[] envelope = match.identify(g.gallery(), parsed);
        return IdentifyFrame.write(g.entries(), envelope);
    }

    /** POST .../identify/batch: every item answered by the single-probe code (see {@link BatchIdentify}). */
    private Object identifyBatch(Request req, Response res) {
        String id = authorize(req);
        byte[] body = body(req, BatchIdentify.maxBody(config.maxTemplateBytes()));
        long t0 = System.nanoTime();
        byte[] out = new BatchIdentify(this::identifyFrame, this::identifyGalleryFrame, config.maxTemplateBytes()).answer(id, body);
        serverTime(res, t0);
        res.type(OCTET);
        return out;
    }

    /** Two encrypted images in (PCDR framing), their encrypted difference (PCID) out; the server sees no pixel. */
    private Object imageDiff(Request req, Response res) {
        String id = authorize(req);
        try {
            if (!imageDiffSlots.tryAcquire(60, java.util.concurrent.TimeUnit.SECONDS)) {
                throw new ApiException(503, "busy", "too many image differences in progress; try again shortly");
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
            imageDiffSlots.release();
        }
        serverTime(res, t0);
        log.debug("image difference for {}: {} bytes out", id, out.length);
        res.type(OCTET);
        return out;
    }

    // ------------------------------------------------------------------ bulk gallery (column-packed, for 1:N at scale)

    private Object putGalleryKeys(Request req, Response res) {
        String id = authorize(req);
        byte[] keys = body(req, 64L << 20);
        GalleryServer gs = new GalleryServer(keys); // validates: exactly the expansion keys, our parameters
        synchronized (galleryLocks.computeIfAbsent("bulk:" + id, k -> new Object())) {
            store.setEvaluationKeys(id, keys);
            bulk.remove(id);
            bulk.put(id, loadBulk(id, gs));
        }
        res.status(204);
        return "";
    }

    private Object importGalleryBlock(Request req, Response res) {
        String id = authorize(req);
        byte[] body = body(req, config.maxGalleryBlockBytes());
        long t0 = System.nanoTime();
        GalleryFrames.Import imp = GalleryFrames.readImport(body);
        synchronized (galleryLocks.computeIfAbsent("bulk:" + id, k -> new Object())) {
            BulkGallery g = bulkGallery(id, true);
            java.util.Set<String> seen = new java.util.HashSet<>();
            for (GalleryFrames.Entry e : g.entries()) seen.add(e.name());
            for (String n : imp.names()) {
                try {
                    if (!IdentityNames.normalize(n).equals(n)) throw new IdentityNames.InvalidNameException("not in Unicode NFC");
                } catch (IdentityNames.InvalidNameException bad) {
                    throw ApiException.badRequest("bad name in the import: " + bad.getMessage());
                }
                if (!seen.add(n)) throw new ApiException(409, "duplicate_name", "'" + n + "' is already in the gallery or twice in the import");
            }
            lookalikes.reserve(id, imp.names(), () -> allNames(id));
            GalleryServer.Block block = g.server().importBlock(imp.block());
            if (block.liveCount() != imp.names().size()) {
                throw ApiException.badRequest("the block holds " + block.liveCount() + " identities but " + imp.names().size() + " names were given");
            }
            int no = store.addGalleryBlock(id, block.toBytes(), imp.names());
            if (no != g.blocks().size()) {
                bulk.remove(id);
                throw new IllegalStateException("gallery block numbering out of step; reloaded");
            }
            List<GalleryServer.Block> blocks = new ArrayList<>(g.blocks());
            blocks.add(block);
            List<GalleryFrames.Entry> entries = new ArrayList<>(g.entries());
            for (int i = 0; i < imp.names().size(); i++) entries.add(new GalleryFrames.Entry(no * GalleryParameters.BLOCK_CAPACITY + i, imp.names().get(i)));
            bulk.put(id, new BulkGallery(g.server(), List.copyOf(blocks), List.copyOf(entries)));
            serverTime(res, t0);
            res.status(201);
            return json(res, JSON.createObjectNode().put("block", no).put("identities", entries.size()));
        }
    }

    /** One identity into the gallery: the server expands the enrollment ciphertext into the next free slot. */
    private Object enrollIntoGallery(Request req, Response res) {
        String id = authorize(req);
        String name = name(req);
        byte[] enrollment = body(req, config.maxTemplateBytes());
        long t0 = System.nanoTime();
        synchronized (galleryLocks.computeIfAbsent("bulk:" + id, k -> new Object())) {
            BulkGallery g = bulkGallery(id, true);
            if (g.entries().stream().anyMatch(e -> e.name().equals(name))) {
                throw new ApiException(409, "duplicate_name", "'" + name + "' is already in the gallery (delete it first)");
            }
            lookalikes.reserve(id, List.of(name), () -> allNames(id));
            List<GalleryServer.Block> blocks = new ArrayList<>(g.blocks());
            int no = blocks.size() - 1;
            GalleryServer.Block block = no >= 0 ? blocks.get(no) : null;
            if (block == null || block.firstFreeSlot() < 0) {
                block = g.server().newBlock();
                blocks.add(block);
                no = blocks.size() - 1;
            }
            int slot = block.firstFreeSlot();
            g.server().enroll(block, slot, enrollment); // validates; publishes a new snapshot of the block
            try {
                store.putGalleryName(id, no, block.toBytes(), name, slot);
            } catch (RuntimeException ex) {
                lookalikes.invalidate(id);
                bulk.remove(id); // memory is ahead of the store: reload from the store, which is unchanged
                throw ex;
            }
            List<GalleryFrames.Entry> entries = new ArrayList<>(g.entries());
            entries.add(new GalleryFrames.Entry(no * GalleryParameters.BLOCK_CAPACITY + slot, name));
            bulk.put(id, new BulkGallery(g.server(), List.copyOf(blocks), List.copyOf(entries)));
            serverTime(res, t0);
            res.status(201);
            return json(res, JSON.createObjectNode().put("name", name).put("block", no).put("slot", slot).put("identities", entries.size()));
        }
    }

    private Object deleteFromGallery(Request req, Response res) {
        String id = authorize(req);
        String name = name(req);
        synchronized (galleryLocks.computeIfAbsent("bulk:" + id, k -> new Object())) {
            BulkGallery g = bulkGallery(id, true);
            GalleryFrames.Entry e = g.entries().stream().filter(x -> x.name().equals(name)).findFirst()
                    .orElseThrow(() -> ApiException.notFound("no gallery identity named '" + name + "'"));
            int no = e.position() / GalleryParameters.BLOCK_CAPACITY;
            GalleryServer.Block block = g.blocks().get(no);
            lookalikes.invalidate(id);
            g.server().delete(block, e.position() % GalleryParameters.BLOCK_CAPACITY);
            try {
                store.removeFromGallery(id, no, block.toBytes(), name);
            } catch (RuntimeException ex) {
                bulk.remove(id); // the in-memory block was tombstoned: reload from the store, which is unchanged
                throw ex;
            }
            List<GalleryFrames.Entry> entries = new ArrayList<>(g.entries());
            entries.remove(e);
            bulk.put(id, new BulkGallery(g.server(), g.blocks(), List.copyOf(entries)));
        }
        res.status(204);
        return "";
    }

    private Object identifyGallery(Request req, Response res) {
        String id = authorize(req);
        byte[] probe = body(req, config.maxTemplateBytes());
        long t0 = System.nanoTime();
        byte[] out = identifyGalleryFrame(id, probe);
        serverTime(res, t0);
        res.type(OCTET);
        return out;
    }

    /** The single-probe gallery answer (also each gallery item of a batch). */
    private byte[] identifyGalleryFrame(String id, byte[] probe) {
        BulkGallery g = bulkGallery(id, true);
        // an empty gallery answers without expanding the probe (the expansion is most of the cost)
        byte[] result = g.blocks().isEmpty()
                ? io.picrypt.match.GalleryResult.write(List.of(), List.of(), GalleryParameters.get())
                : g.server().identify(g.blocks(), probe);
        return GalleryFrames.writeAnswer(g.entries(), result);
    }

    /** The keyset's bulk gallery (loaded from the store on first use); null or 409 when no keys were uploaded. */
    private BulkGallery bulkGallery(String id, boolean required) {
        BulkGallery g = bulk.get(id);
        if (g != null) return g;
        synchronized (galleryLocks.computeIfAbsent("bulk:" + id, k -> new Object())) {
            g = bulk.get(id);
            if (g != null) return g;
            byte[] keys = store.evaluationKeys(id).orElse(null);
            if (keys == null) {
                if (required) throw new ApiException(409, "no_gallery_keys", "upload the gallery evaluation keys first (PUT .../gallery/keys)");
                return null;
            }
            g = loadBulk(id, new GalleryServer(keys));
            bulk.put(id, g);
            return g;
        }
    }

    private BulkGallery loadBulk(String id, GalleryServer gs) {
        List<GalleryServer.Block> blocks = new ArrayList<>();
        for (var b : store.galleryBlocks(id)) blocks.add(gs.readBlock(b.data()));
        List<GalleryFrames.Entry> entries = new ArrayList<>();
        for (var n : store.galleryNames(id)) entries.add(new GalleryFrames.Entry(n.block() * GalleryParameters.BLOCK_CAPACITY + n.slot(), n.name()));
        return new BulkGallery(gs, List.copyOf(blocks), List.copyOf(entries));
    }

    /** The packed gallery, rebuilt when the keyset's identities changed since it was packed. */
    private CachedGallery gallery(String id) {
        long gen = store.generation(id);
        CachedGallery c = galleries.get(id);
        if (c != null && c.generation() == gen) return c;
        synchronized (galleryLocks.computeIfAbsent(id, k -> new Object())) {
            gen = store.generation(id);
            c = galleries.get(id);
            if (c != null && c.generation() == gen) return c;
            var all = store.allTemplates(id);
            List<IdentifyFrame.Entry> entries = new ArrayList<>();
            List<byte[]> cts = new ArrayList<>(all.size());
            for (var t : all) {
                cts.add(t.ciphertext());
                int last = entries.size() - 1;
                if (last >= 0 && entries.get(last).name().equals(t.name())) {
                    entries.set(last, new IdentifyFrame.Entry(t.name(), entries.get(last).templates() + 1));
                } else {
                    entries.add(new IdentifyFrame.Entry(t.name(), 1));
                }
            }
            c = new CachedGallery(gen, entries, match.gallery(cts));
            galleries.put(id, c);
            return c;
        }
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

    static String errorJson(String code, String message) {
        ObjectNode o = JSON.createObjectNode().put("error", code).put("message", message == null ? code : message);
        return o.toString();
    }
}
