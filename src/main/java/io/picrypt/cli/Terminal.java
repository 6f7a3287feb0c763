package io.picrypt.cli;

/**
 * Text from the server (names, error messages) and from files is shown escaped: a control character (C0 but
 * tab, C1, DEL), a bidirectional override or isolate, or a lone surrogate would otherwise let the untrusted
 * side move the cursor, rewrite earlier lines, change the window title or reorder what the user reads.
 */
public final class Terminal {
    private Terminal() {}

    /**
     * Columns {@code s} takes in a terminal: 2 for East Asian wide and fullwidth characters (Unicode UAX #11, via ICU),
     * 0 for combining marks and zero-width format characters, 1 otherwise.
     */
    static int displayWidth(String s) {
        int w = 0;
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            i += Character.charCount(cp);
            int type = Character.getType(cp);
            if (type == Character.NON_SPACING_MARK || type == Character.ENCLOSING_MARK || type == Character.FORMAT) continue;
            int ea = com.ibm.icu.lang.UCharacter.getIntPropertyValue(cp, com.ibm.icu.lang.UProperty.EAST_ASIAN_WIDTH);
            w += ea == com.ibm.icu.lang.UCharacter.EastAsianWidth.WIDE || ea == com.ibm.icu.lang.UCharacter.EastAsianWidth.FULLWIDTH ? 2 : 1;
        }
        return w;
    }

    /** {@code s} padded with spaces to {@code columns} terminal columns ({@link #displayWidth}); longer strings unchanged. */
    static String padRight(String s, int columns) {
        int w = displayWidth(s);
        return w >= columns ? s : s + " ".repeat(columns - w);
    }

    /** Prints "warning: MESSAGE" to standard error, control characters made visible ({@link #safe}). */
    static void warn(String message) {
        System.err.println("warning: " + safe(message));
    }

    /** {@code s} with every such character as {@code \\u{XXXX}} (ESC as {@code \\e}); null as "null". */
    public static String safe(String s) {
        if (s == null) return "null";
        StringBuilder b = null;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean bad = (c < 0x20 && c != '\t') || (c >= 0x7f && c <= 0x9f)
                    || (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069) || c == 0x200e || c == 0x200f || c == 0x061c
                    || (Character.isSurrogate(c) && !(Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))
                        || Character.isLowSurrogate(c) && i > 0 && Character.isHighSurrogate(s.charAt(i - 1))));
            if (bad) {
                if (b == null) b = new StringBuilder(s.length() + 16).append(s, 0, i);
                if (c == 0x1b) b.append("\\e");
                else if (c == '\n') b.append("\\n");
                else if (c == '\r') b.append("\\r");
                else b.append(String.format("\\u{%04X}", (int) c));
            } else if (b != null) {
                b.append(c);
            }
        }
        return b == null ? s : b.toString();
    }
}
