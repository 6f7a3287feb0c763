package io.picrypt.server;

import io.picrypt.ckks.SecretKey;
import io.picrypt.client.ClientException;
import io.picrypt.client.GalleryCompactor;
import io.picrypt.client.MatchSession;
import io.picrypt.client.PiCryptClient;
import io.picrypt.match.GalleryKeyOwner;
import io.picrypt.match.GalleryCompaction;
import io.picrypt.match.GalleryFrames;
import io.picrypt.match.MatchKeyOwner;
import io.picrypt.match.MatchParameters;
import io.picrypt.match.SyntheticEmbeddings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Issue 14, step 3: the key owner compacts a gallery full of deleted slots (tombstones are never reused): fewer blocks,
 * every live identity still identified with its plaintext distance, deleted ones gone; a compaction computed from a
 * gallery that changed meanwhile, or that does not hold exactly the live identities, changes nothing.
 */
class GalleryCompactionTest {
    @TempDir
    Path data;

    @Test
    void compactionDropsDeletedSlotsAndKeepsEveryLiveIdentity() throws Exception {
        Random r = new Random(31);
        SecretKey sk = MatchKeyOwner.generateSecretKey(), gsk = GalleryKeyOwner.generateSecretKey();
        try (PiCryptServer server = new PiCryptServer(ServerConfig.defaults(data, 0)).start()) {
            URI url = URI.create("http://127.0.0.1:" + server.port());
            PiCryptClient.Keyset ks = PiCryptClient.createKeyset(url, MatchParameters.get().fingerprintHex());
            PiCryptClient http = new PiCryptClient(url, ks.id(), ks.token());
            http.uploadGalleryKeys(new GalleryKeyOwner(gsk, io.picrypt.match.GalleryProjection.synthetic(1)).evaluationKeys());
            MatchSession s = new MatchSession(http, sk, gsk, io.picrypt.match.GalleryProjection.synthetic(1), null, 1.30);
            List<String> names = new ArrayList<>();
            List<float[]> people = new ArrayList<>();
            for (int blk = 0; blk < 4; blk++) { // four imports = four blocks
                List<String> n = new ArrayList<>();
                List<float[]> v = new ArrayList<>();
                for (int i = 0; i < 6; i++) {
                    n.add("p" + blk + "-" + i);
                    v.add(SyntheticEmbeddings.unit(r));
                }
                s.importGallery(n, v, d -> {});
                names.addAll(n);
                people.addAll(v);
            }
            float[] late = SyntheticEmbeddings.unit(r);
            s.enrollEmbedding("late", late, true); // template + gallery entry (a single enrollment into the last block)
            names.add("late");
            people.add(late);
            // delete most: every identity but a few
            List<Integer> kept = List.of(1, 8, 15, 23, 24);
            for (int i = 0; i < names.size(); i++) if (!kept.contains(i)) assertTrue(http.deleteFromGallery(names.get(i)));
            assertEquals(4, http.galleryInfo().path("blocks").asInt());
            assertEquals(kept.size(), http.galleryInfo().path("identities").asInt());

            // refused without change: computed from another block count, or not exactly the live identities
            byte[] stale = GalleryCompaction.writeCompact(3, List.of());
            ClientException e = assertThrows(ClientException.class, () -> http.compactGallery(stale));
            assertEquals(409, e.status(), e.getMessage());
            GalleryKeyOwner gc = new GalleryKeyOwner(gsk, io.picrypt.match.GalleryProjection.synthetic(1));
            byte[] partial = GalleryCompaction.writeCompact(4, List.of(GalleryFrames.writeImport(List.of(names.get(1)),
                    gc.encryptBlock(List.of(people.get(1))))));
            e = assertThrows(ClientException.class, () -> http.compactGallery(partial));
            assertEquals(400, e.status(), e.getMessage());
            assertTrue(e.getMessage().contains("exactly the gallery's 5 live identities"), e.getMessage());
            assertEquals(4, http.galleryInfo().path("blocks").asInt(), "nothing changed");

            GalleryCompactor.Result c = GalleryCompactor.compact(http, gsk, b -> {});
            assertEquals(4, c.blocksBefore());
            assertEquals(1, c.blocksAfter());
            assertEquals(kept.size(), c.identities());
            assertEquals(1, http.galleryInfo().path("blocks").asInt(), "fewer blocks");
            for (int i : kept) {
                float[] probe = SyntheticEmbeddings.near(people.get(i), 0.9, r);
                MatchSession.Identification id = s.identifyEmbedding(probe, 1);
                assertEquals(kept.size(), id.identities(), "the deleted identities are gone");
                assertEquals(names.get(i), id.match().name());
                assertEquals(SyntheticEmbeddings.galleryDistance(io.picrypt.match.GalleryProjection.synthetic(1), people.get(i), probe), id.best().distance(), io.picrypt.match.GalleryKeyOwner.DISTANCE_ERROR_BOUND, "distance equals plaintext");
            }
            // the gallery works on: a new enrollment goes into the compacted block, verify of the template is unchanged
            float[] next = SyntheticEmbeddings.unit(r);
            s.enrollIntoGallery("next", next);
            assertEquals("next", s.identifyEmbedding(next, 1).match().name());
            assertTrue(s.verifyEmbedding("late", late).match());
        }
    }
}
