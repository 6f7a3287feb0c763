package io.picrypt.cli;

import io.picrypt.match.MatchKeyOwner;
import io.picrypt.match.MatchParameters;
import io.picrypt.match.MatchEvaluator;

import java.util.List;
import java.util.stream.IntStream;

/**
 * {@code picrypt eval --encrypted}: the squared distance of every pair computed the way the service does
 * (template and probe encrypted under a fresh client key, the server's packed inner-product circuit,
 * decryption here, with the template check values planted and checked as in verify), so the harness can check every
 * decision on encrypted distances equals the plaintext one. 1:1 only: eval's rank-1 identification is plaintext.
 */
final class EncryptedDistances {
    private final MatchKeyOwner owner = new MatchKeyOwner(MatchKeyOwner.generateSecretKey());
    private final MatchEvaluator evaluator = new MatchEvaluator();

    /** Decrypted squared distances, one per pair, in order. */
    double[] squaredDistances(List<float[]> a, List<float[]> b) {
        if (a.size() != b.size()) throw new IllegalArgumentException("pair lists differ in length");
        return IntStream.range(0, a.size()).parallel().mapToDouble(i -> {
            // the service's path exactly: a template with the (pair's) name's planted check values, the checked
            // decryption (check values, every coefficient's range); an IntegrityException fails the evaluation
            String name = "pair " + i;
            byte[] template = owner.encryptTemplate(a.get(i), name);
            byte[] probe = owner.encryptProbe(b.get(i));
            MatchKeyOwner.Verified v = owner.decryptVerify(evaluator.verify(List.of(template), probe), name, b.get(i));
            if (v.unchecked() != 0) throw new IllegalStateException("pair " + i + ": its template lost its check values");
            return v.distances()[0];
        }).toArray();
    }

    String describe() {
        var p = MatchParameters.get();
        return "CKKS N=" + p.n() + ", one " + (64 - Long.numberOfLeadingZeros(p.dataPrime(0))) + "-bit prime, scale 2^27, coefficient packing";
    }
}
