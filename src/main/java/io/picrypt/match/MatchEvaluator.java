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
 * Evaluator of 1:1 verification: evaluates with public evaluation keys only; never holds a secret key
 * (here it needs no key at all). 1:N identification is the column-packed gallery, {@link GalleryEvaluator}.
 *
 * <p>Validates every ciphertext against the matching parameters, packs
 * templates 8 to a ciphertext with noise-free monomial shifts (template k moves to coefficients
 * 512k..512k+511) and multiplies each packed ciphertext by the probe once: coefficient 512k of the
 * product is the encrypted inner product with template k. Results stay 3-component (no
 * relinearization, so no keys) and only the key owner can decrypt them.
 */
public final class MatchEvaluator {
    private final CkksParameters params = MatchParameters.get();
    private final Evaluator ev = new Evaluator(params);

    /** One name's templates packed 6 to a ciphertext; immutable once built. */
    public static final class Packed {
        private final List<Ciphertext> packed;
        private final int count;

        private Packed(List<Ciphertext> packed, int count) {
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

    /**
     * One name's templates packed {@link MatchParameters#VERIFY_TEMPLATES_PER_CIPHERTEXT} (6) to a ciphertext, so every
     * product keeps a window that only the templates' planted check values reach.
     */
    public Packed pack(List<byte[]> templates) {
        int per = MatchParameters.VERIFY_TEMPLATES_PER_CIPHERTEXT;
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
        return new Packed(new ArrayList<>(packed), templates.size());
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
        Packed g = pack(templatesOfName);
        List<Ciphertext> results = g.packed.parallelStream().map(t -> ev.multiply(t, probe)).toList();
        return ResultEnvelope.write(g.count, results, params);
    }
}
