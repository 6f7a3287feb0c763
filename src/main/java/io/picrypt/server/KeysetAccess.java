package io.picrypt.server;

import io.picrypt.http.ApiException;
import io.picrypt.names.IdentityNames;
import io.picrypt.store.EnrollmentStore;
import spark.Request;
import spark.Response;
import spark.Service;

import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Who may use a keyset and what every keyset route shares: the bearer token checked against the stored SHA-256
 * hash in constant time, the embedding model a request was made with, the name in the path, the integrity headers
 * of every authorized answer and the server-time header.
 */
final class KeysetAccess {
    static final String OCTET = "application/octet-stream";
    private static final String KEYSET_ATTRIBUTE = "picrypt.keyset";
    private static final Pattern MODEL = Pattern.compile("[\\p{Graph}]{1,100}/[1-9][0-9]{0,4}");

    private final EnrollmentStore store;

    KeysetAccess(EnrollmentStore store) { this.store = store; }

    /**
     * Checks the bearer token against the keyset's stored hash; returns the keyset id.
     *
     * @throws ApiException 401 without a token, 404 {@code unknown_keyset}, 403 for another keyset's token
     */
    String authorize(Request req) {
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

    /**
     * The embedding model a request's ciphertexts were made with (header X-PiCrypt-Model: "name/dimension").
     * Writes bind the keyset to the model on first use; any request with another model than the keyset's is
     * refused (409 model_mismatch), since distances between embeddings of different models mean nothing.
     */
    void checkModel(Request req, String id, boolean bind) {
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

    /**
     * Gallery ciphertexts (probes, enrollments, imported blocks, compacted blocks) must be made for this server's layout
     * ({@link io.picrypt.match.GalleryParameters#LAYOUT}): a client of another layout (before issue 16 round 10: 512 values
     * at PACK 4, no header) would be computed on silently with wrong distances, so it is refused (409 gallery_layout).
     */
    static void checkGalleryLayout(Request req) {
        String v = req.headers(io.picrypt.http.ApiPaths.GALLERY_LAYOUT_HEADER);
        String own = Integer.toString(io.picrypt.match.GalleryParameters.LAYOUT);
        if (!own.equals(v)) {
            boolean newer = v != null && v.matches("[0-9]{1,9}") && Integer.parseInt(v) > io.picrypt.match.GalleryParameters.LAYOUT;
            throw new ApiException(409, "gallery_layout", "this server keeps the 1:N gallery in layout " + own + " (256 values per face) and the"
                    + " request's ciphertexts are for " + (v == null ? "an older layout (512 values per face: an older picrypt client)" : "layout '" + v + "'")
                    + ": nothing was computed or stored; upgrade picrypt on the " + (newer ? "server" : "client"));
        }
    }

    /** Integrity (docs/PROTOCOL.md): every authorized answer names the key-check values the keyset was created with. */
    void installKeyCheckHeaders(Service s) {
        s.after((req, res) -> {
            if (req.attribute(KEYSET_ATTRIBUTE) instanceof EnrollmentStore.Keyset k) {
                if (k.keyCheck() != null) res.header("X-PiCrypt-Key-Check", k.keyCheck());
                if (k.galleryKeyCheck() != null) res.header("X-PiCrypt-Gallery-Key-Check", k.galleryKeyCheck());
            }
        });
    }

    /** The path's name in NFC, checked against the shared rule (IdentityNames): strictly where a name is created. */
    static String name(Request req) {
        try {
            String n = req.params(":name");
            boolean creates = req.requestMethod().equals("PUT");
            return creates ? IdentityNames.normalize(n) : IdentityNames.normalizeForLookup(n);
        } catch (IdentityNames.InvalidNameException e) {
            throw ApiException.badRequest(e.getMessage());
        }
    }

    /** Server-side compute time of the request since {@code t0} (after the body arrived), for clients and benchmarks. */
    static void serverTime(Response res, long t0) {
        res.header("X-PiCrypt-Server-Ms", String.format(Locale.ROOT, "%.3f", (System.nanoTime() - t0) / 1e6));
    }

    /** A binary answer. */
    static byte[] octets(Response res, byte[] body) {
        res.type(OCTET);
        return body;
    }

    /** 204 and no body. */
    static String noContent(Response res) {
        res.status(204);
        return "";
    }
}
