package io.picrypt.cli;

import io.picrypt.client.ClientException;
import io.picrypt.client.EnrollmentSafety;
import io.picrypt.client.MatchSession;
import io.picrypt.face.FaceException;
import io.picrypt.face.FacePipeline;
import io.picrypt.match.GalleryParameters;
import io.picrypt.names.IdentityNames;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

@Command(name = "import", mixinStandardHelpOptions = true,
        description = {"Bulk-import a directory of photos (one person per photo, named by the file name without extension)",
                "into the keyset's 1:N gallery: column-packed, for identification against large databases (no 1:1 templates).",
                "A photo that cannot be used (a name the rule refuses or that looks like another, an unreadable or damaged",
                "file, no face, a name the server refuses) is skipped and listed; all others are imported."})
final class ImportCommand implements Callable<Integer> {
    /** File name extensions taken as photos (the formats io.picrypt.image.ImageLoader decodes). */
    static final String PHOTO = "(?i).+\\.(jpe?g|png|bmp|webp|gif|pbm|pgm|ppm|pnm|tiff?)";

    @Parameters(index = "0", paramLabel = "DIR")
    Path dir;

    @Option(names = "--allow-new-face", description = "import a name that has 1:1 templates even if the photo matches none of them"
            + " (such names are skipped and listed by default)")
    boolean allowNewFace;

    @Mixin
    SessionOptions options;

    /** A photo left out, and why (printed on stderr, one line each). */
    record Skipped(String file, String reason) {}

    @Override
    public Integer call() throws IOException {
        if (!Files.isDirectory(dir)) throw new IllegalArgumentException(dir + " is not a directory");
        List<Path> photos = new ArrayList<>();
        List<Skipped> skipped = new ArrayList<>();
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.sorted().toList()) {
                String f = p.getFileName().toString();
                if (f.startsWith(".") || Files.isDirectory(p)) continue; // hidden files (.DS_Store) and folders are not candidates
                if (f.matches(PHOTO)) photos.add(p);
                else skipped.add(new Skipped(f, "not a photo file name (expected .jpg, .png, .bmp, .webp, .gif, .pgm, .ppm, .tif)"));
            }
        }
        if (photos.isEmpty()) throw new IllegalArgumentException("no photos (jpg, png, bmp, webp, gif, pgm, ppm, tif) in " + dir);
        // names first: a bad or look-alike name is refused before its photo is embedded
        List<Path> named = new ArrayList<>();
        List<String> names = new ArrayList<>();
        Map<String, String> keys = new HashMap<>();
        for (Path photo : photos) {
            String stem = photo.getFileName().toString().replaceFirst("\\.[^.]+$", "");
            String name;
            try {
                name = IdentityNames.normalize(stem);
            } catch (IdentityNames.InvalidNameException e) {
                skipped.add(new Skipped(photo.getFileName().toString(), "bad name: " + e.getMessage()));
                continue;
            }
            String other = keys.putIfAbsent(IdentityNames.lookalikeKey(name), name);
            if (other != null) {
                skipped.add(new Skipped(photo.getFileName().toString(), other.equals(name) ? "'" + name + "' is already taken by another photo"
                        : "'" + name + "' looks like '" + other + "' (another photo of this import)"));
                continue;
            }
            named.add(photo);
            names.add(name);
        }
        int imported = 0;
        long bytes = 0;
        try (SessionOptions.Opened o = options.open()) {
            FacePipeline p = o.pipeline();
            MatchSession session = o.session();
            if (!session.hasGallery()) throw new IllegalArgumentException("this key directory has no gallery key: run 'picrypt keys init' again");
            List<String> okNames = new ArrayList<>();
            List<float[]> vectors = new ArrayList<>();
            for (int i = 0; i < named.size(); i++) {
                Path photo = named.get(i);
                try {
                    io.picrypt.face.FaceEmbedding e = p.embedLargest(photo);
                    e.photoWarnings(photo.toString()).forEach(Terminal::warn); // one person per photo: say when there were several
                    vectors.add(e.vector());
                    okNames.add(names.get(i));
                } catch (FaceException e) { // no face, damaged or unreadable file, too large: this photo only
                    skipped.add(new Skipped(photo.getFileName().toString(), e.getMessage()));
                }
            }
            skipNewFaces(session, okNames, vectors, skipped);
            int cap = GalleryParameters.BLOCK_CAPACITY;
            for (int from = 0; from < okNames.size(); from += cap) {
                List<String> bn = okNames.subList(from, Math.min(okNames.size(), from + cap));
                List<float[]> bv = vectors.subList(from, Math.min(okNames.size(), from + cap));
                try {
                    bytes += session.importGallery(bn, bv, done -> {});
                    imported += bn.size();
                } catch (ClientException e) {
                    if (e.status() != 400 && e.status() != 409) throw e;
                    // the server refused the block for one of its names (e.g. already in the gallery, or looks like a
                    // name it holds): one at a time, so only the refused ones are left out
                    for (int i = 0; i < bn.size(); i++) {
                        try {
                            session.enrollIntoGallery(bn.get(i), bv.get(i));
                            imported++;
                        } catch (ClientException one) {
                            if (one.status() != 400 && one.status() != 409) throw one;
                            skipped.add(new Skipped(bn.get(i), "refused by the server: " + one.getMessage()));
                        }
                    }
                }
            }
        }
        for (Skipped s : skipped) System.err.println("skipped " + safe(s.file()) + ": " + safe(s.reason()));
        if (imported == 0) throw new IllegalArgumentException("nothing imported from " + dir + " (" + skipped.size() + " skipped, listed above)");
        System.out.printf(Locale.ROOT, "imported %d identities into the 1:N gallery (%,d bytes of ciphertext uploaded)%s%n", imported, bytes,
                skipped.isEmpty() ? "" : "; skipped " + skipped.size() + " (listed above)");
        return 0;
    }

    /** File names and server messages are shown with control and invisible characters as \\uXXXX (no terminal escapes). */
    static String safe(String s) {
        StringBuilder b = new StringBuilder(s.length());
        s.codePoints().forEach(cp -> {
            int t = Character.getType(cp);
            if (Character.isISOControl(cp) || t == Character.FORMAT || t == Character.LINE_SEPARATOR || t == Character.PARAGRAPH_SEPARATOR) {
                b.append(String.format(Locale.ROOT, "\\u%04X", cp));
            } else {
                b.appendCodePoint(cp);
            }
        });
        return b.toString();
    }

    /**
     * The enrollment-safety rule "a name keeps its face" ({@link EnrollmentSafety}): a name that already has
     * 1:1 templates is imported only if its photo matches them (or with --allow-new-face); the others are
     * skipped and listed. One encrypted verification per such name.
     */
    private void skipNewFaces(MatchSession session, List<String> names, List<float[]> vectors, List<Skipped> skipped) {
        java.util.Set<String> enrolled = new java.util.HashSet<>();
        for (var i : session.http().list()) enrolled.add(i.name());
        EnrollmentSafety.Overrides overrides = new EnrollmentSafety.Overrides(false, allowNewFace);
        for (int i = names.size() - 1; i >= 0; i--) {
            if (!enrolled.contains(names.get(i))) continue;
            try {
                EnrollmentSafety.checkMatchesExisting(session, names.get(i), vectors.get(i), "put in the gallery under", overrides)
                        .forEach(w -> System.err.println("warning: " + w));
            } catch (EnrollmentSafety.Refused r) {
                skipped.add(new Skipped(names.get(i), r.getMessage() + " (--allow-new-face)"));
                names.remove(i);
                vectors.remove(i);
            }
        }
    }
}
