package io.picrypt.client;

import io.picrypt.client.MatchSession.Enrollment;
import io.picrypt.client.MatchSession.Rebuild;
import io.picrypt.client.MatchSession.Trace;
import io.picrypt.match.GalleryKeyOwner;
import io.picrypt.match.MatchKeyOwner;
import io.picrypt.names.IdentityNames;

import java.util.ArrayList;
import java.util.List;

/**
 * Single identities into the keyset's 1:N gallery for a {@link MatchSession}: one enrollment
 * ({@link MatchSession#enrollIntoGallery}), an enrolled name's entry replaced by the mean of its decrypted 1:1 templates
 * ({@link MatchSession#enrollEmbedding}), and {@link MatchSession#rebuildGallery}. Thread-safe as the session is: no
 * state of its own beyond its final collaborators.
 */
final class GalleryEnrollment {
    private final PiCryptClient http;
    private final MatchKeyOwner crypto;
    /** Null in a session without a gallery key: every gallery write is then refused. */
    private final GalleryKeyOwner gallery;

    GalleryEnrollment(PiCryptClient http, MatchKeyOwner crypto, GalleryKeyOwner gallery) {
        this.http = http;
        this.crypto = crypto;
        this.gallery = gallery;
    }

    Enrollment enrollIntoGallery(String name, float[] embedding, boolean replace) {
        if (gallery == null) throw new IllegalStateException("this session has no gallery key");
        name = IdentityNames.normalize(name);
        long t0 = System.nanoTime();
        byte[] ct = gallery.encryptEnrollment(embedding);
        double enc = MatchSession.ms(t0);
        long t1 = System.nanoTime();
        double compute = http.enrollIntoGallery(name, ct, replace);
        return new Enrollment(name, 1, 1, List.of(), new Trace(0, enc, MatchSession.ms(t1), 0, ct.length, 0, compute));
    }

    /** The normalised mean of the name's stored templates, decrypted here (the server cannot). */
    float[] meanOfTemplates(String name) {
        List<float[]> vectors = new ArrayList<>();
        for (byte[] t : http.templates(name)) {
            try {
                vectors.add(crypto.decryptTemplate(t, IdentityNames.normalizeForLookup(name)).embedding());
            } catch (io.picrypt.ckks.CkksException e) {
                throw new UnreadableTemplates("a stored template of '" + name + "' does not decrypt with this key: " + e.getMessage());
            }
        }
        if (vectors.isEmpty()) throw new UnreadableTemplates("the server holds no template of '" + name + "'");
        return MatchSession.normalisedMean(vectors);
    }

    /** Replaces the name's gallery entry (if any) by {@code embedding}, in one server step; null when the keyset has no gallery keys. */
    Enrollment replaceInGallery(String name, float[] embedding) {
        try {
            return enrollIntoGallery(name, embedding, true);
        } catch (ClientException e) {
            if (e.status() == 409 && !http.galleryInfo().path("keys").asBoolean()) return null;
            throw e;
        }
    }

    /** {@link MatchSession#rebuildGallery(boolean, java.util.function.Consumer, java.util.function.IntConsumer)}, which documents it. */
    Rebuild rebuildGallery(boolean dropOutdated, java.util.function.Consumer<List<String>> beforeDrop, java.util.function.IntConsumer progress) {
        if (gallery == null) throw new IllegalStateException("this session has no gallery key");
        com.fasterxml.jackson.databind.JsonNode info = http.galleryInfo();
        if (!info.path("keys").asBoolean()) {
            throw new ClientException("the keyset has no gallery keys: run 'picrypt keys init' first");
        }
        List<PiCryptClient.Identity> ids = http.list();
        boolean outdated = info.path("outdated").asBoolean();
        List<String> dropped = List.of();
        if (outdated) {
            // the old gallery's names first: those without 1:1 templates cannot be made again from them
            List<String> galleryOnly = GalleryCoverage.of(ids, http.galleryNames()).galleryOnly();
            if (!galleryOnly.isEmpty() && !dropOutdated) throw new MatchSession.GalleryOnlyNames(galleryOnly);
            // told before the drop: an interruption after it must not lose which names the user has to import again
            if (!galleryOnly.isEmpty()) beforeDrop.accept(galleryOnly);
            http.dropGallery();
            dropped = galleryOnly;
        }
        // after a drop every 1:1 name is missing from the (empty) gallery: all of them are rebuilt below
        GalleryCoverage coverage = GalleryCoverage.of(ids, outdated ? List.of() : http.galleryNames());
        int added = 0;
        List<String> skipped = new ArrayList<>();
        for (String name : coverage.notInGallery()) {
            float[] mean;
            try {
                mean = meanOfTemplates(name);
            } catch (UnreadableTemplates e) { // one bad name must not stop the others: skipped and reported
                skipped.add(name + ": " + e.getMessage());
                continue;
            }
            enrollIntoGallery(name, mean, false);
            progress.accept(++added);
        }
        return new Rebuild(added, ids.size() - coverage.notInGallery().size(), coverage.galleryOnly().size(), List.copyOf(skipped),
                outdated, dropped);
    }

    /** A name whose stored templates cannot give an embedding with this key (none, or one that does not decrypt). */
    static final class UnreadableTemplates extends ClientException {
        UnreadableTemplates(String message) { super(message); }
    }
}
