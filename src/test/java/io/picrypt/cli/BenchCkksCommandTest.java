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
        JsonNode o = new ObjectMapper().readTree(run("bench", "ckks", "--processes", "1", "--runs", "1", "--warmup", "0", "--json"));
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
        for (String k : new String[]{"encrypt_decrypt", "encrypt_symmetric_decrypt", "multiply_relin_rescale", "rotate"}) {
            double log2 = o.at("/precision/" + k).asDouble();
            assertTrue(log2 < -20 && log2 > -40, k + " log2 error " + log2);
        }
        // fresh public-key precision within one bit of SEAL's (issue 16); the old encryptor measured -23.1
        assertTrue(o.at("/precision/encrypt_decrypt").asDouble() < o.at("/seal_precision/encrypt_decrypt").asDouble() + 1,
                "encrypt_decrypt " + o.at("/precision/encrypt_decrypt"));
        assertTrue(o.at("/precision/multiply_relin_rescale").asDouble() < o.at("/seal_precision/multiply_relin_rescale").asDouble() + 1,
                "multiply_relin_rescale " + o.at("/precision/multiply_relin_rescale"));
    }

    /** The spread over processes: min / median / max of the per-process medians, spread and ratio to SEAL. */
    @Test
    void spreadOverProcessesIsMinMedianMaxOfMedians() throws Exception {
        ObjectMapper om = new ObjectMapper();
        java.util.List<JsonNode> children = new java.util.ArrayList<>();
        double[] medians = {400, 300, 360};
        for (double m : medians) {
            children.add(om.readTree("{\"params\":{\"n\":8192,\"prime_bits\":[60,40,40,60],\"threads\":1,\"cpu\":\"x\"},"
                    + "\"ops\":{\"multiply\":{\"median_us\":" + m + ",\"cpu_median_us\":" + (m - 10) + "}},"
                    + "\"precision\":{\"encrypt_decrypt\":" + (-27 - m / 1000) + "},\"sizes\":{},\"seal_sizes\":{}}"));
        }
        JsonNode o = BenchCkksCommand.spread(children);
        JsonNode mul = o.at("/ops/multiply");
        assertEquals(360.0, mul.at("/median_us").asDouble());
        assertEquals(300.0, mul.at("/min_of_medians_us").asDouble());
        assertEquals(400.0, mul.at("/max_of_medians_us").asDouble());
        assertEquals(0.278, mul.at("/spread").asDouble(), 1e-9);
        assertEquals(350.0, mul.at("/cpu_median_us").asDouble());
        assertEquals(0.95, mul.at("/ratio_to_seal").asDouble(), 1e-9); // 360 / 378
        assertTrue(mul.at("/met").asBoolean());
        assertFalse(mul.at("/spread_met").asBoolean());
        assertEquals(3, o.at("/params/processes").asInt());
        assertEquals(-27.36, o.at("/precision/encrypt_decrypt/median_log2").asDouble(), 1e-9);
        assertEquals(-27.2, o.at("/precision/encrypt_decrypt/seal_log2").asDouble(), 1e-9);
        assertTrue(BenchCkksCommand.spreadTable((com.fasterxml.jackson.databind.node.ObjectNode) o).contains("spread MISSED"));
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
        assertEquals(Main.EXIT_ERROR, Main.run("bench", "ckks", "--processes", "0"));
    }

    /**
     * The timed runs are spread over rounds: each round runs every operation's share (after one untimed call that warms
     * its data back into the caches), so a disturbance of a second lands on a few runs of every operation instead of all
     * runs of one. Checks the order of the calls, every op's run count and the warm-up.
     */
    @Test
    void timedRunsAreInterleavedInRounds() {
        java.util.List<String> calls = new java.util.ArrayList<>();
        java.util.List<BenchCkksCommand.Timed> ops = java.util.List.of(
                new BenchCkksCommand.Timed("a", 6, 1, 1, () -> { calls.add("a"); return calls; }),
                new BenchCkksCommand.Timed("b", 6, 1, 1, () -> { calls.add("b"); return calls; }),
                new BenchCkksCommand.Timed("k", 2, 0, 1, () -> { calls.add("k"); return calls; }));
        var stats = BenchCkksCommand.timeInterleaved(ops, 3);
        assertEquals(6, stats.get("a").runs());
        assertEquals(2, stats.get("k").runs());
        assertTrue(stats.get("k").minUs() >= 0 && stats.get("k").minUs() <= stats.get("k").medianUs());
        // warm-up: a and b each called for at least 0.4 s, in that order; k (warm-up 0) not at all
        int firstB = calls.indexOf("b"), firstK = calls.indexOf("k");
        assertTrue(firstB > 1 && calls.subList(0, firstB).stream().allMatch("a"::equals));
        int start = firstB;
        while (calls.get(start).equals("b")) start++;
        assertTrue(start < firstK);
        String timed = String.join("", calls.subList(start, calls.size()));
        // rounds: runs [0,2), [2,4), [4,6) of a and b after one untimed call each; k's 2 runs in rounds 1 and 2 (2*r/3)
        assertEquals("aaabbb" + "aaabbbkk" + "aaabbbkk", timed);

        // more rounds than runs are cut to the largest run count; a huge count neither overflows nor loops for long
        calls.clear();
        var few = java.util.List.of(new BenchCkksCommand.Timed("a", 2, 0, 1, () -> { calls.add("a"); return calls; }));
        assertEquals(2, BenchCkksCommand.timeInterleaved(few, Integer.MAX_VALUE).get("a").runs());
        assertEquals(java.util.List.of("a", "a", "a", "a"), calls); // two rounds: one untimed + one timed call each
        assertThrows(IllegalArgumentException.class, () -> BenchCkksCommand.timeInterleaved(few, 0));
    }
}
