package io.picrypt.server;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.picrypt.http.ApiException;
import io.picrypt.http.ApiPaths;
import io.picrypt.http.Bodies;
import io.picrypt.http.Json;
import io.picrypt.http.RouteTable;
import io.picrypt.match.GalleryCompaction;
import io.picrypt.match.GalleryFrames;
import io.picrypt.names.IdentityNames;
import io.picrypt.store.EnrollmentStore;
import spark.Request;
import spark.Response;

import java.util.ArrayList;
import java.util.List;

/**
 * The bulk 1:N gallery of a keyset (column-packed; the one 1:N path) over a {@link GalleryService}: evaluation keys,
 * block import, info, enrolling (new or replace) and deleting one name, identify (in an identify slot), block
 * download and compaction for the key owner, and dropping the whole gallery. A gallery stored in an earlier version's
 * layout answers info (with "outdated": true) and the drop; every other route 409 {@code gallery_outdated}. These routes only authorize, read bodies and frame
 * answers; the gallery service owns the state.
 */
final class GalleryRoutes {
    private final ServerConfig config;
    private final Limits limits;
    private final GalleryService gallery;
    private final KeysetAccess access;
    private final NameReservations names;
    private final IdentifySlots slots;
    /** The store, for block downloads (read-only, the same on every member). */
    private final EnrollmentStore store;

    GalleryRoutes(ServerConfig config, EnrollmentStore store, GalleryService gallery, KeysetAccess access, NameReservations names,
                  IdentifySlots slots) {
        this.config = config;
        this.limits = config.limits();
        this.store = store;
        this.gallery = gallery;
        this.access = access;
        this.names = names;
        this.slots = slots;
    }

    /** Largest compaction request: every block the keyset may hold, plus framing. */
    long maxCompactBytes() { return config.maxGalleryBlockBytes() * Math.max(1, limits.maxGalleryBlocks()) + 64; }

    void register(RouteTable r) {
        r.put(ApiPaths.keyset(ApiPaths.GALLERY_KEYS), limits.maxEvaluationKeyBytes(), (req, res) -> {
            String id = access.authorize(req);
            gallery.setKeys(id, Bodies.read(req, limits.maxEvaluationKeyBytes()));
            return KeysetAccess.noContent(res);
        });
        r.post(ApiPaths.keyset(ApiPaths.GALLERY_BLOCKS), config.maxGalleryBlockBytes(), this::importBlock);
        r.get(ApiPaths.keyset(ApiPaths.GALLERY), this::info);
        r.delete(ApiPaths.keyset(ApiPaths.GALLERY), this::drop);
        r.delete(ApiPaths.keyset(ApiPaths.GALLERY_NAME), names.deletion(access, gallery::delete, "gallery identity"));
        r.put(ApiPaths.keyset(ApiPaths.GALLERY_NAME), config.maxTemplateBytes(), this::enroll);
        r.post(ApiPaths.keyset(ApiPaths.GALLERY_IDENTIFY), config.maxTemplateBytes(), this::identify);
        r.get(ApiPaths.keyset(ApiPaths.GALLERY_BLOCK), this::download);
        r.post(ApiPaths.keyset(ApiPaths.GALLERY_COMPACT), maxCompactBytes(), this::compact);
    }

    /** One stored block with the names of its live slots (PCGB), for the key owner's compaction. */
    private Object download(Request req, Response res) {
        String id = access.authorize(req);
        int n;
        try {
            n = Integer.parseInt(req.params(":n"));
        } catch (NumberFormatException e) {
            throw ApiException.badRequest("block numbers are whole numbers");
        }
        if (n < 0) throw ApiException.notFound("no gallery block " + n);
        gallery.requireCurrentLayout(id); // 409 gallery_outdated: a compaction cannot read the old layout (a rebuild can)
        gallery.flush(id); // the stored bytes must hold every enrollment the names list
        var d = GalleryService.download(store, id, n);
        return KeysetAccess.octets(res, GalleryCompaction.writeDownload(d.entries(), d.block()));
    }

    /** The key owner's fresh blocks (PCGC) replace the keyset's gallery atomically. */
    private Object compact(Request req, Response res) {
        String id = access.authorize(req);
        access.checkModel(req, id, true);
        KeysetAccess.checkGalleryLayout(req);
        var c = GalleryCompaction.readCompact(Bodies.read(req, maxCompactBytes()));
        List<GalleryFrames.Import> imports = new ArrayList<>();
        for (byte[] i : c.imports()) imports.add(GalleryFrames.readImport(i));
        GalleryService.Compacted r = gallery.compact(id, c.expectedBlocks(), imports);
        return Json.reply(res, Json.object().put("blocks_before", r.blocksBefore()).put("blocks_after", r.blocksAfter())
                .put("identities", r.identities()));
    }

    /**
     * Drops the keyset's whole gallery (blocks, names, pending enrollments; the evaluation keys stay), whatever its
     * layout: the key owner's first step in rebuilding a gallery of an earlier version. 204.
     */
    private Object drop(Request req, Response res) {
        String id = access.authorize(req);
        names.invalidate(id); // the look-alike index holds the gallery's names
        gallery.dropGallery(id);
        return KeysetAccess.noContent(res);
    }

    private Object info(Request req, Response res) {
        String id = access.authorize(req);
        boolean withNames = "true".equals(req.queryParams("names"));
        GalleryService.Info g = gallery.info(id, withNames);
        ObjectNode o = Json.object().put("keys", g.keys())
                .put("identities", g.identities()).put("blocks", g.blocks()).put("stored_bytes", g.storedBytes())
                .put("layout", io.picrypt.match.GalleryParameters.LAYOUT); // clients check it before any gallery write or probe
        if (g.outdated()) o.put("outdated", true).put("message", io.picrypt.match.OutdatedGalleryException.MESSAGE); // every other gallery route: 409
        if (g.keys() && withNames) {
            ArrayNode list = o.putArray("names");
            for (String n : g.names()) list.add(n);
        }
        if ("true".equals(req.queryParams("cluster")) && gallery instanceof ClusterGalleryService c) {
            o.set("cluster", c.stats(id, "true".equals(req.queryParams("gc")))); // per-member figures (bench cluster)
        }
        return Json.reply(res, o);
    }

    private Object importBlock(Request req, Response res) {
        String id = access.authorize(req);
        access.checkModel(req, id, true);
        KeysetAccess.checkGalleryLayout(req);
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
        KeysetAccess.checkGalleryLayout(req);
        byte[] enrollment = Bodies.read(req, config.maxTemplateBytes());
        long t0 = System.nanoTime();
        String mode = req.queryParams("mode");
        GalleryService.Enrolled r = names.write(id, List.of(name), () -> {
            if (mode != null && !mode.equals("replace") && !mode.equals("new")) throw ApiException.badRequest("mode must be 'new' or 'replace'");
            return "replace".equals(mode) ? gallery.replace(id, name, enrollment) : gallery.enroll(id, name, enrollment);
        });
        KeysetAccess.serverTime(res, t0);
        res.status(201);
        return Json.reply(res, Json.object().put("name", name).put("block", r.at().block()).put("slot", r.at().slot())
                .put("identities", r.identities()));
    }

    private Object identify(Request req, Response res) {
        String id = access.authorize(req);
        access.checkModel(req, id, false);
        KeysetAccess.checkGalleryLayout(req);
        byte[] probe = Bodies.read(req, config.maxTemplateBytes());
        return slots.run(id, () -> {
            long t0 = System.nanoTime();
            byte[] out = identifyFrame(id, probe);
            KeysetAccess.serverTime(res, t0);
            return KeysetAccess.octets(res, out);
        });
    }

    /** The single-probe gallery answer (also each gallery item of a batch): PCGF v2 from the gallery service. */
    byte[] identifyFrame(String id, byte[] probe) {
        return GalleryFrames.writeAnswer(gallery.identify(id, probe));
    }
}
