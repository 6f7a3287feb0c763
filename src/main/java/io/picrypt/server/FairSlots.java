package io.picrypt.server;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Admission to a scarce, heavy operation (image difference, 1:N identify): at most {@code total} run at once, and at most
 * {@code perOwner} for one owner (keyset), so one keyset's requests cannot hold every slot while other keysets
 * wait. A waiter gives up after its timeout (the caller answers 503).
 */
final class FairSlots {
    private final int total, perOwner;
    private final Map<String, Integer> held = new HashMap<>();
    private int inUse;

    FairSlots(int total, int perOwner) {
        this.total = total;
        this.perOwner = Math.min(perOwner, total);
    }

    /** Takes a slot for {@code owner} within {@code timeoutMs}; false on timeout. */
    synchronized boolean acquire(String owner, long timeoutMs) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (inUse >= total || held.getOrDefault(owner, 0) >= perOwner) {
            long left = deadline - System.nanoTime();
            if (left <= 0) return false;
            TimeUnit.NANOSECONDS.timedWait(this, left);
        }
        inUse++;
        held.merge(owner, 1, Integer::sum);
        return true;
    }

    /** Whether {@code owner} holds its whole share now (a refusal is then its own load: 429, not the server's: 503). */
    synchronized boolean ownerFull(String owner) {
        return held.getOrDefault(owner, 0) >= perOwner;
    }

    synchronized void release(String owner) {
        inUse--;
        if (held.merge(owner, -1, Integer::sum) <= 0) held.remove(owner);
        notifyAll();
    }
}
