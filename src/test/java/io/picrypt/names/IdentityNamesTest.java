package io.picrypt.names;

import io.picrypt.names.IdentityNames.InvalidNameException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.text.Normalizer;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

/** Issue 12 item 3 and issue 11's look-alike names: names as people write them, one rule for client and server. */
class IdentityNamesTest {
    /** The examples, plus more scripts; each must be accepted unchanged (they are already NFC). */
    @ParameterizedTest
    @ValueSource(strings = {
            "\u0905\u0928\u093F\u0930\u0941\u0926\u094D\u0927",    // अनिरुद्ध (Devanagari, vowel signs and virama)
            "\u0BA4\u0BAE\u0BBF\u0BB4\u0BCD\u0B9A\u0BC6\u0BB2\u0BCD\u0BB5\u0BBF", // தமிழ்செல்வி (Tamil)
            "\u0E2A\u0E21\u0E0A\u0E32\u0E22",                      // สมชาย (Thai)
            "\u0E2A\u0E38\u0E14\u0E32\u0E23\u0E31\u0E15\u0E19\u0E4C", // สุดารัตน์ (Thai with marks)
            "Jordi Col\u00B7lell",                                 // Catalan middle dot
            "\u30B8\u30E7\u30F3\u30FB\u30B9\u30DF\u30B9",          // ジョン・スミス (katakana middle dot)
            "Aoife O\u2019Brien", "O'Brien", "Jean-Luc Picard", "J. R. R. Tolkien", "alice_2",
            "Zo\u00EB", "\u5C71\u7530\u592A\u90CE", "\u0645\u062D\u0645\u062F", "\u05E9\u05DC\u05D5\u05DD",
            "\u0639\u0644\u06CC\u200C\u0631\u0636\u0627",          // علی‌رضا (Persian, ZWNJ between joining letters)
            "\u0D15\u0D4D\u200D",                                  // Malayalam chillu form: ZWJ after a virama
            "\u0391\u03B8\u03B7\u03BD\u03AC", "\u0418\u0432\u0430\u043D", "x", "7"})
    void realNamesInEveryScriptAreAccepted(String name) {
        assertEquals(name, IdentityNames.normalize(name));
    }

    @Test
    void decomposedFormsBecomeTheComposedName() {
        String nfd = Normalizer.normalize("Zo\u00EB", Normalizer.Form.NFD);
        assertNotEquals("Zo\u00EB", nfd);
        assertEquals("Zo\u00EB", IdentityNames.normalize(nfd));
        assertEquals(IdentityNames.lookalikeKey("Zo\u00EB"), IdentityNames.lookalikeKey(nfd));
    }

    @Test
    void lengthIsCountedInCodePoints() {
        String han64 = "\uD840\uDC0B".repeat(64); // 64 supplementary ideographs = 128 UTF-16 units
        assertEquals(han64, IdentityNames.normalize(han64));
        assertThrows(InvalidNameException.class, () -> IdentityNames.normalize(han64 + "\uD840\uDC0B"));
        assertEquals(64, IdentityNames.normalize("a".repeat(64)).length());
        assertTrue(assertThrows(InvalidNameException.class, () -> IdentityNames.normalize("a".repeat(65))).getMessage().contains("65 characters"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", " alice", "alice ", "al  ice", "-alice", "'alice", "\u0301alice", "a/b", "a\\b", "..",
            "al\u202Eice", "al\u200Bice", "al\u2060ice", "al\u00ADice", "al\u0000ice", "al\nice", "al\tice", "al\u00A0ice",
            "al\uE000ice", "a\u200Cb", "ali@ce", "alice!", "<script>", "a\u0378b",
            "P\u0430ul"})  // Latin with a Cyrillic а inside: mixed look-alike scripts
    void controlInvisibleDirectionSeparatorsAndMixedScriptsAreRefused(String name) {
        InvalidNameException e = assertThrows(InvalidNameException.class, () -> IdentityNames.normalize(name));
        assertFalse(e.getMessage().chars().anyMatch(c -> c < 0x20 || c == 0x202E), "the message never echoes a control character");
    }

    @Test
    void messagesNameTheCharacter() {
        assertTrue(IdentityNames.normalize("x").equals("x"));
        String m = assertThrows(InvalidNameException.class, () -> IdentityNames.normalize("al\u202Eice")).getMessage();
        assertTrue(m.contains("U+202E RIGHT-TO-LEFT OVERRIDE") && m.contains("text-direction"), m);
        m = assertThrows(InvalidNameException.class, () -> IdentityNames.normalize("a/b")).getMessage();
        assertTrue(m.contains("path separator"), m);
    }

    @Test
    void lookAlikesShareAKeyAndDifferentNamesDoNot() {
        String alice = IdentityNames.lookalikeKey("alice");
        for (String same : List.of("Alice", "ALICE", "\uFF41\uFF4C\uFF49\uFF43\uFF45", "\u0430lice", "al\u0456ce", "\u0391lice")) {
            assertEquals(alice, IdentityNames.lookalikeKey(same), same);
        }
        Set<String> keys = new HashSet<>();
        for (String n : List.of("alice", "bob", "carol", "Zo\u00EB", "Zoe", "\u0418\u0432\u0430\u043D", "Ivan"))
            assertTrue(keys.add(IdentityNames.lookalikeKey(n)), n);
    }
}
