package io.picrypt.server;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.picrypt.http.ApiException;
import io.picrypt.http.ApiPaths;
import io.picrypt.http.Bodies;
import io.picrypt.http.Json;
import io.picrypt.http.RouteTable;
import io.picrypt.match.GalleryFrames;
import io.picrypt.names.IdentityNames;
import spark.Request;
import spark.Response;

import java.util.List;

/**
 * The bulk 1:N gallery of a keyset (column-packed, for 1:N at scale) over a {@link GalleryService}: evaluation keys,
 * block import, info, enrolling and deleting one name, identify. These routes only authorize, read bodies and frame
 * answers; the gallery service owns the state.
 */
final class GalleryRoutes {
    private final ServerConfig config;
    private final Limits limits;
    private final GalleryService gallery;
    private final KeysetAccess access;
    private final NameReservations names;

    GalleryRoutes(ServerConfig config, GalleryService gallery, KeysetAccess access, NameReservations names) {
        this.config = config;
        this.limits = config.limits();
        this.gallery = gallery;
        this.access = access;
        this.names = names;
    }

    void register(RouteTable r) {
        r.put(ApiPaths.keyset(ApiPaths.GALLERY_KEYS), limits.maxEvaluationKeyBytes(), (req, res) -> {
            String id = access.authorize(req);
            gallery.setKeys(id, Bodies.read(req, limits.maxEvaluationKeyBytes()));
            return KeysetAccess.noContent(res);
        });
        r.post(ApiPaths.keyset(ApiPaths.GALLERY_BLOCKS), config.maxGalleryBlockBytes(), this::importBlock);
        r.get(ApiPaths.keyset(ApiPaths.GALLERY), this::info);
        r.delete(ApiPaths.keyset(ApiPaths.GALLERY_NAME), (req, res) -> {
            String id = access.authorize(req);
            String name = KeysetAccess.name(req);
            names.invalidate(id);
            if (!gallery.delete(id, name)) throw ApiException.notFound("no gallery identity named '" + name + "'");
            return KeysetAccess.noContent(res);
        });
        r.put(ApiPaths.keyset(ApiPaths.GALLERY_NAME), config.maxTemplateBytes(), this::enroll);
        r.post(ApiPaths.keyset(ApiPaths.GALLERY_IDENTIFY), config.maxTemplateBytes(), this::identify);
    }

    private Object info(Request req, Response res) {
        String id = access.authorize(req);
        boolean withNames = "true".equals(req.queryParams("names"));
        GalleryService.Info g = gallery.info(id, withNames);
        ObjectNode o = Json.object().put("keys", g.keys())
                .put("identities", g.identities()).put("blocks", g.blocks()).put("stored_bytes", g.storedBytes());
        if (g.keys() && withNames) {
            ArrayNode list = o.putArray("names");
            for (String n : g.names()) list.add(n);
        }
        return Json.reply(res, o);
    }

    private Object importBlock(Request req, Response res) {
        String id = access.authorize(req);
        access.checkModel(req, id, true);
        byte[] body = Bodies.read(req, config.maxGalleryBlockBytes());
        long t0 = System.nanoTime();
        GalleryFrames.Import imp = GalleryFrames.readImport(body);
        for (String n : imp.names()) {
            try {
                if (!IdentityNames.normalize(n).equals(n)) throw new IdentityNames.InvalidNameException("not in Unicode NFC");
            } catch (IdentityNames.InvalidNameException bad) {
                throw ApiException.badRequest("bad name in the import: " + bad.getMessage());
            }
        }
        GalleryService.Imported r = names.write(id, imp.names(), () -> gallery.importBlock(id, imp));
        KeysetAccess.serverTime(res, t0);
        res.status(201);
        return Json.reply(res, Json.object().put("block", r.block()).put("identities", r.identities()));
    }

    /** One identity into the gallery: the server expands the enrollment ciphertext into the next free slot. */
    private Object enroll(Request req, Response res) {
        String id = access.authorize(req);
        String name = KeysetAccess.name(req);
        access.checkModel(req, id, true);
        byte[] enrollment = Bodies.read(req, config.maxTemplateBytes());
        long t0 = System.nanoTime();
        GalleryService.Enrolled r = names.write(id, List.of(name), () -> gallery.enroll(id, name, enrollment));
        KeysetAccess.serverTime(res, t0);
        res.status(201);
        return Json.reply(res, Json.object().put("name", name).put("block", r.at().block()).put("slot", r.at().slot())
                .put("identities", r.identities()));
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

    /** The single-probe gallery answer (also each gallery item of a batch): PCGF v2 from the gallery service. */
    byte[] identifyFrame(String id, byte[] probe) {
        return GalleryFrames.writeAnswer(gallery.identify(id, probe));
    }
}
