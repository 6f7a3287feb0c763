package io.picrypt;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The docs tell the truth about the code: docs/ARCHITECTURE.md's layer table ("may depend on") lists exactly the
 * io.picrypt packages each package's sources use (imports and fully qualified names, comments excluded), every
 * package has a row, and every doc file the sources and docs cite exists.
 */
class ArchitectureTest {
    private static final Path SRC = Path.of("src/main/java/io/picrypt");
    private static final Pattern ROW = Pattern.compile("^\\| `io\\.picrypt\\.([a-z]+)` \\| (.*) \\|\\s*$");
    private static final Pattern USE = Pattern.compile("\\bio\\.picrypt\\.([a-z]+)\\.");
    private static final Pattern CITED = Pattern.compile("\\b((?:docs|models)/[A-Za-z0-9_-]+\\.(?:md|yaml|json))");

    /** Package -> io.picrypt packages its main sources use (top level: client.ui counts as client). */
    static Map<String, Set<String>> actual() throws IOException {
        Map<String, Set<String>> out = new TreeMap<>();
        try (Stream<Path> files = Files.walk(SRC)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                Path rel = SRC.relativize(f);
                if (rel.getNameCount() < 2) continue;
                String pkg = rel.getName(0).toString();
                String code = codeOnly(Files.readString(f));
                Set<String> uses = out.computeIfAbsent(pkg, k -> new TreeSet<>());
                Matcher m = USE.matcher(code);
                while (m.find()) if (!m.group(1).equals(pkg)) uses.add(m.group(1));
            }
        }
        return out;
    }

    /** Package -> io.picrypt packages its ARCHITECTURE.md row allows ("everything" = every package). */
    static Map<String, Set<String>> documented(Set<String> packages) throws IOException {
        Map<String, Set<String>> out = new TreeMap<>();
        for (String line : Files.readAllLines(Path.of("docs/ARCHITECTURE.md"))) {
            Matcher m = ROW.matcher(line);
            if (!m.matches()) continue;
            Set<String> allowed = new TreeSet<>();
            if (m.group(2).contains("everything")) {
                allowed.addAll(packages);
                allowed.remove(m.group(1));
            } else {
                for (String word : m.group(2).split("[^a-z]+")) if (packages.contains(word)) allowed.add(word);
            }
            assertNull(out.put(m.group(1), allowed), "one row per package: " + m.group(1));
        }
        return out;
    }

    /** Java source without comments, string/char literals and text blocks (each replaced by a space). */
    static String codeOnly(String src) {
        StringBuilder out = new StringBuilder(src.length());
        int i = 0, n = src.length();
        while (i < n) {
            char c = src.charAt(i);
            if (src.startsWith("//", i)) {
                while (i < n && src.charAt(i) != '\n') i++;
            } else if (src.startsWith("/*", i)) {
                int end = src.indexOf("*/", i + 2);
                i = end < 0 ? n : end + 2;
            } else if (src.startsWith("\"\"\"", i)) {
                int end = src.indexOf("\"\"\"", i + 3);
                i = end < 0 ? n : end + 3;
            } else if (c == '"' || c == '\'') {
                i++;
                while (i < n && src.charAt(i) != c && src.charAt(i) != '\n') i += src.charAt(i) == '\\' ? 2 : 1;
                i++;
            } else {
                out.append(c);
                i++;
                continue;
            }
            out.append(' ');
        }
        return out.toString();
    }

    @Test
    void layerTableMatchesTheSources() throws IOException {
        Map<String, Set<String>> actual = actual();
        assertTrue(actual.keySet().containsAll(Set.of("ring", "ckks", "match", "store", "server", "client", "http")), actual.keySet().toString());
        Map<String, Set<String>> documented = documented(actual.keySet());
        assertEquals(actual.keySet(), documented.keySet(), "every package has exactly one row in docs/ARCHITECTURE.md");
        List<String> wrong = new ArrayList<>();
        for (var e : actual.entrySet()) {
            Set<String> allowed = documented.get(e.getKey());
            Set<String> undocumented = new TreeSet<>(e.getValue());
            undocumented.removeAll(allowed);
            if (!undocumented.isEmpty()) wrong.add(e.getKey() + " uses " + undocumented + " but its row does not list them");
            Set<String> unused = new TreeSet<>(allowed);
            unused.removeAll(e.getValue());
            if (!unused.isEmpty() && !e.getKey().equals("cli")) wrong.add(e.getKey() + "'s row lists " + unused + " but no source uses them");
        }
        assertEquals(List.of(), wrong, "docs/ARCHITECTURE.md's table vs the imports");
    }

    @Test
    void layersHaveNoCycles() throws IOException {
        Map<String, Set<String>> g = actual();
        for (String start : g.keySet()) {
            Set<String> seen = new TreeSet<>();
            List<String> todo = new ArrayList<>(g.get(start));
            while (!todo.isEmpty()) {
                String p = todo.remove(todo.size() - 1);
                assertNotEquals(start, p, "package " + start + " depends on itself through " + seen);
                if (seen.add(p)) todo.addAll(g.getOrDefault(p, Set.of()));
            }
        }
    }

    @Test
    void everyCitedDocExists() throws IOException {
        Set<String> missing = new TreeSet<>();
        List<Path> roots = List.of(Path.of("src"), Path.of("docs"), Path.of("README.md"));
        for (Path root : roots) {
            if (!Files.exists(root)) continue;
            try (Stream<Path> files = Files.walk(root)) {
                for (Path f : files.filter(p -> p.toString().matches(".*\\.(java|md|yaml|js|html)$")).toList()) {
                    Matcher m = CITED.matcher(Files.readString(f));
                    while (m.find()) if (!Files.exists(Path.of(m.group(1)))) missing.add(m.group(1) + " (cited in " + f + ")");
                }
            }
        }
        assertEquals(Set.of(), missing, "cited docs that do not exist");
    }

    @Test
    void theScannerSeesCodeButNotComments() {
        String code = "import io.picrypt.ring.Modulus; /* io.picrypt.face.X */ // io.picrypt.cli.Y\n"
                + "String s = \"io.picrypt.models.Z \\\" io.picrypt.names.Q\"; char c = '\\''; var t = io.picrypt.store.Stores.open(null, null);";
        String stripped = codeOnly(code);
        Set<String> uses = new TreeSet<>();
        Matcher m = USE.matcher(stripped);
        while (m.find()) uses.add(m.group(1));
        assertEquals(Set.of("ring", "store"), uses);
    }
}
