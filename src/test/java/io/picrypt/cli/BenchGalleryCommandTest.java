package io.picrypt.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.picrypt.match.GalleryKeyOwner;
import io.picrypt.match.GalleryParameters;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;

import static org.junit.jupiter.api.Assertions.*;

class BenchGalleryCommandTest {
    @Test
    void smallGalleryBenchPrintsEveryKeyAndMatchesPlaintext() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream old = System.out;
        System.setOut(new PrintStream(out));
        int code;
        try {
            code = Main.run("bench", "gallery", "--identities", "60", "--runs", "1", "--enrollments", "1", "--json");
        } finally {
            System.setOut(old);
        }
        assertEquals(0, code, out.toString());
        JsonNode j = new ObjectMapper().readTree(out.toString());
        for (String k : new String[]{"identities", "expand_ms", "probe_bytes", "identify_response_bytes", "storage_bytes_per_identity",
                "enroll_server_ms", "enroll_request_bytes", "max_abs_error", "decisions_match_plaintext", "decision_margin",
                "decisions_within_margin", "decisions_within_margin_changed"}) {
            assertTrue(j.has(k), "missing " + k);
        }
        assertTrue(j.get("identify_server_ms").has("median") && j.get("identify_server_ms").has("min"));
        assertEquals(60, j.get("identities").asInt());
        assertTrue(j.get("decisions_match_plaintext").asBoolean());
        // the bound on |d2 error|: twice the noise tolerance and the compact answer's switching bound on an inner product
        double margin = 2 * (GalleryKeyOwner.NOISE_BOUND + GalleryParameters.COMPACT_SWITCH_ERROR);
        assertEquals(margin, j.get("decision_margin").asDouble(), 1e-15);
        assertTrue(j.get("max_abs_error").asDouble() <= margin, "max_abs_error " + j.get("max_abs_error"));
        assertTrue(j.get("decisions_within_margin").asLong() > 0, "the planted pairs near the threshold are counted");
        assertTrue(j.get("probe_bytes").asLong() < 1 << 20);
        // issue 16: the compact answer for one block (bitmap + c1 at RESULT_LOG_T1 bits + BLOCK_CAPACITY c0 values at
        // RESULT_LOG_T0 bits) and the v1 size
        int cap = GalleryParameters.BLOCK_CAPACITY;
        assertEquals(9 + cap / 8 + (GalleryParameters.N * GalleryParameters.RESULT_LOG_T1 + cap * GalleryParameters.RESULT_LOG_T0) / 8,
                j.get("identify_response_bytes").asLong());
        assertTrue(j.get("identify_response_bytes_v1").asLong() > 3 * j.get("identify_response_bytes").asLong());
        for (String k : new String[]{"expansion", "products", "relinearization_and_compact_answer"}) {
            assertTrue(j.get("identify_profile_ms").has(k), "profile misses " + k);
            assertTrue(j.get("identify_profile_cpu_ms").has(k), "CPU profile misses " + k);
        }
        JsonNode floor = j.get("products_floor");
        long cols = GalleryParameters.COLUMNS, n = GalleryParameters.N; // one block
        assertEquals(cols * 2 * n * 8, floor.get("column_bytes_streamed").asLong());
        assertEquals(cols * n * 3, floor.get("multiply_adds").asLong());
        assertEquals(cols / 2 * n * 3, floor.get("pair_products").asLong());
        assertTrue(floor.get("memory_bandwidth_gb_s").asDouble() > 0 && floor.get("products_over_floor").asDouble() > 0);
    }

    @Test
    void rejectsTooSmallGallery() {
        assertEquals(Main.EXIT_ERROR, Main.run("bench", "gallery", "--identities", "10"));
    }
}
