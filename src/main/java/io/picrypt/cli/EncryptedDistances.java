package io.picrypt.cli;

import java.util.List;

/**
 * Extension point for {@code picrypt eval --encrypted}: computes squared Euclidean distances between pairs
 * of L2-normalised embeddings under CKKS (encrypt both with a client key, evaluate the distance homomorphically,
 * decrypt). The eval command compares every decision taken on these distances with the plaintext decision.
 * <p>
 * The CKKS library (branch {@code ckks}) provides the implementation and registers it in
 * {@code META-INF/services/io.picrypt.cli.EncryptedDistances}; until then {@code --encrypted} reports that it
 * is unavailable.
 */
public interface EncryptedDistances {
    /** Decrypted squared distances, one per pair, in order. */
    double[] squaredDistances(List<float[]> a, List<float[]> b);

    /** Short description for reports, e.g. the CKKS parameter set. */
    String describe();
}
