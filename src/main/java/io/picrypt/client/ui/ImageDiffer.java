package io.picrypt.client.ui;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The seam between the web UI and the encrypted image difference (package io.picrypt.imagediff):
 * {@link UiServer} shows "not available in this build" when it has none. An implementation encrypts both
 * images here, lets the server subtract the ciphertexts and decrypts the difference here.
 */
@FunctionalInterface
public interface ImageDiffer {
    /** Where a running difference is: a phase shown to the user as is, and done of total units (total -1 = unknown). */
    @FunctionalInterface
    interface Progress {
        Progress NONE = (phase, done, total) -> {};

        /** May be called from several threads; phases arrive in order. */
        void update(String phase, long done, long total);
    }

    /**
     * Checks both images before any progress is reported (so a bad input fails fast, before the page shows a
     * progress bar), then computes the difference.
     *
     * @param before encoded image bytes as uploaded (JPEG/PNG/...)
     * @param after  encoded image bytes as uploaded
     * @throws IllegalArgumentException for unusable input (shown to the user as is)
     */
    DiffResult diff(byte[] before, byte[] after, Progress progress);

    /** Largest image accepted, in pixels (width x height); the page checks it when photos are chosen. */
    default long maxPixels() { return Long.MAX_VALUE; }

    /**
     * Only the decrypted difference (PNG) and its size in pixels: the page already has both inputs. The time of
     * each step in milliseconds in display order (they add up to the whole computation); free-text notes.
     */
    record DiffResult(byte[] differencePng, int width, int height, Map<String, Double> timingsMs, List<String> notes) {
        public DiffResult {
            if (differencePng == null) throw new IllegalArgumentException("the difference image is required");
            timingsMs = Collections.unmodifiableMap(new LinkedHashMap<>(timingsMs));
            notes = List.copyOf(notes);
        }
    }
}
