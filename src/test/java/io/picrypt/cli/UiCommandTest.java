package io.picrypt.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/** `picrypt ui` argument and set-up errors are one line and exit 2 (the page itself: io.picrypt.client.ui tests). */
class UiCommandTest {
    static String stderrOf(String... args) {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream old = System.err;
        System.setErr(new PrintStream(err));
        try {
            assertEquals(Main.EXIT_ERROR, Main.run(args));
        } finally {
            System.setErr(old);
        }
        return err.toString();
    }

    @Test
    void withoutKeysItSaysToRunKeysInit(@TempDir Path keys) {
        String e = stderrOf("ui", "--keys", keys.toString(), "--port", "0");
        assertTrue(e.startsWith("picrypt: ") && e.contains("keys init"), e);
    }

    @Test
    void badPortIsRefused(@TempDir Path keys) {
        String e = stderrOf("ui", "--keys", keys.toString(), "--port", "70000");
        assertTrue(e.contains("--port must be 0..65535"), e);
    }
}
