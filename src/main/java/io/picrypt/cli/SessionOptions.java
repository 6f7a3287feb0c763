package io.picrypt.cli;

import io.picrypt.client.MatchSession;
import io.picrypt.face.FacePipeline;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** What every photo-matching command needs: keys and server, models, and the decision threshold. */
final class SessionOptions {
    @Mixin
    ClientOptions client;

    @Mixin
    FaceOptions face;

    @Option(names = "--threshold", description = "squared-distance threshold (default: the model's, from models/manifest.json)")
    Double threshold;

    /** The face pipeline and a session over it; closing it releases the models. */
    record Opened(FacePipeline pipeline, MatchSession session) implements AutoCloseable {
        @Override
        public void close() { pipeline.close(); }
    }

    Opened open() {
        FacePipeline p = face.open();
        try {
            return new Opened(p, client.session(p, threshold));
        } catch (RuntimeException e) {
            p.close();
            throw e;
        }
    }
}
