package io.picrypt.cli;

import io.picrypt.face.FacePipeline;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/** Options shared by the face commands (embed, detect, eval, bench face). */
final class FaceOptions {
    @Option(names = "--models", paramLabel = "DIR",
            description = "models directory with manifest.json (default: $PICRYPT_MODELS, -Dpicrypt.models, or ./models)")
    Path modelsDir;

    @Option(names = "--model", paramLabel = "NAME", description = "embedding model: a key of manifest.json's models (default: the one marked default)")
    String model;

    Path modelsDir() {
        if (modelsDir != null) return modelsDir;
        String p = System.getProperty("picrypt.models");
        if (p == null) p = System.getenv("PICRYPT_MODELS");
        return Path.of(p == null ? "models" : p);
    }

    FacePipeline open() { return FacePipeline.open(modelsDir(), model); }
}
