package io.picrypt.client.ui;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPInputStream;

/**
 * axe-core (the accessibility rules engine) for the browser test, fetched like the models: {@code npm pack} of a
 * pinned version, the one file we need taken from the tarball and checked against a pinned SHA-256, cached under
 * target/. It is injected into the page by the test only; the page itself stays dependency-free.
 */
final class AxeCore {
    static final String VERSION = "4.14.1";
    /** sha256 of package/axe.min.js in axe-core-4.14.1.tgz (npm pack, 2026-12-01). */
    static final String SHA256 = "29348999450cdf2849a8e70b7912fc2da85a849da39c0d0d5394f51d4a9ed95c";
    static final Path CACHE = Path.of("target", "test-tools", "axe-core-" + VERSION + ".min.js");

    private AxeCore() {}

    /** The script's source; fetches it on first use. */
    static synchronized String source() throws IOException, InterruptedException {
        if (!Files.isRegularFile(CACHE) || !sha256(Files.readAllBytes(CACHE)).equals(SHA256)) fetch();
        return Files.readString(CACHE, StandardCharsets.UTF_8);
    }

    private static void fetch() throws IOException, InterruptedException {
        Path tmp = Files.createTempDirectory("picrypt-axe");
        Process p = new ProcessBuilder("npm", "pack", "axe-core@" + VERSION, "--silent", "--pack-destination", tmp.toString())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(5, TimeUnit.MINUTES) || p.exitValue() != 0) throw new IOException("npm pack axe-core@" + VERSION + " failed: " + out);
        byte[] js;
        try (InputStream in = new GZIPInputStream(Files.newInputStream(tmp.resolve("axe-core-" + VERSION + ".tgz")))) {
            js = entry(in, "package/axe.min.js");
        }
        String got = sha256(js);
        if (!got.equals(SHA256)) throw new IOException("axe.min.js of axe-core@" + VERSION + " has sha256 " + got + ", expected " + SHA256);
        Files.createDirectories(CACHE.getParent());
        Path part = Files.createTempFile(CACHE.getParent(), "axe", ".part");
        Files.write(part, js);
        Files.move(part, CACHE, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** One regular file out of a ustar stream (npm tarballs are plain ustar). */
    static byte[] entry(InputStream in, String wanted) throws IOException {
        byte[] header = new byte[512];
        while (in.readNBytes(header, 0, 512) == 512) {
            if (header[0] == 0) break;
            String name = cstring(header, 0, 100);
            String prefix = cstring(header, 345, 155);
            if (!prefix.isEmpty()) name = prefix + "/" + name;
            long size = Long.parseLong(cstring(header, 124, 12).trim(), 8);
            long padded = (size + 511) / 512 * 512;
            if (name.equals(wanted) && (header[156] == '0' || header[156] == 0)) {
                byte[] data = in.readNBytes((int) size);
                if (data.length != size) throw new IOException("truncated " + wanted);
                return data;
            }
            in.skipNBytes(padded);
        }
        throw new IOException(wanted + " is not in the tarball");
    }

    private static String cstring(byte[] b, int off, int len) {
        int end = off;
        while (end < off + len && b[end] != 0) end++;
        return new String(b, off, end - off, StandardCharsets.US_ASCII);
    }

    static String sha256(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
