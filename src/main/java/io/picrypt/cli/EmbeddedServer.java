package io.picrypt.cli;

import io.picrypt.server.PiCryptServer;
import io.picrypt.server.ServerConfig;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * A PiCrypt server inside this process for the demo, the benchmarks and tests: default settings, a free loopback port
 * (127.0.0.1, port 0), its SQLite store in {@code dir()/store}. {@link #start(String)} makes a fresh temporary
 * directory and deletes it, with whatever else the caller put there (keys, photos), on {@link #close()};
 * {@link #in(Path)} uses a directory the caller owns (a JUnit {@code @TempDir}) and leaves it.
 */
public final class EmbeddedServer implements AutoCloseable {
    private final Path dir;
    private final boolean temporary;
    private final PiCryptServer server;

    private EmbeddedServer(Path dir, boolean temporary, PiCryptServer server) {
        this.dir = dir;
        this.temporary = temporary;
        this.server = server;
    }

    /**
     * Starts a server in a new temporary directory named {@code prefix...}.
     *
     * @throws UncheckedIOException if the directory cannot be made; a server that fails to start leaves no directory
     */
    public static EmbeddedServer start(String prefix) {
        Path dir;
        try {
            dir = Files.createTempDirectory(prefix);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot make a temporary directory: " + e.getMessage(), e);
        }
        try {
            return new EmbeddedServer(dir, true, open(dir));
        } catch (RuntimeException e) {
            deleteTree(dir);
            throw e;
        }
    }

    /** Starts a server whose store is {@code dir/store}; {@link #close()} stops it and leaves {@code dir}. */
    public static EmbeddedServer in(Path dir) {
        return new EmbeddedServer(dir, false, open(dir));
    }

    /** As {@link #in(Path)}, with these limits (e.g. quotas raised for a large benchmark). */
    public static EmbeddedServer in(Path dir, io.picrypt.server.Limits limits) {
        return new EmbeddedServer(dir, false, new PiCryptServer(ServerConfig.defaults(dir.resolve("store"), 0).withLimits(limits)).start());
    }

    private static PiCryptServer open(Path dir) {
        return new PiCryptServer(ServerConfig.defaults(dir.resolve("store"), 0)).start();
    }

    /** {@code http://127.0.0.1:PORT}. */
    public URI url() { return URI.create("http://127.0.0.1:" + server.port()); }

    public PiCryptServer server() { return server; }

    /** The directory holding the store ({@code store/}); the caller may put its own temporary files here. */
    public Path dir() { return dir; }

    /** Where the SQLite store lives. */
    public Path storeDir() { return dir.resolve("store"); }

    /** Stops the server; deletes the directory if {@link #start(String)} made it (best effort). */
    @Override
    public void close() {
        try {
            server.close();
        } finally {
            if (temporary) deleteTree(dir);
        }
    }

    private static void deleteTree(Path root) {
        try (Stream<Path> s = Files.walk(root)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.delete(p);
                } catch (IOException ignored) {
                    // best effort for a temporary directory
                }
            });
        } catch (IOException ignored) {
            // best effort
        }
    }
}
