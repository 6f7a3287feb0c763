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

    /**
     * 'picrypt gallery rebuild --help' in an 80-column terminal: no line wider, and each option's description wraps as one
     * paragraph (no line of it but its last cut short, as when each of several long description lines wrapped on its own).
     */
    @Test
    void galleryRebuildHelpReadsWellInEightyColumns() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream old = System.out;
        System.setOut(new PrintStream(out, true, java.nio.charset.StandardCharsets.UTF_8));
        try {
            assertEquals(0, Main.run("gallery", "rebuild", "--help"));
        } finally {
            System.setOut(old);
        }
        String help = out.toString(java.nio.charset.StandardCharsets.UTF_8);
        java.util.List<String> lines = help.lines().toList();
        for (String l : lines) assertTrue(l.length() <= 80, "wider than 80 columns: '" + l + "'\n" + help);
        int at = -1;
        for (int i = 0; i < lines.size(); i++) if (lines.get(i).contains("--drop-outdated")) at = i;
        assertTrue(at >= 0, help);
        String first = lines.get(at);
        int column = first.indexOf(first.trim().substring("--drop-outdated".length()).trim());
        java.util.List<String> block = new java.util.ArrayList<>(java.util.List.of(first));
        for (int i = at + 1; i < lines.size() && lines.get(i).startsWith(" ".repeat(column)) && !lines.get(i).isBlank(); i++) block.add(lines.get(i));
        assertTrue(block.size() >= 2, help);
        for (int i = 0; i < block.size() - 1; i++) {
            assertTrue(block.get(i).trim().length() > (80 - column) / 2 + (i == 0 ? "--drop-outdated".length() : 0),
                    "a description line cut short: '" + block.get(i) + "'\n" + help);
        }
        assertTrue(String.join(" ", block).contains("gallery-dropped-"), help);
    }

    @Test
    void unknownOptionIsAUsageErrorNotAStackTrace() {
        assertEquals(Main.EXIT_ERROR, Main.run("--no-such-option"));
    }
}
