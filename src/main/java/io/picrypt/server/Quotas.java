package io.picrypt.server;

import io.picrypt.http.ApiException;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.picrypt.store.EnrollmentStore;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Per-server and per-keyset quotas. Keyset creation is the one thing an unauthenticated caller can do, so it
 * is rate limited server-wide and per remote address over a sliding window (429 with Retry-After); what one
 * keyset may store is bounded in identities, gallery blocks and bytes (507 Insufficient Storage: the quota of
 * this keyset is used up, not the server's disk).
 */
final class Quotas {
    private final Limits limits;
    private final Deque<Long> global = new ArrayDeque<>();
    /** Creation times per remote address; addresses idle for a window are dropped, at most 100,000 kept. */
    private final Cache<String, Deque<Long>> perClient;

    Quotas(Limits limits) {
        this.limits = limits;
        this.perClient = Caffeine.newBuilder().expireAfterAccess(Duration.ofMillis(limits.windowMs())).maximumSize(100_000).build();
    }

    /** Counts one keyset creation by {@code client}, or throws 429 when the server or the client is over its rate. */
    void admitKeysetCreation(String client) {
        long now = System.currentTimeMillis();
        Deque<Long> mine = perClient.get(client, k -> new ArrayDeque<>());
        synchronized (this) {
            prune(global, now);
            prune(mine, now);
            Deque<Long> full = global.size() >= limits.keysetsPerWindow() ? global
                    : mine.size() >= limits.keysetsPerClientWindow() ? mine : null;
            if (full != null) {
                long retry = full.isEmpty() ? limits.windowMs() : full.peekFirst() + limits.windowMs() - now;
                throw new ApiException(429, "rate_limited", (full == global
                        ? "this server creates at most " + limits.keysetsPerWindow()
                        : "one address may create at most " + limits.keysetsPerClientWindow())
                        + " keysets per " + limits.windowMs() / 1000 + " s; try again in " + Math.max(1, (retry + 999) / 1000) + " s")
                        .retryAfterSeconds(Math.max(1, (retry + 999) / 1000));
            }
            global.addLast(now);
            mine.addLast(now);
        }
    }

    private void prune(Deque<Long> d, long now) {
        while (!d.isEmpty() && d.peekFirst() <= now - limits.windowMs()) d.removeFirst();
    }

    /** Before a 1:1 enrollment of {@code bytes}: a new name must fit the identity quota, the bytes the storage quota. */
    void admitTemplate(EnrollmentStore store, String keyset, String name, long bytes, java.util.function.BooleanSupplier newName) {
        if (store.identityCount(keyset) >= limits.maxIdentities() && newName.getAsBoolean()) {
            throw quota("this keyset holds its maximum of " + limits.maxIdentities() + " identities");
        }
        admitBytes(store, keyset, bytes);
    }

    /** Before a gallery block is added ({@code blocks} = blocks already stored). */
    void admitGalleryBlock(EnrollmentStore store, String keyset, int blocks, long bytes) {
        if (blocks >= limits.maxGalleryBlocks()) {
            throw quota("this keyset's gallery holds its maximum of " + limits.maxGalleryBlocks() + " blocks");
        }
        admitBytes(store, keyset, bytes);
    }

    void admitBytes(EnrollmentStore store, String keyset, long bytes) {
        long used = store.storedBytes(keyset) + store.galleryBytes(keyset);
        if (used + bytes > limits.maxStoredBytes()) {
            throw quota("this keyset stores " + used + " bytes; " + bytes + " more exceed its quota of " + limits.maxStoredBytes());
        }
    }

    private static ApiException quota(String message) {
        return new ApiException(507, "quota_exceeded", message);
    }
}
