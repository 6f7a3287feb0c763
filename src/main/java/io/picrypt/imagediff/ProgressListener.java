package io.picrypt.imagediff;

/**
 * Progress of a long operation, in ciphertexts done of total. May be called from worker threads, but
 * never concurrently (calls are serialized), with done increasing; the last call has done == total.
 */
@FunctionalInterface
public interface ProgressListener {
    ProgressListener NONE = (done, total) -> {};

    void progress(long done, long total);
}
