package io.picrypt.client;

import io.picrypt.ckks.SecretKey;
import io.picrypt.match.GalleryKeyOwner;
import io.picrypt.match.GalleryCompaction;
import io.picrypt.match.GalleryFrames;
import io.picrypt.match.GalleryParameters;
import io.picrypt.match.IntegrityException;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.IntConsumer;

/**
 * Compaction of a keyset's 1:N gallery by its key owner: deleted slots are tombstones the server never reuses, so a
 * gallery with many deletions keeps computing on dead slots. This downloads every block, decrypts the live identities
 * here, packs them into fresh blocks and sends them in one request that replaces the gallery atomically (the server
 * checks that they are exactly its live identities and that the gallery did not change meanwhile). Holds every live
 * embedding in memory while it runs (2 KiB per identity).
 */
public final class GalleryCompactor {
    private GalleryCompactor() {}

    /** What {@link #compact} did. */
    public record Result(int blocksBefore, int blocksAfter, int identities) {}

    /**
     * @param progress called with the number of blocks downloaded and decrypted so far
     * @throws ClientException    if the server refuses (409 gallery_changed: run again) or is unreachable
     * @throws IntegrityException if a block's names and live slots differ or a slot does not decrypt (nothing changed)
     */
    public static Result compact(PiCryptClient http, SecretKey gallerySk, IntConsumer progress) {
        int blocks = http.galleryInfo().path("blocks").asInt();
        if (!http.galleryInfo().path("keys").asBoolean()) throw new ClientException("the keyset has no gallery keys: nothing to compact");
        List<String> names = new ArrayList<>();
        List<float[]> vectors = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (int b = 0; b < blocks; b++) {
            GalleryCompaction.Download d;
            float[][] live;
            try {
                d = GalleryCompaction.readDownload(http.galleryBlock(b));
                live = GalleryCompaction.decryptLive(gallerySk, d.block());
            } catch (io.picrypt.ckks.CkksException e) {
                throw new IntegrityException("gallery block " + b + " from the server is malformed (" + e.getMessage() + "); nothing was changed");
            }
            int liveSlots = 0;
            for (float[] v : live) if (v != null) liveSlots++;
            if (liveSlots != d.entries().size()) {
                throw new IntegrityException("gallery block " + b + " has " + liveSlots + " live slots but the server names " + d.entries().size()
                        + "; nothing was changed");
            }
            for (GalleryCompaction.Entry e : d.entries()) {
                if (live[e.slot()] == null) throw new IntegrityException("gallery block " + b + " names a slot that is not live; nothing was changed");
                if (!seen.add(e.name())) throw new IntegrityException("the server names '" + e.name() + "' twice; nothing was changed");
                names.add(e.name());
                vectors.add(live[e.slot()]);
            }
            progress.accept(b + 1);
        }
        GalleryKeyOwner crypto = new GalleryKeyOwner(gallerySk);
        List<byte[]> imports = new ArrayList<>();
        int cap = GalleryParameters.BLOCK_CAPACITY;
        for (int from = 0; from < names.size(); from += cap) {
            int to = Math.min(names.size(), from + cap);
            imports.add(GalleryFrames.writeImport(names.subList(from, to), crypto.encryptBlock(vectors.subList(from, to))));
        }
        var answer = http.compactGallery(GalleryCompaction.writeCompact(blocks, imports));
        return new Result(answer.path("blocks_before").asInt(), answer.path("blocks_after").asInt(), answer.path("identities").asInt());
    }
}
