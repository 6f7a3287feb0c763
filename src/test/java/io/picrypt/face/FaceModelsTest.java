package io.picrypt.face;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class FaceModelsTest {
    /** The code's one copy of the calibrated threshold follows the manifest: recalibrating means changing both. */
    @Test
    void defaultThresholdIsTheManifestDefaultModelsThreshold() {
        FaceModels m = FaceModels.load(TestModels.dir());
        FaceModels.Embedding def = m.embeddings().stream().filter(FaceModels.Embedding::isDefault).findFirst().orElseThrow();
        assertEquals(def.threshold().orElseThrow(), FaceModels.DEFAULT_THRESHOLD, 0.0,
                "FaceModels.DEFAULT_THRESHOLD differs from models/manifest.json's '" + def.name() + "' threshold");
    }
}
