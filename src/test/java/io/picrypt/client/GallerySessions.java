package io.picrypt.client;

import io.picrypt.ckks.SecretKey;
import io.picrypt.face.FacePipeline;
import io.picrypt.match.GalleryKeyOwner;

/**
 * Test sessions with a gallery key, as 'picrypt keys init' makes them: identification runs over the keyset's 1:N
 * gallery only. One gallery key and its evaluation keys per test JVM (generating them takes seconds), uploaded to
 * each keyset that needs them.
 */
public final class GallerySessions {
    private static SecretKey key;
    private static byte[] evaluationKeys;

    private GallerySessions() {}

    /** The shared gallery secret key of this test JVM. */
    public static synchronized SecretKey key() {
        if (key == null) {
            key = GalleryKeyOwner.generateSecretKey();
            evaluationKeys = new GalleryKeyOwner(key).evaluationKeys();
        }
        return key;
    }

    public static synchronized byte[] evaluationKeys() {
        key();
        return evaluationKeys;
    }

    /** A session over {@code http}'s keyset, whose gallery keys this uploads first. */
    public static MatchSession session(PiCryptClient http, SecretKey sk, FacePipeline pipeline, double threshold) {
        http.uploadGalleryKeys(evaluationKeys());
        // real embeddings need their model's basis (a random one keeps about half of a face embedding's energy)
        var basis = pipeline != null ? GalleryBasis.forModel(pipeline) : io.picrypt.match.GalleryProjection.synthetic(1);
        return new MatchSession(http, sk, key(), basis, pipeline, threshold);
    }
}
