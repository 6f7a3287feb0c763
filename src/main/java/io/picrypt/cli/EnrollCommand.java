package io.picrypt.cli;

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

    @Parameters(arity = "1..*", paramLabel = "PHOTO", description = "photos of the person (the largest face of each is used)")
    List<Path> photos;

    @Mixin
    SessionOptions options;

    @Override
    public Integer call() {
        try (SessionOptions.Opened o = options.open()) {
            MatchSession s = o.session();
            MatchSession.Enrollment e = s.enroll(name, photos, !add);
            e.warnings().forEach(w -> System.err.println("warning: " + w));
            System.out.printf(Locale.ROOT, "enrolled '%s' from %d photo(s): %d template(s) on the server; uploaded %,d bytes of ciphertext%n",
                    e.name(), e.photos(), e.templates(), e.trace().requestBytes());
            return 0;
        }
    }
}
