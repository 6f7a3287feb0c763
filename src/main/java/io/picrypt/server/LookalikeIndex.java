package io.picrypt.server;

import io.picrypt.http.ApiException;
import io.picrypt.names.IdentityNames;

import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Per keyset, the look-alike keys ({@link IdentityNames#lookalikeKey}) of every name in use (templates and
 * gallery), so that "аlice" (Cyrillic а), "ALICE" or "ａｌｉｃｅ" next to an existing "alice" is refused with 409
 * instead of becoming a second identity nobody can tell apart. Built from the store on first use per keyset
 * (one skeleton per name), kept up to date on additions and dropped on any deletion (rebuilt on next use).
 * Check and reservation are atomic per keyset, so two concurrent enrollments of look-alikes cannot both pass.
 */
final class LookalikeIndex {
    private final ConcurrentHashMap<String, Map<String, Set<String>>> byKeyset = new ConcurrentHashMap<>();

    /**
     * Refuses (409 lookalike_name) names that look like a different name of the keyset or of the same batch, and
     * records the rest. A name already in use (exactly) is always fine: re-enrolling, or the same person in the
     * templates and the gallery.
     *
     * @param existing every name of the keyset, read when the keyset's index is not yet built
     */
    void reserve(String keyset, List<String> names, Supplier<Collection<String>> existing) {
        Map<String, Set<String>> index = byKeyset.computeIfAbsent(keyset, k -> build(existing.get()));
        synchronized (index) {
            Map<String, String> batch = new HashMap<>();
            for (String n : names) {
                String key = IdentityNames.lookalikeKey(n);
                Set<String> used = index.get(key);
                String other = used == null || used.contains(n) ? null : used.iterator().next();
                if (other == null && batch.containsKey(key) && !batch.get(key).equals(n)) other = batch.get(key);
                if (other != null) {
                    throw new ApiException(409, "lookalike_name", "'" + n + "' looks like the existing name '" + other
                            + "' (letters that look alike, case or width differ): use that name, or one that is clearly different");
                }
                batch.put(key, n);
            }
            batch.forEach((key, n) -> index.computeIfAbsent(key, k -> new HashSet<>()).add(n));
        }
    }

    /** After a deletion (or a failed write): the index is rebuilt from the store on next use. */
    void invalidate(String keyset) { byKeyset.remove(keyset); }

    private static Map<String, Set<String>> build(Collection<String> names) {
        Map<String, Set<String>> m = new HashMap<>();
        for (String n : names) m.computeIfAbsent(IdentityNames.lookalikeKey(n), k -> new HashSet<>()).add(n);
        return m;
    }
}
