package io.picrypt.cli;

import picocli.CommandLine;
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
        cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            commandLine.getErr().println("picrypt: " + Terminal.safe(ex.getMessage() == null ? ex.toString() : ex.getMessage()));
            if (System.getenv("PICRYPT_DEBUG") != null) ex.printStackTrace(commandLine.getErr());
            return EXIT_ERROR;
        });
        cl.setExitCodeExceptionMapper(ex -> EXIT_ERROR);
        cl.setParameterExceptionHandler((ex, a) -> {
            ex.getCommandLine().getErr().println("picrypt: " + Terminal.safe(ex.getMessage()));
            ex.getCommandLine().usage(ex.getCommandLine().getErr());
            return EXIT_ERROR;
        });
        return cl.execute(args);
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[]{"picrypt " + (v == null ? "dev" : v)};
        }
    }
}
