package io.picrypt.face;

/**
 * Wall-clock nanoseconds spent per stage of one pipeline call (for benchmarks and logs). Pass one to
 * {@link FacePipeline#analyze}; it is filled in, not thread-safe, and may be reused after {@link #reset()}.
 */
public final class StageTimes {
    public long decodeNanos, detectNanos, landmarksNanos, alignNanos, embedNanos;

    public void reset() { decodeNanos = detectNanos = landmarksNanos = alignNanos = embedNanos = 0; }

    /** detect + landmarks + align + embed: the part the 20 ms target is about (decode excluded). */
    public long pipelineNanos() { return detectNanos + landmarksNanos + alignNanos + embedNanos; }

    public long totalNanos() { return decodeNanos + pipelineNanos(); }
}
