package io.picrypt.imagediff;

import java.io.IOException;

/**
 * How the client's two encrypted images reach a subtracting server and the encrypted difference comes
 * back: in-process for benchmarks and tests; `picrypt bench diff` wraps the client's HTTP call (ImageDiffSession.subtract).
 */
@FunctionalInterface
public interface DiffTransport {
    /** PCIM before, PCIM after in; PCID (after - before) out. */
    byte[] subtract(byte[] beforeBlob, byte[] afterBlob) throws IOException;

    static DiffTransport inProcess(ImageDiffEvaluator evaluator) {
        return evaluator::subtract;
    }
}
