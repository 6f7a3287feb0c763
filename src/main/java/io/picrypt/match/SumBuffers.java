package io.picrypt.match;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Reused arrays for the block product sums of identify ({@link io.picrypt.ckks.ProductSum#sums(io.picrypt.ckks.CkksParameters,
 * java.util.List, java.util.List, long[][][][])}): one unit per block, long[3][1][N] (192 KiB at N = 8192), shared by every
 * evaluator of the process. Without it an identify over 1,000,000 identities allocates 96 MB of sums that live until its
 * answer is written, so a young collection during the call copies them (a 159 ms pause measured in one 1M bench process,
 * docs/BENCHMARKS.md round 8). Bounded: at most {@link #maxUnits} units are kept (the rest are left to the GC), a quarter
 * of the maximum heap and at most 1,024 units (192 MiB: two concurrent identifies at 1M). Thread-safe: each unit is
 * held by one caller between {@link #take} and {@link #give}.
 */
final class SumBuffers {
    private final int n;
    private final int maxUnits;
    private final ConcurrentLinkedQueue<long[][][]> free = new ConcurrentLinkedQueue<>();
    private final AtomicInteger kept = new AtomicInteger();

    SumBuffers(int n, long maxHeapBytes) {
        this.n = n;
        long unitBytes = 3L * 8 * n;
        this.maxUnits = (int) Math.max(0, Math.min(1024, maxHeapBytes / 4 / unitBytes));
    }

    /** {@code count} units (pooled ones first), as the destination of one product-sum call. */
    long[][][][] take(int count) {
        long[][][][] out = new long[count][][][];
        for (int k = 0; k < count; k++) {
            long[][][] u = free.poll();
            if (u != null) kept.decrementAndGet();
            out[k] = u != null ? u : new long[3][1][n];
        }
        return out;
    }

    /** Returns the units of {@code units} (nothing may use them or the ciphertexts wrapping them afterwards). */
    void give(long[][][][] units) {
        for (long[][][] u : units) {
            if (kept.incrementAndGet() <= maxUnits) free.offer(u);
            else kept.decrementAndGet();
        }
    }

    /** Units kept now (for tests). */
    int kept() {
        return kept.get();
    }

    int maxUnits() {
        return maxUnits;
    }
}
