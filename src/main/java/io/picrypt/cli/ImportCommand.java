package io.picrypt.cli;

import io.picrypt.client.EnrollmentSafety;
import io.picrypt.client.MatchSession;
import io.picrypt.face.FaceException;
import io.picrypt.face.FacePipeline;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

@Command(name = "import", mixinStandardHelpOptions = true,
        description = {"Bulk-import a directory of photos (one person per photo, named by the file name without extension)",
                "into the keyset's 1:N gallery: column-packed, for identification against large databases (no 1:1 templates).",
                "Photos without a face are skipped and listed."})
final class ImportCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "DIR")
    Path dir;

    @Option(names = "--allow-new-face", description = "import a name that has 1:1 templates even if the photo matches none of them"
            + " (such names are skipped and listed by default)")
    boolean allowNewFace;

    @Mixin
    SessionOptions options;

    @Override
    public Integer call() throws IOException {
        if (!Files.isDirectory(dir)) throw new IllegalArgumentException(dir + " is not a directory");
        List<Path> photos;
        try (Stream<Path> s = Files.list(dir)) {
            photos = s.filter(p -> p.getFileName().toString().matches("(?i).+\\.(jpe?g|png|bmp|webp)")).sorted().toList();
        }
        if (photos.isEmpty()) throw new IllegalArgumentException("no photos (jpg, png, bmp, webp) in " + dir);
        try (SessionOptions.Opened o = options.open()) {
            FacePipeline p = o.pipeline();
            MatchSession session = o.session();
            if (!session.hasGallery()) throw new IllegalArgumentException("this key directory has no gallery key: run 'picrypt keys init' again");
            List<String> names = new ArrayList<>();
            List<float[]> vectors = new ArrayList<>();
            for (Path photo : photos) {
                String name = photo.getFileName().toString().replaceFirst("\\.[^.]+$", "");
                try {
                    vectors.add(p.embedLargest(photo).vector());
                    names.add(name);
                } catch (FaceException e) {
                    System.err.println("skipped " + photo + ": " + e.getMessage());
                }
            }
            if (names.isEmpty()) throw new IllegalArgumentException("no face found in any photo of " + dir);
            skipNewFaces(session, names, vectors);
            if (names.isEmpty()) throw new IllegalArgumentException("nothing left to import in " + dir);
            long bytes = session.importGallery(names, vectors, done -> {});
            System.out.printf(Locale.ROOT, "imported %d identities into the 1:N gallery (%,d bytes of ciphertext uploaded)%n", names.size(), bytes);
            return 0;
        }
    }

    /**
     * The enrollment-safety rule "a name keeps its face" ({@link EnrollmentSafety}): a name that already has
     * 1:1 templates is imported only if its photo matches them (or with --allow-new-face); the others are
     * skipped and listed. One encrypted verification per such name.
     */
    private void skipNewFaces(MatchSession session, List<String> names, List<float[]> vectors) {
        java.util.Set<String> enrolled = new java.util.HashSet<>();
        for (var i : session.http().list()) enrolled.add(i.name());
        EnrollmentSafety.Overrides overrides = new EnrollmentSafety.Overrides(false, allowNewFace);
        for (int i = names.size() - 1; i >= 0; i--) {
            if (!enrolled.contains(names.get(i))) continue;
            try {
                EnrollmentSafety.checkMatchesExisting(session, names.get(i), vectors.get(i), "put in the gallery under", overrides)
                        .forEach(w -> System.err.println("warning: " + w));
            } catch (EnrollmentSafety.Refused r) {
                System.err.println("skipped " + names.get(i) + ": " + r.getMessage() + " (--allow-new-face)");
                names.remove(i);
                vectors.remove(i);
            }
        }
    }
}
