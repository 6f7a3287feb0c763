package io.picrypt.server;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.benmanes.caffeine.cache.Cache;
import io.picrypt.http.ApiException;
import io.picrypt.http.ApiPaths;
import io.picrypt.http.Bodies;
import io.picrypt.http.Json;
import io.picrypt.http.RouteTable;
import io.picrypt.match.IdentifyFrame;
import io.picrypt.match.MatchServer;
import io.picrypt.match.TemplateList;
import io.picrypt.store.EnrollmentStore;
import io.picrypt.store.StoreException;
import spark.Request;
import spark.Response;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * 1:1 templates of a keyset: list, enroll (replace or add), delete, verify against a name, fetch a name's templates,
 * and identify against every template (packed per keyset, cached while the keyset's generation stands).
 */
final class TemplateRoutes {
    private final ServerConfig config;
    private final EnrollmentStore store;
    private final Quotas quotas;
    private final KeysetAccess access;
    private final NameReservations names;
    /** The server's cache budget; packed galleries live under "p:" + keyset. */
    private final Cache<String, Object> caches;
    private final MatchServer match = new MatchServer();
    private final ConcurrentHashMap<String, Object> packLocks = new ConcurrentHashMap<>();

    record CachedGallery(long generation, List<IdentifyFrame.Entry> entries, MatchServer.Gallery gallery, long bytes) {}

    TemplateRoutes(ServerConfig config, EnrollmentStore store, Quotas quotas, KeysetAccess access, NameReservations names,
                   Cache<String, Object> caches) {
        this.config = config;
        this.store = store;
        this.quotas = quotas;
        this.access = access;
        this.names = names;
        this.caches = caches;
    }

    void register(RouteTable r) {
        long maxTemplate = config.maxTemplateBytes();
        r.get(ApiPaths.keyset(ApiPaths.IDENTITIES), this::list);
        r.put(ApiPaths.keyset(ApiPaths.IDENTITY), maxTemplate, this::enroll);
        r.delete(ApiPaths.keyset(ApiPaths.IDENTITY), (req, res) -> {
            String id = access.authorize(req);
            String name = KeysetAccess.name(req);
            names.invalidate(id);
            if (!store.deleteIdentity(id, name)) throw ApiException.notFound("no identity named '" + name + "'");
            return KeysetAccess.noContent(res);
        });
        r.post(ApiPaths.keyset(ApiPaths.VERIFY), maxTemplate, this::verify);
        r.get(ApiPaths.keyset(ApiPaths.TEMPLATES), (req, res) -> {
            String id = access.authorize(req);
            String name = KeysetAccess.name(req);
            List<byte[]> templates = store.templates(id, name);
            if (templates.isEmpty()) throw ApiException.notFound("no identity named '" + name + "'");
            return KeysetAccess.octets(res, TemplateList.write(templates));
        });
        r.post(ApiPaths.keyset(ApiPaths.IDENTIFY), maxTemplate, this::identify);
    }

    /** Drops the keyset's packed gallery (after the keyset is deleted). */
    void forget(String id) { caches.invalidate("p:" + id); }

    private Object list(Request req, Response res) {
        String id = access.authorize(req);
        ObjectNode o = Json.object();
        ArrayNode arr = o.putArray("identities");
        for (var i : store.list(id)) {
            arr.addObject().put("name", i.name()).put("templates", i.templates()).put("updated", i.updated().toString());
        }
        return Json.reply(res, o);
    }

    private Object enroll(Request req, Response res) {
        String id = access.authorize(req);
        String name = KeysetAccess.name(req);
        access.checkModel(req, id, true);
        String mode = req.queryParamOrDefault("mode", "replace");
        if (!mode.equals("replace") && !mode.equals("add")) throw ApiException.badRequest("mode must be 'replace' or 'add'");
        byte[] ct = Bodies.read(req, config.maxTemplateBytes());
        long t0 = System.nanoTime();
        match.validateTemplate(ct);
        quotas.admitTemplate(store, id, name, ct.length, () -> store.templates(id, name).isEmpty());
        int count = names.write(id, List.of(name), () -> {
            try {
                return store.putTemplate(id, name, ct, mode.equals("replace"), config.maxTemplatesPerName());
            } catch (StoreException e) {
                if (e.kind() == StoreException.Kind.LIMIT) throw new ApiException(409, "too_many_templates", e.getMessage());
                throw e;
            }
        });
        KeysetAccess.serverTime(res, t0);
        res.status(count == 1 ? 201 : 200);
        return Json.reply(res, Json.object().put("name", name).put("templates", count).put("stored_bytes", ct.length));
    }

    private Object verify(Request req, Response res) {
        String id = access.authorize(req);
        String name = KeysetAccess.name(req);
        access.checkModel(req, id, false);
        byte[] probe = Bodies.read(req, config.maxTemplateBytes());
        long t0 = System.nanoTime();
        var parsed = match.validate(probe);
        List<byte[]> templates = store.templates(id, name);
        if (templates.isEmpty()) throw ApiException.notFound("no identity named '" + name + "'");
        byte[] out = match.verify(templates, parsed);
        KeysetAccess.serverTime(res, t0);
        res.header("X-PiCrypt-Templates", Integer.toString(templates.size()));
        return KeysetAccess.octets(res, out);
    }

    private Object identify(Request req, Response res) {
        String id = access.authorize(req);
        access.checkModel(req, id, false);
        byte[] probe = Bodies.read(req, config.maxTemplateBytes());
        long t0 = System.nanoTime();
        byte[] out = identifyFrame(id, probe);
        KeysetAccess.serverTime(res, t0);
        return KeysetAccess.octets(res, out);
    }

    /** The single-probe identify answer (also each item of a batch). */
    byte[] identifyFrame(String id, byte[] probe) {
        var parsed = match.validate(probe);
        CachedGallery g = packed(id);
        byte[] envelope = match.identify(g.gallery(), parsed);
        return IdentifyFrame.write(g.entries(), envelope);
    }

    /** The packed gallery, rebuilt when the keyset's identities changed since it was packed. */
    private CachedGallery packed(String id) {
        long gen = store.generation(id);
        CachedGallery c = (CachedGallery) caches.getIfPresent("p:" + id);
        if (c != null && c.generation() == gen) return c;
        synchronized (packLocks.computeIfAbsent(id, k -> new Object())) {
            gen = store.generation(id);
            c = (CachedGallery) caches.getIfPresent("p:" + id);
            if (c != null && c.generation() == gen) return c;
            var all = store.allTemplates(id);
            List<IdentifyFrame.Entry> entries = new ArrayList<>();
            List<byte[]> cts = new ArrayList<>(all.size());
            long bytes = 0;
            for (var t : all) {
                cts.add(t.ciphertext());
                bytes += t.ciphertext().length;
                int last = entries.size() - 1;
                if (last >= 0 && entries.get(last).name().equals(t.name())) {
                    entries.set(last, new IdentifyFrame.Entry(t.name(), entries.get(last).templates() + 1));
                } else {
                    entries.add(new IdentifyFrame.Entry(t.name(), 1));
                }
            }
            // packing sums TEMPLATES_PER_CIPHERTEXT templates into one ciphertext: the heap is at most the templates' bytes
            c = new CachedGallery(gen, entries, match.gallery(cts), bytes);
            caches.put("p:" + id, c);
            return c;
        }
    }
}
