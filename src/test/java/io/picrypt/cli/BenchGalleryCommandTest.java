package io.picrypt.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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
                "enroll_server_ms", "enroll_request_bytes", "max_abs_error", "decisions_match_plaintext"}) {
            assertTrue(j.has(k), "missing " + k);
        }
        assertTrue(j.get("identify_server_ms").has("median") && j.get("identify_server_ms").has("min"));
        assertEquals(60, j.get("identities").asInt());
        assertTrue(j.get("decisions_match_plaintext").asBoolean());
        assertTrue(j.get("max_abs_error").asDouble() < 1e-4);
        assertTrue(j.get("probe_bytes").asLong() < 1 << 20);
        // issue 16: the compact answer for one block (bitmap + c1 at 28 bits + 2,048 c0 values at 20 bits) and the v1 size
        assertEquals(9 + 256 + (8192 * 28 + 2048 * 20) / 8, j.get("identify_response_bytes").asLong());
        assertTrue(j.get("identify_response_bytes_v1").asLong() > 3 * j.get("identify_response_bytes").asLong());
        for (String k : new String[]{"expansion", "products", "relinearization_and_compact_answer"}) {
            assertTrue(j.get("identify_profile_ms").has(k), "profile misses " + k);
            assertTrue(j.get("identify_profile_cpu_ms").has(k), "CPU profile misses " + k);
        }
        JsonNode floor = j.get("products_floor");
        assertEquals(128L * 2 * 8192 * 8, floor.get("column_bytes_streamed").asLong());
        assertEquals(128L * 8192 * 3, floor.get("multiply_adds").asLong());
        assertEquals(64L * 8192 * 3, floor.get("pair_products").asLong());
        assertTrue(floor.get("memory_bandwidth_gb_s").asDouble() > 0 && floor.get("products_over_floor").asDouble() > 0);
    }

    @Test
    void rejectsTooSmallGallery() {
        assertEquals(Main.EXIT_ERROR, Main.run("bench", "gallery", "--identities", "10"));
    }
}
