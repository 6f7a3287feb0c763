package io.picrypt.cli;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Names in every script line up in identify's columns: width counted in terminal columns, not chars. */
class TerminalTest {
    @Test
    void wideCharactersTakeTwoColumnsAndCombiningMarksNone() {
        assertEquals(5, Terminal.displayWidth("alice"));
        assertEquals(16, Terminal.displayWidth("ハワード・ウォロウィッツ".substring(0, 8))); // katakana: wide
        assertEquals(4, Terminal.displayWidth("王小明".substring(0, 2)));
        assertEquals(5, Terminal.displayWidth("José".replace("é", "e\u0301") + "s")); // e + combining acute: one column
        assertEquals(5, Terminal.displayWidth("அனிதா")); // Tamil vowel signs: the combining ones take none
        assertEquals(2, Terminal.displayWidth("\uD83D\uDE00")); // an emoji (wide), one code point in two chars
        assertEquals(3, Terminal.displayWidth("Бен"));
    }

    @Test
    void paddingCountsColumns() {
        assertEquals("王小明" + " ".repeat(4), Terminal.padRight("王小明", 10));
        assertEquals("bob       ", Terminal.padRight("bob", 10));
        assertEquals("a much longer name", Terminal.padRight("a much longer name", 10));
        // every padded name ends at the same column
        for (String n : new String[]{"bob", "王小明", "Бернадетт", "ハワード"}) assertEquals(24, Terminal.displayWidth(Terminal.padRight(n, 24)), n);
    }
}
