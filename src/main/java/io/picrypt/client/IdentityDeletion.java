package io.picrypt.client;

/**
 * Deleting a name everywhere ({@code picrypt delete}, the web page's Delete): its 1:N gallery entry and its 1:1
 * templates, so that a refusal leaves the name as it was. A keyset whose gallery is stored in an earlier version's
 * layout ("outdated": the server answers 409 {@code gallery_outdated} on the gallery's routes) is refused before
 * anything is deleted: deleting only the templates would leave the name in the old gallery without them, and the
 * migration ({@code picrypt gallery rebuild --drop-outdated}) would then report it as a gallery-only identity to import
 * again. The gallery entry goes first: if the template step fails after it, the name is a 1:1-only name that
 * {@code picrypt gallery rebuild} puts back (or a repeated delete removes).
 */
public final class IdentityDeletion {
    private IdentityDeletion() {}

    /** The refusal's message, saying what to run. */
    static final String OUTDATED = "this keyset's 1:N gallery was stored in the layout of an earlier picrypt version, so the name cannot be"
            + " deleted from it: run 'picrypt gallery rebuild' first (as the key owner), then delete again; nothing was deleted";

    /**
     * Deletes {@code name}'s gallery entry (when the keyset has gallery keys) and its 1:1 templates, whichever exist.
     *
     * @throws ClientException with status 409 and code {@code gallery_outdated} before anything is deleted when the
     *                         keyset's gallery is outdated; the server's refusals otherwise
     */
    public static PiCryptClient.Deleted delete(PiCryptClient http, String name) {
        com.fasterxml.jackson.databind.JsonNode info = http.galleryInfo();
        boolean keys = info.path("keys").asBoolean();
        if (keys && info.path("outdated").asBoolean()) throw new ClientException(OUTDATED, 409, "gallery_outdated", null);
        boolean gallery = keys && http.deleteFromGallery(name); // a gallery outdated since the check: 409 here, nothing deleted
        boolean templates = http.delete(name);
        return new PiCryptClient.Deleted(templates, gallery);
    }
}
