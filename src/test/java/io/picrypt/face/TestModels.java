package io.picrypt.face;

import java.nio.file.Path;

/** Where the build put the models (surefire sets picrypt.models; fallback: ./models). */
final class TestModels {
    private TestModels() {}

    static Path dir() {
        return Path.of(System.getProperty("picrypt.models", "models"));
    }

    static Path sample(String name) { return dir().resolve("samples").resolve(name); }
}
