package io.picrypt.match;

import io.picrypt.ckks.Ciphertext;
import io.picrypt.ckks.CkksException;
import io.picrypt.ckks.CkksParameters;
import io.picrypt.ckks.Evaluator;
import io.picrypt.ckks.Serializer;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

/**
 * The server's side: holds no key, validates every ciphertext against the matching parameters, packs
 * templates 8 to a ciphertext with noise-free monomial shifts (template k moves to coefficients
 * 512k..512k+511) and multiplies each packed ciphertext by the probe once: coefficient 512k of the
 * product is the encrypted inner product with template k. Results stay 3-component (no
 * relinearization, so no keys) and only the key owner can decrypt them.
 */
public final class MatchServer {
    private final CkksParameters params = MatchParameters.get();
    private final Evaluator ev = new Evaluator(params);

    /** Templates packed for repeated queries; immutable once built. */
    public static final class Gallery {
        private final List<Ciphertext> packed;
        private final int count;

        private Gallery(List<Ciphertext> packed, int count) {
            this.packed = packed;
            this.count = count;
        }

        public int size() { return count; }

        public int ciphertexts() { return packed.size(); }
    }

    /** Parses and checks one template or probe: a 2-component, level-0 ciphertext at the matching scale. */
    public Ciphertext validate(byte[] blob) {
        Ciphertext ct = Serializer.readCiphertext(blob, params);
        if (ct.size() != 2 || ct.level() != 0) throw new CkksException("expected a fresh 2-component ciphertext");
        if (ct.scale() != MatchParameters.SCALE) throw new CkksException("ciphertext scale is not the matching scale 2^27");
        return ct;
    }

    public void validateTemplate(byte[] blob) {
        validate(blob);
    }

    public Gallery gallery(List<byte[]> templates) {
        return gallery(templates, MatchParameters.TEMPLATES_PER_CIPHERTEXT);
    }

    /** Packs {@code per} (1..8) templates to a ciphertext. */
    Gallery gallery(List<byte[]> templates, int per) {
        int groups = (templates.size() + per - 1) / per;
        List<Ciphertext> packed = IntStream.range(0, groups).parallel().mapToObj(g -> {
            Ciphertext acc = null;
            for (int k = 0; k < per && g * per + k < templates.size(); k++) {
                Ciphertext t = validate(templates.get(g * per + k));
                Ciphertext shifted = k == 0 ? t : ev.multiplyMonomial(t, k * MatchParameters.DIMENSION);
                acc = acc == null ? shifted : ev.add(acc, shifted);
            }
            return acc;
        }).toList();
        return new Gallery(new ArrayList<>(packed), templates.size());
    }

    /** Encrypted distances of the probe to every template, in order (8 per result ciphertext). */
    public byte[] identify(Gallery gallery, byte[] probeBlob) {
        return identify(gallery, validate(probeBlob));
    }

    /** As above for a probe already parsed by {@link #validate} (parsing re-expands its seed: do it once). */
    public byte[] identify(Gallery gallery, Ciphertext probe) {
        List<Ciphertext> results = gallery.packed.parallelStream().map(t -> ev.multiply(t, probe)).toList();
        return ResultEnvelope.write(gallery.count, results, params);
    }

    public byte[] identify(List<byte[]> templates, byte[] probeBlob) {
        return identify(gallery(templates), probeBlob);
    }

    /**
     * 1:1 against the templates of one name (usually 1): same circuit, one result ciphertext per
     * {@link MatchParameters#VERIFY_TEMPLATES_PER_CIPHERTEXT} templates, so every product keeps a window that only the
     * templates' planted check values reach.
     */
    public byte[] verify(List<byte[]> templatesOfName, byte[] probeBlob) {
        return verify(templatesOfName, validate(probeBlob));
    }

    public byte[] verify(List<byte[]> templatesOfName, Ciphertext probe) {
        if (templatesOfName.isEmpty()) throw new IllegalArgumentException("no templates");
        return identify(gallery(templatesOfName, MatchParameters.VERIFY_TEMPLATES_PER_CIPHERTEXT), probe);
    }
}
