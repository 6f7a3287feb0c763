package io.picrypt.server;

import io.picrypt.match.GalleryFrames;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** The gallery's entry list grows by one per single enrollment without copying all entries, and stays a plain immutable list. */
class ChunkedEntriesTest {
    @Test
    void appendingEqualsAnArrayListAcrossChunkBoundariesAndSnapshotsStayUnchanged() {
        int chunk = LocalGalleryService.Chunked.CHUNK;
        List<GalleryFrames.Entry> reference = new ArrayList<>();
        for (int i = 0; i < chunk - 2; i++) reference.add(new GalleryFrames.Entry(i, "n" + i));
        List<GalleryFrames.Entry> cur = List.copyOf(reference); // as loaded from the store: not chunked yet
        List<List<GalleryFrames.Entry>> snapshots = new ArrayList<>();
        List<Integer> sizes = new ArrayList<>();
        for (int i = chunk - 2; i < 2 * chunk + 3; i++) {
            GalleryFrames.Entry e = new GalleryFrames.Entry(i, "n" + i);
            snapshots.add(cur);
            sizes.add(cur.size());
            cur = LocalGalleryService.appended(cur, e);
            reference.add(e);
            assertEquals(reference.size(), cur.size());
            assertEquals(e, cur.get(cur.size() - 1));
        }
        assertEquals(reference, cur);
        assertEquals(reference.hashCode(), cur.hashCode());
        for (int k = 0; k < snapshots.size(); k++) {
            assertEquals(sizes.get(k), snapshots.get(k).size(), "an older snapshot did not change");
            assertEquals(reference.subList(0, sizes.get(k)), snapshots.get(k));
        }
        List<GalleryFrames.Entry> last = cur;
        assertThrows(UnsupportedOperationException.class, () -> last.add(new GalleryFrames.Entry(0, "x")));
        assertThrows(IndexOutOfBoundsException.class, () -> last.get(last.size()));
        assertThrows(NullPointerException.class, () -> LocalGalleryService.appended(last, null));
        assertEquals(1, LocalGalleryService.appended(List.of(), new GalleryFrames.Entry(0, "a")).size());
    }
}
