package io.picrypt.match;

import io.picrypt.ckks.CkksException;

/**
 * A stored gallery block (or a keyset's whole gallery) is in the layout of an earlier picrypt version: "PCGS" v1, 2048
 * identities per block of 512 dimensions packed 4 per coefficient group, while this version stores and computes 256
 * dimensions, 2 per group ({@link GalleryParameters}). Its ciphertexts are well formed under the same CKKS parameters,
 * so computing on them would give distances without meaning: the server refuses (HTTP 409 {@code gallery_outdated}),
 * never computes. The only way forward is a rebuild by the key owner ({@code picrypt gallery rebuild}).
 */
public final class OutdatedGalleryException extends CkksException {
    /** What the user is told, by the server's 409 and the CLI alike. */
    public static final String MESSAGE = "this keyset's 1:N gallery was stored in the 512-dimensional layout of an earlier picrypt version;"
            + " run 'picrypt gallery rebuild' (as the key owner) to rebuild it from the 1:1 templates";

    public OutdatedGalleryException() {
        super(MESSAGE);
    }
}
