package io.picrypt.client;

import io.picrypt.ckks.SecretKey;
import io.picrypt.face.FacePipeline;
import io.picrypt.match.GalleryKeyOwner;
import io.picrypt.match.MatchKeyOwner;
import io.picrypt.match.MatchParameters;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.URI;

/**
 * Making a keyset, the one way {@code picrypt keys init}, the demo and the benchmarks do it: the secret key (1:1
 * templates) and, optionally, the gallery key (1:N gallery) are generated here and never leave this process; the
 * keyset is registered with both keys' key-check values (so answers computed for other keys are refused,
 * docs/PROTOCOL.md "Integrity"); the gallery key's evaluation (expansion) keys are uploaded (no secret).
 */
public final class KeysetSetup {
    private static final Logger log = LoggerFactory.getLogger(KeysetSetup.class);

    private KeysetSetup() {}

    /**
     * A registered keyset and its keys.
     *
     * @param gallerySecretKey null when made without a gallery
     * @param evaluationKeyBytes size of the uploaded gallery evaluation keys (0 without a gallery)
     */
    public record Keys(URI server, PiCryptClient.Keyset keyset, SecretKey secretKey, SecretKey gallerySecretKey, int evaluationKeyBytes) {
        /** The key-check values the keyset was registered with. */
        public KeyDirectory.KeyChecks checks() {
            return new KeyDirectory.KeyChecks(KeyDirectory.keyCheck(secretKey), gallerySecretKey == null ? null : KeyDirectory.keyCheck(gallerySecretKey));
        }

        /** Server, keyset id, token and parameters, as config.json records them. */
        public ClientConfig config() { return new ClientConfig(server, keyset.id(), keyset.token(), keyset.params()); }

        /** A new connection to the keyset. */
        public PiCryptClient http() { return new PiCryptClient(server, keyset.id(), keyset.token()); }

        /**
         * A session over {@code http} with these keys. With {@code pipeline} the gallery uses its model's basis
         * ({@link GalleryBasis#forModel}); {@code pipeline} null is for synthetic embeddings only (benchmarks): the gallery
         * then uses {@link io.picrypt.match.GalleryProjection#synthetic} basis 1.
         */
        public MatchSession session(PiCryptClient http, FacePipeline pipeline, double threshold) {
            io.picrypt.match.GalleryProjection basis = gallerySecretKey == null ? null
                    : pipeline != null ? GalleryBasis.forModel(pipeline) : io.picrypt.match.GalleryProjection.synthetic(1);
            return new MatchSession(http, secretKey, gallerySecretKey, basis, pipeline, threshold);
        }

        /**
         * Records the keys in a key directory: the secret key(s) (mode 0600, sealed with {@code passphrase} when not
         * null) and config.json with the key checks.
         *
         * @param overwrite replace existing key files ({@code keys init --force})
         */
        public void writeTo(KeyDirectory dir, char[] passphrase, boolean overwrite) {
            dir.writeSecretKey(secretKey, passphrase, overwrite);
            dir.writeConfig(config(), checks());
            if (gallerySecretKey != null) dir.writeKey(KeyDirectory.GALLERY_SECRET_FILE, gallerySecretKey, passphrase, overwrite);
        }
    }

    /**
     * Generates the keys, registers a keyset on {@code server} for today's parameters and, with {@code gallery}, uploads
     * the gallery evaluation keys. If that upload fails the new keyset is deleted again (best effort) before the error
     * is thrown, so no keyset is left that no key directory records.
     *
     * @param registrationToken the server's registration token, or null/blank for an open server
     * @throws ClientException when the server refuses or cannot be reached
     */
    public static Keys create(URI server, String registrationToken, boolean gallery) {
        SecretKey sk = MatchKeyOwner.generateSecretKey();
        SecretKey gallerySk = gallery ? GalleryKeyOwner.generateSecretKey() : null;
        String registration = registrationToken == null || registrationToken.isBlank() ? null : registrationToken;
        PiCryptClient.Keyset ks = PiCryptClient.createKeyset(server, MatchParameters.get().fingerprintHex(), registration,
                KeyDirectory.keyCheck(sk), gallerySk == null ? null : KeyDirectory.keyCheck(gallerySk));
        int evalBytes = 0;
        if (gallerySk != null) {
            PiCryptClient http = new PiCryptClient(server, ks.id(), ks.token());
            try {
                evalBytes = uploadEvaluationKeys(http, gallerySk);
            } catch (RuntimeException e) {
                try {
                    http.deleteKeyset();
                } catch (RuntimeException cleanup) {
                    log.warn("keyset {} on {} was registered but its gallery keys failed; deleting it failed too: {}", ks.id(), server, cleanup.getMessage());
                }
                throw e;
            }
        }
        return new Keys(server, ks, sk, gallerySk, evalBytes);
    }

    /** A gallery key added to an existing keyset; {@code evaluationKeyBytes} were uploaded. */
    public record GalleryKey(SecretKey secretKey, int evaluationKeyBytes) {
        public String keyCheck() { return KeyDirectory.keyCheck(secretKey); }
    }

    /** Generates a gallery key for the keyset {@code http} talks to and uploads its evaluation keys. */
    public static GalleryKey addGalleryKey(PiCryptClient http) {
        SecretKey gallerySk = GalleryKeyOwner.generateSecretKey();
        return new GalleryKey(gallerySk, uploadEvaluationKeys(http, gallerySk));
    }

    private static int uploadEvaluationKeys(PiCryptClient http, SecretKey gallerySk) {
        byte[] keys = new GalleryKeyOwner(gallerySk).evaluationKeys();
        http.uploadGalleryKeys(keys);
        return keys.length;
    }
}
