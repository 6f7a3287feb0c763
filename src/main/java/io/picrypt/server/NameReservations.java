package io.picrypt.server;

import io.picrypt.store.EnrollmentStore;

import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Writes that create names (1:1 enrollment, gallery enrollment, gallery import) go through here: the names are
 * checked against look-alikes of the keyset's names ({@link LookalikeIndex}, 409 {@code lookalike_name}) and reserved,
 * then written; a write that fails drops the keyset's index, since the reservation may name nothing stored.
 */
final class NameReservations {
    private final EnrollmentStore store;
    private final LookalikeIndex lookalikes = new LookalikeIndex();

    NameReservations(EnrollmentStore store) { this.store = store; }

    /** Reserves {@code names} in keyset {@code id}, then runs {@code write}; returns its result. */
    <T> T write(String id, List<String> names, Supplier<T> write) {
        lookalikes.reserve(id, names, () -> allNames(id));
        try {
            return write.get();
        } catch (RuntimeException e) {
            lookalikes.invalidate(id); // the reservation above may name nothing stored
            throw e;
        }
    }

    /** After a deletion: the keyset's index is rebuilt from the store on next use. */
    void invalidate(String id) { lookalikes.invalidate(id); }

    /** Every name of the keyset (templates and gallery), for the look-alike index. */
    private Collection<String> allNames(String id) {
        Set<String> names = new HashSet<>();
        for (var i : store.list(id)) names.add(i.name());
        for (var n : store.galleryNames(id)) names.add(n.name());
        return names;
    }
}
