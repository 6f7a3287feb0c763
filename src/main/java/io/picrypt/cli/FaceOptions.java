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

    @Option(names = "--pipeline", paramLabel = "K=V,...",
            description = "change the model's pipeline settings for this run, e.g. flip=off,letterbox=on,margin=0.1,border=replicate,upscale=cubic "
                    + "(defaults: the manifest's; the threshold was calibrated with those)")
    String pipeline;

    @Option(names = "--quality", paramLabel = "K=V,...",
            description = "change the quality gate for this run, e.g. pose=refuse,blur=off,min_eye=24, or 'off' "
                    + "(default: the manifest's, changed by $PICRYPT_QUALITY)")
    String quality;

    Path modelsDir() {
        if (modelsDir != null) return modelsDir;
        String p = System.getProperty("picrypt.models");
        if (p == null) p = System.getenv("PICRYPT_MODELS");
        return Path.of(p == null ? "models" : p);
    }

    FacePipeline open() {
        return FacePipeline.open(modelsDir(), model, io.picrypt.face.InferenceEngine.defaultEngine(), new io.picrypt.face.ImageLoader(), pipeline, quality);
    }
}
