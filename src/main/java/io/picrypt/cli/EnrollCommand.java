package io.picrypt.cli;

import io.picrypt.client.EnrollmentSafety;
import io.picrypt.client.MatchSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

@Command(name = "enroll", mixinStandardHelpOptions = true,
        description = {"Enroll a name from one or more photos: each is embedded here, their normalised mean is encrypted",
                "and only the ciphertext is uploaded. By default it replaces the name's templates; --add keeps them."})
final class EnrollCommand implements Callable<Integer> {
    @Option(names = "--name", required = true, description = "identity name")
    String name;

    @Option(names = "--add", description = "add a template to the name instead of replacing its templates")
    boolean add;

    @Option(names = "--allow-mixed-photos", description = "enroll even if two of the photos are not the same person by the threshold"
            + " (refused by default: one template would blend two people)")
    boolean allowMixedPhotos;

    @Option(names = "--allow-new-face", description = "replace or add to a name's templates (or put it in the gallery) even if the new face"
            + " matches none of the name's existing templates (refused by default)")
    boolean allowNewFace;

    @Option(names = "--gallery", description = "enroll into the 1:N gallery (identification only, scales to 100,000s) instead of as a 1:1 template")
    boolean gallery;

    @Parameters(arity = "1..*", paramLabel = "PHOTO", description = "photos of the person (the largest face of each is used)")
    List<Path> photos;

    @Mixin
    SessionOptions options;

    @Override
    public Integer call() {
        EnrollmentSafety.Overrides overrides = new EnrollmentSafety.Overrides(allowMixedPhotos, allowNewFace);
        try (SessionOptions.Opened o = options.open()) {
            MatchSession s = o.session();
            try {
                return enroll(o, s, overrides);
            } catch (EnrollmentSafety.Refused r) {
                throw new IllegalArgumentException(r.getMessage() + " (" + (r.kind() == EnrollmentSafety.Kind.MIXED_PHOTOS
                        ? "--allow-mixed-photos" : "--allow-new-face") + "); nothing was uploaded", r);
            }
        }
    }

    private int enroll(SessionOptions.Opened o, MatchSession s, EnrollmentSafety.Overrides overrides) {
        if (gallery) {
            if (add) throw new IllegalArgumentException("--add applies to 1:1 templates, not to the gallery");
            if (!s.hasGallery()) throw new IllegalArgumentException("this key directory has no gallery key: run 'picrypt keys init' again");
            java.util.List<float[]> vectors = new java.util.ArrayList<>();
            List<String> notes = new java.util.ArrayList<>();
            for (Path photo : photos) {
                io.picrypt.face.FaceEmbedding e = o.pipeline().embedLargest(photo);
                vectors.add(e.vector());
                notes.addAll(e.photoWarnings(photo.toString())); // several faces, quality
            }
            notes.addAll(EnrollmentSafety.checkSamePerson(vectors, i -> photos.get(i).toString(), s.threshold(), overrides));
            float[] mean = MatchSession.normalisedMean(vectors);
            notes.addAll(EnrollmentSafety.checkMatchesExisting(s, name, mean, "put in the gallery under", overrides));
            notes.forEach(Terminal::warn);
            MatchSession.Enrollment e = s.enrollIntoGallery(name, mean);
            System.out.printf(Locale.ROOT, "enrolled '%s' into the 1:N gallery from %d photo(s); uploaded %,d bytes of ciphertext (server %.0f ms)%n",
                    name, photos.size(), e.trace().requestBytes(), e.trace().computeMs());
            return 0;
        }
        MatchSession.Enrollment e = s.enroll(name, photos, !add, overrides);
        e.warnings().forEach(Terminal::warn);
        System.out.printf(Locale.ROOT, "enrolled '%s' from %d photo(s): %d template(s) on the server; uploaded %,d bytes of ciphertext%n",
                e.name(), e.photos(), e.templates(), e.trace().requestBytes());
        return 0;
    }
}
