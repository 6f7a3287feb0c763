package io.picrypt.models;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class ModelCheckTest {
    @Test
    void everyModelLoadsInOnnxRuntimeWithTheDeclaredInputShape() throws Exception {
        var results = ModelCheck.checkAll(ModelFetcherTest.models());
        assertEquals(9, results.size(), "detector, landmarks, embedding + the six analysis models (issue 17)");
        for (var r : results) assertTrue(r.shapeMatches(), r.toString());
        var embedding = results.stream().filter(r -> r.name().equals("faceplugin-512")).findFirst().orElseThrow();
        assertTrue(embedding.outputs().get(0).contains("512"), "embedding output is 512-D: " + embedding.outputs());
    }
}
