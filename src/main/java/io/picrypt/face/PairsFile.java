package io.picrypt.face;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Labelled image pairs for {@code picrypt eval}: a CSV with a header naming two image columns and a label
 * column (1/0, yes/no, true/false, same/different; any line endings, optional quotes, comma, semicolon or tab),
 * or LFW's {@code pairs.txt} ("name n1 n2" = same, "name1 n1 name2 n2" = different, optional count header).
 */
public final class PairsFile {
    /** One pair, image paths relative to the images directory (or absolute). */
    public record Pair(String imageA, String imageB, boolean same) {}

    private static final Pattern LABEL_HEADER = Pattern.compile(
            "(?i)same|issame|is_same|label|decision|match|genuine|target|same_person|y");
    private static final Pattern NUMBERS_ONLY = Pattern.compile("\\d+(\\s+\\d+)*");

    private PairsFile() {}

    /**
     * Every pair of the photos {@code listed} names (each photo once, in order of first appearance), labelled "same
     * person" when both sit in the same folder ({@code PERSON/photo}, as in LFW, AT&T and the dev sets): 79,800 pairs for
     * att's 400 photos instead of the 1,500 a pairs file lists, so a false-accept rate of 0.1% is measured on dozens of
     * accepted impostor pairs rather than one. The folders are checked against the listed labels first.
     *
     * @throws IllegalArgumentException if a photo is not in a folder, or a listed label disagrees with the folders
     */
    public static List<Pair> allPairs(List<Pair> listed, String what) {
        // each photo once, by its normalised path ("./a/1.png" and "a/1.png" are one photo), with its folder
        java.util.LinkedHashMap<String, String> folderOf = new java.util.LinkedHashMap<>();
        for (Pair p : listed) {
            String a = normalise(p.imageA()), b = normalise(p.imageB());
            folderOf.computeIfAbsent(a, x -> folder(x, what));
            folderOf.computeIfAbsent(b, x -> folder(x, what));
            boolean sameFolder = folderOf.get(a).equals(folderOf.get(b));
            if (sameFolder != p.same()) {
                throw new IllegalArgumentException(what + ": the pair " + p.imageA() + ", " + p.imageB() + " is labelled "
                        + (p.same() ? "same" : "different") + " person but the photos are in " + (sameFolder ? "the same folder" : "different folders")
                        + ": all pairs need one folder per person");
            }
        }
        int n = folderOf.size();
        if (n < 2) throw new IllegalArgumentException(what + " names fewer than two distinct photos: no pair to make");
        if (n > MAX_ALL_PAIRS_PHOTOS) {
            throw new IllegalArgumentException(what + " names " + n + " photos: every pair of them (" + ((long) n * (n - 1) / 2)
                    + ") is too many; all pairs take at most " + MAX_ALL_PAIRS_PHOTOS + " photos");
        }
        List<String> photos = new ArrayList<>(folderOf.keySet());
        String[] folders = folderOf.values().toArray(new String[0]);
        List<Pair> out = new ArrayList<>(n * (n - 1) / 2);
        for (int i = 0; i < n; i++) {
            for (int j = i + 1; j < n; j++) out.add(new Pair(photos.get(i), photos.get(j), folders[i].equals(folders[j])));
        }
        return out;
    }

    /** Most photos {@link #allPairs} takes: 5,000 photos are 12.5 million pairs (about a gigabyte of pairs and distances). */
    public static final int MAX_ALL_PAIRS_PHOTOS = 5_000;

    private static String normalise(String image) {
        String s = image.replace('\\', '/');
        while (s.startsWith("./")) s = s.substring(2);
        return s.replaceAll("/(\\./)+", "/").replaceAll("/+", "/");
    }

    /** The folder part of a photo's normalised path. */
    private static String folder(String image, String what) {
        int k = image.lastIndexOf('/');
        if (k <= 0) throw new IllegalArgumentException(what + ": " + image + " is not in a folder: all pairs need one folder per person");
        return image.substring(0, k);
    }

    public static List<Pair> read(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read pairs file " + file + ": " + e.getMessage(), e);
        }
        return parse(text, file.toString());
    }

    public static List<Pair> parse(String text, String what) {
        if (!text.isEmpty() && text.charAt(0) == '\uFEFF') text = text.substring(1); // UTF-8 BOM from spreadsheets
        List<String> lines = new ArrayList<>();
        List<Integer> numbers = new ArrayList<>();
        String[] raw = text.split("\r\n|\r|\n", -1);
        for (int i = 0; i < raw.length; i++) {
            if (!raw[i].isBlank()) { lines.add(raw[i].strip()); numbers.add(i + 1); }
        }
        if (lines.isEmpty()) throw new IllegalArgumentException(what + " has no pairs");
        String first = lines.get(0);
        boolean lfw = NUMBERS_ONLY.matcher(first).matches()
                || (!first.contains(",") && !first.contains(";") && first.split("\\s+").length >= 3 && isInt(first.split("\\s+")[1]));
        List<Pair> out = lfw ? lfw(lines, numbers, what) : csv(lines, numbers, what);
        if (out.isEmpty()) throw new IllegalArgumentException(what + " has a header but no pairs");
        return out;
    }

    private static List<Pair> lfw(List<String> lines, List<Integer> numbers, String what) {
        List<Pair> out = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String[] f = lines.get(i).split("\\s+");
            if (i == 0 && NUMBERS_ONLY.matcher(lines.get(i)).matches()) continue; // "10 300" / "1100" header
            if (f.length == 3 && isInt(f[1]) && isInt(f[2])) {
                out.add(new Pair(lfwPath(f[0], f[1]), lfwPath(f[0], f[2]), true));
            } else if (f.length == 4 && isInt(f[1]) && isInt(f[3])) {
                out.add(new Pair(lfwPath(f[0], f[1]), lfwPath(f[2], f[3]), false));
            } else {
                throw new IllegalArgumentException(what + " line " + numbers.get(i) + ": expected 'name n1 n2' or 'name1 n1 name2 n2', got '"
                        + lines.get(i) + "'");
            }
        }
        return out;
    }

    private static String lfwPath(String name, String n) {
        return name + "/" + name + "_" + String.format(Locale.ROOT, "%04d", Integer.parseInt(n)) + ".jpg";
    }

    private static List<Pair> csv(List<String> lines, List<Integer> numbers, String what) {
        String header = lines.get(0);
        char sep = header.contains(",") ? ',' : header.contains(";") ? ';' : header.contains("\t") ? '\t' : 0;
        if (sep == 0) throw new IllegalArgumentException(what + ": the first line '" + header + "' is neither a CSV header nor an LFW pairs header");
        List<String> cols = split(header, sep);
        List<List<String>> rows = new ArrayList<>();
        for (int i = 1; i < lines.size(); i++) rows.add(split(lines.get(i), sep));
        int label = -1;
        for (int c = 0; c < cols.size() && label < 0; c++) if (LABEL_HEADER.matcher(cols.get(c).strip()).matches()) label = c;
        for (int c = cols.size() - 1; c >= 0 && label < 0; c--) { // else: the column whose every value is a boolean
            final int cc = c;
            if (!rows.isEmpty() && rows.stream().allMatch(r -> cc < r.size() && parseLabel(r.get(cc)) != null)) label = c;
        }
        if (label < 0) throw new IllegalArgumentException(what + ": no label column (name it same/label/decision, values 1/0, yes/no, true/false) in " + cols);
        List<Integer> images = new ArrayList<>();
        for (int c = 0; c < cols.size() && images.size() < 2; c++) if (c != label) images.add(c);
        if (images.size() < 2) throw new IllegalArgumentException(what + ": need two image columns besides the label column " + cols);
        int a = images.get(0), b = images.get(1);
        List<Pair> out = new ArrayList<>();
        for (int i = 0; i < rows.size(); i++) {
            List<String> r = rows.get(i);
            int line = numbers.get(i + 1);
            if (r.size() <= Math.max(label, Math.max(a, b))) {
                throw new IllegalArgumentException(what + " line " + line + ": expected " + cols.size() + " fields, got " + r.size());
            }
            Boolean same = parseLabel(r.get(label));
            if (same == null) {
                throw new IllegalArgumentException(what + " line " + line + ": label '" + r.get(label) + "' is not 1/0, yes/no, true/false");
            }
            if (r.get(a).isBlank() || r.get(b).isBlank()) throw new IllegalArgumentException(what + " line " + line + ": empty image name");
            out.add(new Pair(r.get(a).strip(), r.get(b).strip(), same));
        }
        return out;
    }

    /** 1/0, yes/no, true/false, same/different (case-insensitive), else null. */
    public static Boolean parseLabel(String s) {
        return switch (s.strip().toLowerCase(Locale.ROOT)) {
            case "1", "yes", "true", "same", "match" -> Boolean.TRUE;
            case "0", "no", "false", "different", "diff", "nomatch" -> Boolean.FALSE;
            default -> null;
        };
    }

    /** One CSV record with optional double-quoted fields ("" escapes a quote). */
    static List<String> split(String line, char sep) {
        List<String> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (quoted) {
                if (c == '"' && i + 1 < line.length() && line.charAt(i + 1) == '"') { cur.append('"'); i++; }
                else if (c == '"') quoted = false;
                else cur.append(c);
            } else if (c == '"') {
                quoted = true;
            } else if (c == sep) {
                out.add(cur.toString());
                cur.setLength(0);
            } else {
                cur.append(c);
            }
        }
        out.add(cur.toString());
        return out;
    }

    private static boolean isInt(String s) { return s.matches("\\d+"); }
}
