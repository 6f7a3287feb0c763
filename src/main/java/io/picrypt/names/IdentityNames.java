package io.picrypt.names;

import com.ibm.icu.lang.UCharacter;
import com.ibm.icu.lang.UCharacterCategory;
import com.ibm.icu.lang.UProperty;
import com.ibm.icu.text.Normalizer2;
import com.ibm.icu.text.SpoofChecker;

import java.util.Locale;

/**
 * The rule for identity names, shared by the client (checked before any photo is embedded) and the server
 * (checked on every route that takes a name). Names are stored and compared in Unicode NFC, so "Zoë" typed
 * precomposed and decomposed (as macOS file names are) is one name.
 * <p>
 * A name is 1-{@value #MAX_CODE_POINTS} code points (after NFC) of:
 * <ul>
 *   <li>letters and digits of any script, with the combining marks their scripts need (Devanagari and Tamil
 *       vowel signs and viramas, Thai tone marks, accents);</li>
 *   <li>single spaces (U+0020) and the punctuation of real names: {@code . _ - ' ’ ‘ · ‐ ・} (apostrophes, Catalan
 *       middle dot, hyphens, katakana middle dot);</li>
 *   <li>ZERO WIDTH (NON-)JOINER only where a script needs it (after a virama, or ZWNJ between Arabic-script
 *       joining letters, as in Persian names): the contexts of RFC 5892 Appendix A.1/A.2.</li>
 * </ul>
 * Starting with a letter or digit, not ending with a space; no control, format (invisible, bidi override),
 * private-use or unassigned characters, no path separators, no two spaces in a row. One name may not mix
 * scripts that look alike (Latin with Cyrillic or Greek: UTS #39 "moderately restrictive"), so "Pаul" with a
 * Cyrillic "а" is refused.
 * <p>
 * {@link #lookalikeKey} is the UTS #39 confusable skeleton of the NFKC case-folded name: two different names
 * with the same key (case, full-width letters, Cyrillic "а" for Latin "a", ...) look the same to a person; the
 * server refuses the second (HTTP 409). Built on ICU4J's {@link SpoofChecker} (Unicode confusables data).
 */
public final class IdentityNames {
    /** Maximum length in code points (not UTF-16 units, not bytes). */
    public static final int MAX_CODE_POINTS = 64;

    /** The rule in one sentence, for error messages and docs. */
    public static final String RULE = "names are 1-" + MAX_CODE_POINTS + " characters: letters and digits of any script with their"
            + " accents and combining marks, single spaces and the punctuation of names (. _ - ' \u2019 \u00B7 \u30FB), starting with a"
            + " letter or digit; no control, invisible or text-direction characters, no / or \\";

    private static final String PUNCTUATION = "._-'\u2019\u2018\u00B7\u2010\u30FB";
    private static final int ZWNJ = 0x200C, ZWJ = 0x200D, VIRAMA_CLASS = 9;
    private static final Normalizer2 NFC = Normalizer2.getNFCInstance();
    private static final Normalizer2 NFKC_CF = Normalizer2.getNFKCCasefoldInstance();
    // confusables only; the restriction level is checked separately (getSkeleton needs no checks, but a checker)
    private static final SpoofChecker SKELETON = new SpoofChecker.Builder().setChecks(SpoofChecker.CONFUSABLE).build();
    private static final SpoofChecker MIXED = new SpoofChecker.Builder()
            .setChecks(SpoofChecker.RESTRICTION_LEVEL)
            .setRestrictionLevel(SpoofChecker.RestrictionLevel.MODERATELY_RESTRICTIVE).build();

    private IdentityNames() {}

    /** Thrown for a name that breaks the rule; the message says which character or part and why. */
    public static final class InvalidNameException extends IllegalArgumentException {
        public InvalidNameException(String message) { super(message); }
    }

    /** True when {@link #normalize} accepts the name. */
    public static boolean isValid(String name) {
        try {
            normalize(name);
            return true;
        } catch (InvalidNameException e) {
            return false;
        }
    }

    /**
     * The name in NFC if it follows the rule.
     *
     * @throws InvalidNameException naming the offending character (as U+XXXX and its Unicode name) or part
     */
    public static String normalize(String name) {
        if (name == null || name.isEmpty()) throw new InvalidNameException("the name is empty; " + RULE);
        String n = NFC.normalize(name);
        int count = n.codePointCount(0, n.length());
        if (count > MAX_CODE_POINTS) {
            throw new InvalidNameException("the name is " + count + " characters long; " + RULE);
        }
        int prev = -1;
        for (int i = 0; i < n.length(); ) {
            int cp = n.codePointAt(i);
            int type = UCharacter.getType(cp); // ICU's (newer) Unicode data, not the JDK's
            boolean ok;
            if (UCharacter.isLetterOrDigit(cp)) {
                ok = true;
            } else if (type == UCharacterCategory.NON_SPACING_MARK || type == UCharacterCategory.COMBINING_SPACING_MARK || type == UCharacterCategory.ENCLOSING_MARK) {
                if (i == 0) throw new InvalidNameException("the name starts with a combining mark (" + describe(cp) + "); " + RULE);
                ok = true;
            } else if (cp == ' ') {
                if (i == 0 || i == n.length() - 1) throw new InvalidNameException("the name starts or ends with a space; " + RULE);
                if (prev == ' ') throw new InvalidNameException("the name has two spaces in a row; " + RULE);
                ok = true;
            } else if (PUNCTUATION.indexOf(cp) >= 0) {
                if (i == 0) throw new InvalidNameException("the name starts with '" + new String(Character.toChars(cp)) + "'; " + RULE);
                ok = true;
            } else if (cp == ZWNJ || cp == ZWJ) {
                ok = joinerAllowed(n, i, cp);
                if (!ok) throw new InvalidNameException("the name has an invisible " + describe(cp) + " where its script does not need one; " + RULE);
            } else {
                ok = false;
            }
            if (!ok) {
                String why = cp == '/' || cp == '\\' ? "a path separator" : Character.isISOControl(cp) ? "a control character"
                        : type == UCharacterCategory.FORMAT ? "an invisible or text-direction character" : UCharacter.isUWhiteSpace(cp) ? "a space other than U+0020"
                        : "not allowed";
                throw new InvalidNameException("the name contains " + describe(cp) + ": " + why + "; " + RULE);
            }
            prev = cp;
            i += Character.charCount(cp);
        }
        if (MIXED.failsChecks(n)) {
            throw new InvalidNameException("the name mixes scripts whose letters look alike (e.g. Latin with Cyrillic or Greek): "
                    + "retype it in one script");
        }
        return n;
    }

    /**
     * For routes that look a name up (verify, delete) rather than create it: NFC, and refuses only what can never
     * be a stored name (empty, too long, control, invisible or direction characters, path separators), so names
     * stored under an older, looser rule stay reachable and deletable.
     */
    public static String normalizeForLookup(String name) {
        if (name == null || name.isEmpty()) throw new InvalidNameException("the name is empty; " + RULE);
        String n = NFC.normalize(name);
        if (n.codePointCount(0, n.length()) > MAX_CODE_POINTS) throw new InvalidNameException("the name is too long; " + RULE);
        for (int i = 0; i < n.length(); ) {
            int cp = n.codePointAt(i);
            int type = UCharacter.getType(cp);
            if (cp == '/' || cp == '\\' || type == UCharacterCategory.CONTROL || (type == UCharacterCategory.FORMAT && cp != ZWNJ && cp != ZWJ)) {
                throw new InvalidNameException("the name contains " + describe(cp) + "; " + RULE);
            }
            i += Character.charCount(cp);
        }
        return n;
    }

    /**
     * The look-alike key: UTS #39 skeleton of the NFKC case-folded, NFC name. "Alice", "alice", "ａｌｉｃｅ" (full
     * width) and "аlice" (Cyrillic а) share a key. Call on names that passed {@link #normalize}.
     */
    public static String lookalikeKey(String name) {
        return SKELETON.getSkeleton(NFKC_CF.normalize(NFC.normalize(name)));
    }

    /** "U+202E RIGHT-TO-LEFT OVERRIDE": how messages name a character (never the raw character, which may be invisible). */
    public static String describe(int cp) {
        String n = UCharacter.getExtendedName(cp);
        return String.format(Locale.ROOT, "U+%04X%s", cp, n == null ? "" : " " + n);
    }

    /** RFC 5892 A.1/A.2: a joiner after a virama; a ZWNJ between Arabic-script joining letters (transparent marks skipped). */
    private static boolean joinerAllowed(String s, int i, int cp) {
        if (i == 0) return false;
        int before = s.codePointBefore(i);
        if (UCharacter.getCombiningClass(before) == VIRAMA_CLASS) return true;
        if (cp != ZWNJ) return false;
        int j = i;
        int left = -1;
        while (j > 0) {
            int c = s.codePointBefore(j);
            int jt = UCharacter.getIntPropertyValue(c, UProperty.JOINING_TYPE);
            if (jt == UCharacter.JoiningType.TRANSPARENT) { j -= Character.charCount(c); continue; }
            left = jt;
            break;
        }
        int k = i + Character.charCount(cp), right = -1;
        while (k < s.length()) {
            int c = s.codePointAt(k);
            int jt = UCharacter.getIntPropertyValue(c, UProperty.JOINING_TYPE);
            if (jt == UCharacter.JoiningType.TRANSPARENT) { k += Character.charCount(c); continue; }
            right = jt;
            break;
        }
        boolean l = left == UCharacter.JoiningType.LEFT_JOINING || left == UCharacter.JoiningType.DUAL_JOINING;
        boolean r = right == UCharacter.JoiningType.RIGHT_JOINING || right == UCharacter.JoiningType.DUAL_JOINING;
        return l && r;
    }
}
