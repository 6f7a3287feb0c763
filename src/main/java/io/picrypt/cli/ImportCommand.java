package io.picrypt.cli;

import io.picrypt.client.MatchSession;
import io.picrypt.face.FaceException;
import io.picrypt.face.FacePipeline;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
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
            long bytes = session.importGallery(names, vectors, done -> {});
            System.out.printf(Locale.ROOT, "imported %d identities into the 1:N gallery (%,d bytes of ciphertext uploaded)%n", names.size(), bytes);
            return 0;
        }
    }
}
