package io.picrypt.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.*;

/** The command's JSON shape and sanity of its figures (one timed run: speed is not asserted here). */
class BenchCkksCommandTest {
    private static String run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream old = System.out;
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            assertEquals(0, Main.run(args));
        } finally {
            System.setOut(old);
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void jsonHasEveryOperationSizeAndPrecision() throws Exception {
        JsonNode o = new ObjectMapper().readTree(run("bench", "ckks", "--runs", "1", "--warmup", "0", "--json"));
        assertEquals(8192, o.at("/params/n").asInt());
        assertEquals(23, o.at("/params/galois_rotation_steps").size());
        for (String k : BenchCkksCommand.SEAL_US.keySet()) {
            JsonNode op = o.at("/ops/" + k);
            assertTrue(op.at("/median_us").asDouble() > 0, k);
            assertTrue(op.at("/min_us").asDouble() <= op.at("/median_us").asDouble(), k);
            assertEquals(1, op.at("/runs").asInt(), k);
        }
        for (var e : BenchCkksCommand.SEAL_BYTES.entrySet()) {
            long size = o.at("/sizes/" + e.getKey()).asLong();
            assertTrue(size > 0 && size <= e.getValue(), e.getKey() + " = " + size + " > SEAL's " + e.getValue());
        }
        for (String k : new String[]{"encrypt_decrypt", "multiply_relin_rescale", "rotate"}) {
            double log2 = o.at("/precision/" + k).asDouble();
            assertTrue(log2 < -20 && log2 > -40, k + " log2 error " + log2);
        }
    }

    @Test
    void galoisStepsAre24DistinctElementsWithConjugation() {
        var steps = BenchCkksCommand.galoisSteps(4096);
        assertEquals(23, steps.size());
        assertEquals(23, steps.stream().map(s -> io.picrypt.ckks.GaloisKeys.rotationElement(8192, s)).distinct().count());
    }

    @Test
    void badRunCountIsAUsageError() {
        assertEquals(Main.EXIT_ERROR, Main.run("bench", "ckks", "--runs", "0"));
    }
}
