package io.picrypt.client.ui;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The seam between the web UI and the encrypted image difference (issue 6, package io.picrypt.imagediff,
 * built separately): {@link UiServer} shows "not available in this build" when it has none. An implementation
 * encrypts both images here, lets the server subtract the ciphertexts and decrypts the difference here.
 */
@FunctionalInterface
public interface ImageDiffer {
    /**
     * @param before encoded image bytes as uploaded (JPEG/PNG/...)
     * @param after  encoded image bytes as uploaded
     * @throws IllegalArgumentException for unusable input (shown to the user as is)
     */
    DiffResult diff(byte[] before, byte[] after);

    /**
     * What the page shows side by side: the two images as they were encrypted (e.g. resized / grey) and the
     * decrypted difference, all PNG; the time of each step in milliseconds in display order (e.g. "encrypt",
     * "server (encrypted subtraction)", "decrypt"); free-text notes (sizes, bytes sent).
     */
    record DiffResult(byte[] beforePng, byte[] afterPng, byte[] differencePng, Map<String, Double> timingsMs, List<String> notes) {
        public DiffResult {
            if (beforePng == null || afterPng == null || differencePng == null) throw new IllegalArgumentException("all three images are required");
            timingsMs = Collections.unmodifiableMap(new LinkedHashMap<>(timingsMs));
            notes = List.copyOf(notes);
        }
    }
}
