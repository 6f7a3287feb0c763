package io.picrypt.cli;

import java.nio.file.Files;
import java.nio.file.Path;

/** Run by {@link LocaleTest} through the real ./picrypt launcher: prints the JVM's encodings and whether args[0] exists. */
public final class EncodingProbe {
    public static void main(String[] args) {
        System.out.println("jnu=" + System.getProperty("sun.jnu.encoding") + " file=" + System.getProperty("file.encoding")
                + " exists=" + Files.exists(Path.of(args[0])));
    }
}
