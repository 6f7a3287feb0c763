package io.picrypt.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.picrypt.imagediff.DiffImage;
import io.picrypt.imagediff.ImageDiffKeyOwner;
import io.picrypt.imagediff.ImageDiffParameters;
import io.picrypt.imagediff.SyntheticPair;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.*;

class BenchDiffCommandTest {
    static String capture(Runnable r) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream old = System.out;
        System.setOut(new PrintStream(out));
        try {
            r.run();
        } finally {
            System.setOut(old);
        }
        return out.toString();
    }

    @Test
    void jsonHasTheDocumentedKeysAndIsExact() throws Exception {
        String out = capture(() -> assertEquals(0, Main.run("bench", "diff", "--width", "64", "--height", "40", "--runs", "1", "--warmup", "0", "--json")));
        JsonNode j = new ObjectMapper().readTree(out);
        for (String k : new String[]{"width", "height", "channels", "total_ms", "encrypt_ms", "server_ms", "decrypt_ms", "upload_bytes", "download_bytes", "exact"}) {
            assertTrue(j.has(k), "missing " + k + " in " + out);
        }
        assertEquals(64, j.get("width").asInt());
        assertEquals(40, j.get("height").asInt());
        assertEquals(3, j.get("channels").asInt());
        assertTrue(j.get("exact").asBoolean());
        // 64*40*3 = 7680 samples: one ciphertext per image, (c0, seed) each; the difference is (c0, 2 seeds)
        assertTrue(j.get("upload_bytes").asLong() > 2 * 2048 * 52 / 8);
        assertTrue(j.get("download_bytes").asLong() < j.get("upload_bytes").asLong());
    }

    @Test
    void badOptionsAreOneLineErrors() {
        assertEquals(Main.EXIT_ERROR, Main.run("bench", "diff", "--width", "2"));
        assertEquals(Main.EXIT_ERROR, Main.run("bench", "diff", "--layout", "1024:52:5", "--width", "16", "--height", "16"));
    }

    @Test
    void aPluggedTransportIsUsedAndAWrongOneIsNotExact() throws Exception {
        ImageDiffKeyOwner owner = ImageDiffKeyOwner.withNewKey(ImageDiffParameters.standard());
        SyntheticPair pair = SyntheticPair.generate(32, 24, 2);
        DiffImage expected = DiffImage.plain(pair.before(), pair.after());
        AtomicInteger calls = new AtomicInteger();
        io.picrypt.imagediff.ImageDiffEvaluator evaluator = new io.picrypt.imagediff.ImageDiffEvaluator();
        BenchDiffCommand.Run ok = BenchDiffCommand.run(owner, (b, a) -> {
            calls.incrementAndGet();
            return evaluator.subtract(b, a);
        }, pair.before(), pair.after(), expected);
        assertTrue(ok.exact());
        assertEquals(1, calls.get());
        // a server that swaps the operands returns before - after: detected as not exact
        BenchDiffCommand.Run swapped = BenchDiffCommand.run(owner, (b, a) -> evaluator.subtract(a, b), pair.before(), pair.after(), expected);
        assertFalse(swapped.exact());
    }
}
