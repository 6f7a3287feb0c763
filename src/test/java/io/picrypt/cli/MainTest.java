package io.picrypt.cli;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;

import static org.junit.jupiter.api.Assertions.*;

class MainTest {
    @Test
    void helpListsEveryPlannedCommand() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream old = System.out;
        System.setOut(new PrintStream(out));
        try {
            assertEquals(0, Main.run("--help"));
        } finally {
            System.setOut(old);
        }
        for (String c : new String[]{"server", "keys", "enroll", "verify", "identify", "diff", "ui", "eval", "bench", "demo"}) {
            assertTrue(out.toString().contains(c), "help lists " + c);
        }
    }

    @Test
    void unknownOptionIsAUsageErrorNotAStackTrace() {
        assertEquals(Main.EXIT_ERROR, Main.run("--no-such-option"));
    }
}
