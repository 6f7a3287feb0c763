package io.picrypt.cli;

import picocli.CommandLine;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import picocli.CommandLine.Command;

/** The {@code picrypt} command. Each subcommand lives in its own class. */
@Command(name = "picrypt", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Privacy-preserving face verification: CKKS-encrypted templates, distances computed by a server that cannot see them.",
        subcommands = {
                ServerCommand.class, KeysCommand.class, EnrollCommand.class, VerifyCommand.class,
                IdentifyCommand.class, ImportCommand.class, GalleryCommand.class, ListCommand.class, DeleteCommand.class, DiffCommand.class,
                UiCommand.class, EvalCommand.class, EmbedCommand.class, DetectCommand.class, AnalyzeCommand.class, LivenessEvalCommand.class,
                BenchCommand.class, DemoCommand.class, CommandLine.HelpCommand.class
        })
public final class Main implements Runnable {
    /** Exit code for usage and runtime errors (verify uses 0 = match, 1 = no match). */
    public static final int EXIT_ERROR = 2;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the CLI and returns its exit code; errors are one clear line on stderr, never a stack trace. */
    public static int run(String... args) {
        CommandLine cl = new CommandLine(new Main());
        cl.registerConverter(Path.class, Main::path);
        cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            if (ex instanceof InvalidPathException ip) { // a path from the environment or a directory listing
                commandLine.getErr().println("picrypt: " + Terminal.safe(unusablePath(ip.getInput())));
                return EXIT_ERROR;
            }
            commandLine.getErr().println("picrypt: " + Terminal.safe(ex.getMessage() == null ? ex.toString() : ex.getMessage()));
            if (System.getenv("PICRYPT_DEBUG") != null) ex.printStackTrace(commandLine.getErr());
            return EXIT_ERROR;
        });
        cl.setExitCodeExceptionMapper(ex -> EXIT_ERROR);
        cl.setParameterExceptionHandler((ex, a) -> {
            ex.getCommandLine().getErr().println("picrypt: " + Terminal.safe(ex.getMessage()));
            if (ex.getCause() instanceof CommandLine.TypeConversionException) return EXIT_ERROR; // one line, not the usage text
            ex.getCommandLine().usage(ex.getCommandLine().getErr());
            return EXIT_ERROR;
        });
        return cl.execute(args);
    }

    /** Path arguments: an unusable one is one clear line (see {@link #unusablePath}), not a stack trace or the usage. */
    static Path path(String s) {
        try {
            return Path.of(s);
        } catch (InvalidPathException e) {
            throw new CommandLine.TypeConversionException(unusablePath(s));
        }
    }

    /**
     * Why a path cannot be used: typically letters (Hebrew, Chinese, ...) that the JVM's file-name encoding cannot
     * represent, because no UTF-8 locale was set (LANG/LC_ALL unset: ASCII). The ./picrypt launcher sets one.
     */
    static String unusablePath(String s) {
        String enc = System.getProperty("sun.jnu.encoding", "?");
        StringBuilder shown = new StringBuilder();
        s.codePoints().forEach(cp -> shown.append(cp < 0x20 || cp == 0x7F ? "?" : new String(Character.toChars(cp))));
        return "cannot use the path '" + shown + "': the file-name encoding of this Java process is " + enc
                + (enc.toUpperCase(java.util.Locale.ROOT).contains("UTF") ? "" : ", which cannot represent its characters")
                + "; run with a UTF-8 locale (e.g. LC_ALL=C.UTF-8) or through the ./picrypt launcher, which sets one";
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[]{"picrypt " + (v == null ? "dev" : v)};
        }
    }
}
