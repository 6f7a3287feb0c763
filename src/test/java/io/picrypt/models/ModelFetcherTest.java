package io.picrypt.models;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class ModelFetcherTest {
    static Path models() {
        return Path.of(System.getProperty("picrypt.models", "models"));
    }

    @Test
    void buildFetchedEveryFileWithItsPinnedChecksum() {
        ModelFetcher f = new ModelFetcher(models());
        assertTrue(f.entries().size() >= 8, "manifest lists the three models and the sample photos");
        for (ModelFetcher.Entry e : f.entries()) {
            assertNull(ModelFetcher.state(e), e.name() + " should be present and verified");
        }
    }

    @Test
    void corruptedModelIsDetectedAndFetchedAgain(@TempDir Path dir) throws Exception {
        Files.copy(models().resolve("manifest.json"), dir.resolve("manifest.json"));
        // put correct copies everywhere, then corrupt one byte of the landmark model
        for (ModelFetcher.Entry e : new ModelFetcher(models()).entries()) {
            Path target = dir.resolve(models().relativize(e.target()));
            Files.createDirectories(target.getParent());
            Files.copy(e.target(), target);
        }
        Path lm = dir.resolve("fr_landmark.onnx");
        byte[] data = Files.readAllBytes(lm);
        data[data.length / 2] ^= 0x5a;
        Files.write(lm, data);

        ModelFetcher f = new ModelFetcher(dir);
        var landmarks = f.entries().stream().filter(e -> e.name().equals("landmarks")).findFirst().orElseThrow();
        assertTrue(ModelFetcher.state(landmarks).startsWith("checksum mismatch"));
        assertThrows(ModelFetcher.FetchException.class, () -> ModelFetcher.verify(lm, landmarks.sha256()));

        assertEquals(List.of("landmarks"), f.ensureAll(), "only the corrupted file is fetched again");
        assertNull(ModelFetcher.state(landmarks));
    }

    @Test
    void missingNpmIsReportedClearly(@TempDir Path dir) throws Exception {
        Files.copy(models().resolve("manifest.json"), dir.resolve("manifest.json"));
        ModelFetcher f = new ModelFetcher(dir, "/nonexistent/npm");
        var ex = assertThrows(ModelFetcher.FetchException.class, f::ensureAll);
        assertTrue(ex.getMessage().contains("npm is needed"), ex.getMessage());
    }

    @Test
    void manifestWithoutChecksumIsRejected(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("manifest.json"), "{\"packages\":{\"p\":{\"npm\":\"x@1\"}},\"models\":{\"m\":{\"package\":\"p\",\"file\":\"m.onnx\",\"path_in_package\":\"package/m.onnx\"}}}");
        assertThrows(ModelFetcher.FetchException.class, () -> new ModelFetcher(dir));
    }
}
