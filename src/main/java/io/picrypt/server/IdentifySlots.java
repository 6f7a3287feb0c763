package io.picrypt.server;

import io.picrypt.http.ApiException;

import java.util.function.Supplier;

/**
 * Admission of 1:N identify requests (single probe or batch): at most {@code Limits.identifySlots} computed at once,
 * and {@code identifySlotsPerKeyset} per keyset. A request waits up to {@code identifyWaitMs} for a slot; then 429
 * {@code too_many_requests} when its keyset holds its share, else 503 {@code busy} (both with Retry-After).
 */
final class IdentifySlots {
    private final Limits limits;
    private final FairSlots slots;

    IdentifySlots(Limits limits) {
        this.limits = limits;
        this.slots = new FairSlots(limits.identifySlots(), limits.identifySlotsPerKeyset());
    }

    /** Runs {@code work} in one of keyset {@code id}'s identify slots. */
    <T> T run(String id, Supplier<T> work) {
        acquire(id);
        try {
            return work.get();
        } finally {
            slots.release(id);
        }
    }

    private void acquire(String id) {
        try {
            if (slots.acquire(id, limits.identifyWaitMs())) return;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ApiException(503, "busy", "interrupted while waiting for an identify slot");
        }
        if (slots.ownerFull(id)) {
            throw new ApiException(429, "too_many_requests", "this keyset already runs " + limits.identifySlotsPerKeyset()
                    + " identify requests at once; wait for one to finish").retryAfterSeconds(2);
        }
        throw new ApiException(503, "busy", "too many identify requests in progress; try again shortly").retryAfterSeconds(2);
    }
}
