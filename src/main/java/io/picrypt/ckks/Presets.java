package io.picrypt.ckks;

import java.util.function.Supplier;

/** Named parameter sets; prime generation is cached because it costs a few ms per set. */
public enum Presets {
    /** TenSEAL's face-verification setting. */
    DEFAULT(() -> CkksParameters.create(8192, new int[]{60, 40, 40, 60}, Math.pow(2, 40))),
    /** One more level for deeper circuits. */
    N16384_DEPTH4(() -> CkksParameters.create(16384, new int[]{60, 40, 40, 40, 40, 60}, Math.pow(2, 40)));

    private final Supplier<CkksParameters> factory;
    private volatile CkksParameters cached;

    Presets(Supplier<CkksParameters> factory) { this.factory = factory; }

    public CkksParameters get() {
        CkksParameters p = cached;
        if (p == null) {
            synchronized (this) {
                if (cached == null) cached = factory.get();
                p = cached;
            }
        }
        return p;
    }
}
