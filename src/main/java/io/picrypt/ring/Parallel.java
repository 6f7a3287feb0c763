package io.picrypt.ring;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.IntConsumer;
import java.util.stream.IntStream;

/**
 * Optional data parallelism for independent work items (RNS limbs, key-switching digits, keys). On by default
 * when more than one CPU is available; {@code -Dpicrypt.ckks.parallel=false} or {@link #setEnabled} turns it
 * off (the CKKS benchmark does, to report single-threaded figures).
 */
public final class Parallel {
    private static final AtomicBoolean ENABLED = new AtomicBoolean(
            Boolean.parseBoolean(System.getProperty("picrypt.ckks.parallel", "true")) && Runtime.getRuntime().availableProcessors() > 1);

    private Parallel() {}

    public static boolean enabled() { return ENABLED.get(); }

    public static void setEnabled(boolean on) { ENABLED.set(on); }

    /** Runs body(0..count-1), on the common fork-join pool when enabled and there is more than one item. */
    public static void forEach(int count, IntConsumer body) {
        if (count > 1 && ENABLED.get()) IntStream.range(0, count).parallel().forEach(body);
        else for (int i = 0; i < count; i++) body.accept(i);
    }
}
