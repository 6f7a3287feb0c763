package io.picrypt.server;

import java.nio.file.Path;

/**
 * How a server runs. {@code port} 0 picks a free port. TLS is on when {@code tlsKeystore} is set
 * (a JKS or PKCS#12 file with the server's key and certificate).
 */
public record ServerConfig(String host, int port, Path dataDir, int threads, Path tlsKeystore, String tlsPassword,
                           long maxTemplateBytes, long maxImageDiffBytes, int maxTemplatesPerName, long maxImagePixels, String storeUrl,
                           String registrationToken, Limits limits) {

    public static final long DEFAULT_MAX_TEMPLATE_BYTES = 1 << 20;
    /** Two 40-megapixel RGB images at 1.31 bytes per sample fit. */
    public static final long DEFAULT_MAX_IMAGE_DIFF_BYTES = 320L << 20;
    public static final long DEFAULT_MAX_IMAGE_PIXELS = 40_000_000L;

    /** A bulk gallery import of one full block (seeded columns) is ~13 MB at the gallery parameters. */
    public long maxGalleryBlockBytes() { return 64L << 20; }

    public ServerConfig {
        if (port < 0 || port > 65535) throw new IllegalArgumentException("port must be 0..65535");
        if (threads < 2) throw new IllegalArgumentException("threads must be >= 2");
        if (maxImagePixels < 1) throw new IllegalArgumentException("maxImagePixels must be >= 1");
        if (maxTemplatesPerName < 1) throw new IllegalArgumentException("maxTemplatesPerName must be >= 1");
        if (limits == null) limits = Limits.defaults();
    }

    public static ServerConfig defaults(Path dataDir, int port) {
        return new ServerConfig("127.0.0.1", port, dataDir, 16, null, null,
                DEFAULT_MAX_TEMPLATE_BYTES, DEFAULT_MAX_IMAGE_DIFF_BYTES, 32, DEFAULT_MAX_IMAGE_PIXELS, null, null, Limits.defaults());
    }

    public ServerConfig withHost(String h) {
        return new ServerConfig(h, port, dataDir, threads, tlsKeystore, tlsPassword, maxTemplateBytes, maxImageDiffBytes, maxTemplatesPerName, maxImagePixels, storeUrl, registrationToken, limits);
    }

    public ServerConfig withTls(Path keystore, String password) {
        return new ServerConfig(host, port, dataDir, threads, keystore, password, maxTemplateBytes, maxImageDiffBytes, maxTemplatesPerName, maxImagePixels, storeUrl, registrationToken, limits);
    }

    /** A JDBC URL of another store (jdbc:postgresql://...) instead of SQLite in {@code dataDir}; null = SQLite. */
    public ServerConfig withStoreUrl(String url) {
        return new ServerConfig(host, port, dataDir, threads, tlsKeystore, tlsPassword, maxTemplateBytes, maxImageDiffBytes, maxTemplatesPerName, maxImagePixels, url, registrationToken, limits);
    }

    /** When set, creating a keyset needs this secret in X-PiCrypt-Registration (closed registration). */
    public ServerConfig withRegistrationToken(String token) {
        if (token != null && token.length() < 16) throw new IllegalArgumentException("a registration token must have at least 16 characters");
        return new ServerConfig(host, port, dataDir, threads, tlsKeystore, tlsPassword, maxTemplateBytes, maxImageDiffBytes, maxTemplatesPerName, maxImagePixels, storeUrl, token, limits);
    }

    public ServerConfig withThreads(int t) {
        return new ServerConfig(host, port, dataDir, t, tlsKeystore, tlsPassword, maxTemplateBytes, maxImageDiffBytes, maxTemplatesPerName, maxImagePixels, storeUrl, registrationToken, limits);
    }

    /** Timeouts, memory budgets and quotas (see {@link Limits}). */
    public ServerConfig withLimits(Limits l) {
        return new ServerConfig(host, port, dataDir, threads, tlsKeystore, tlsPassword, maxTemplateBytes, maxImageDiffBytes, maxTemplatesPerName, maxImagePixels, storeUrl, registrationToken, l);
    }
}
