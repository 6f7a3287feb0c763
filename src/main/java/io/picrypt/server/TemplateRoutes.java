package io.picrypt.server;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.picrypt.http.ApiException;
import io.picrypt.http.ApiPaths;
import io.picrypt.http.Bodies;
import io.picrypt.http.Json;
import io.picrypt.http.RouteTable;
import io.picrypt.match.MatchEvaluator;
import io.picrypt.match.TemplateList;
import io.picrypt.store.EnrollmentStore;
import io.picrypt.store.StoreException;
import spark.Request;
import spark.Response;

import java.util.List;

/**
 * 1:1 templates of a keyset: list, enroll (replace or add), delete, verify against a name, fetch a name's templates.
 * (1:N identification is the gallery's: {@link GalleryRoutes}.)
 */
final class TemplateRoutes {
    private final ServerConfig config;
    private final EnrollmentStore store;
    private final Quotas quotas;
    private final KeysetAccess access;
    private final NameReservations names;
    private final MatchEvaluator match = new MatchEvaluator();

    TemplateRoutes(ServerConfig config, EnrollmentStore store, Quotas quotas, KeysetAccess access, NameReservations names) {
        this.config = config;
        this.store = store;
        this.quotas = quotas;
        this.access = access;
        this.names = names;
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
    }

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
}
