package io.picrypt.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.picrypt.match.GalleryParameters;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;

import static org.junit.jupiter.api.Assertions.*;

class BenchImportCommandTest {
    @Test
    void importsTwoBlocksOverHttpReportsEveryFigureAndIdentifiesAfterwards() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream old = System.out;
        System.setOut(new PrintStream(out));
        int code;
        int n = GalleryParameters.BLOCK_CAPACITY + 5; // a full block and a partial one
        try {
            code = Main.run("bench", "import", "--identities", String.valueOf(n), "--identify", "--json");
        } finally {
            System.setOut(old);
        }
        assertEquals(0, code, out.toString());
        JsonNode j = new ObjectMapper().readTree(out.toString());
        assertEquals(n, j.get("identities").asInt());
        assertEquals(2, j.get("blocks").asInt());
        for (String k : new String[]{"encrypt_ms_per_block", "exchange_ms_per_block", "server_ms_per_block"}) {
            assertTrue(j.get(k).get("median").asDouble() > 0 && j.get(k).get("max").asDouble() >= j.get(k).get("median").asDouble(), k);
        }
        // the wire carries ~8.4 MB per block (seeded columns at q0, ~2 KB per identity of a full block); the store holds the same ciphertexts
        assertTrue(j.get("bytes").asLong() > 2L * 7_000_000, j.toString());
        assertTrue(j.get("stored_bytes").asLong() > j.get("bytes").asLong() - 100_000, j.toString());
        assertTrue(j.get("identities_per_s").asLong() > 0 && j.get("wall_s").asDouble() > 0);
        assertTrue(j.get("client_cpu_s").asDouble() > 0);
        assertTrue(j.get("identify_correct").asBoolean(), "the probe's identity ranks first among the imported ones");
    }

    @Test
    void refusesBadOptions() {
        assertEquals(Main.EXIT_ERROR, Main.run("bench", "import", "--identities", "0"));
        assertEquals(Main.EXIT_ERROR, Main.run("bench", "import", "--identities", "10", "--server-pid", "1"));
        assertEquals(Main.EXIT_ERROR, Main.run("bench", "import", "--identities", "10", "--server", "http://127.0.0.1:9", "--limits", "maxGalleryBlocks=3"));
    }
}
