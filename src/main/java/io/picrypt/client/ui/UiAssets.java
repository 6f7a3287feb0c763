package io.picrypt.client.ui;

import spark.Service;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/** The page's static files (src/main/resources/ui), read from the jar once and served without a token. */
final class UiAssets {
    /** Path -> file under /ui in the jar. */
    private static final Map<String, String> ASSETS = Map.of(
            "/", "index.html", "/index.html", "index.html", "/app.js", "app.js", "/style.css", "style.css",
            "/faces.js", "faces.js", "/favicon.svg", "favicon.svg");

    private final Map<String, byte[]> files;

    /** @throws IllegalStateException when a file is missing from the jar */
    UiAssets() {
        Map<String, byte[]> a = new HashMap<>();
        for (String file : Set.copyOf(ASSETS.values())) a.put(file, resource(file));
        this.files = Map.copyOf(a);
    }

    /** True for the paths of the page's files (GET without a token). */
    static boolean isAsset(String path) { return path != null && ASSETS.containsKey(path); }

    void register(Service s) {
        for (var e : ASSETS.entrySet()) {
            s.get(e.getKey(), (req, res) -> {
                res.type(contentType(e.getValue()));
                return files.get(e.getValue());
            });
        }
    }

    private static byte[] resource(String file) {
        try (InputStream in = UiAssets.class.getResourceAsStream("/ui/" + file)) {
            if (in == null) throw new IllegalStateException("ui/" + file + " is missing from the jar");
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String contentType(String file) {
        if (file.endsWith(".html")) return "text/html; charset=utf-8";
        if (file.endsWith(".js")) return "text/javascript; charset=utf-8";
        if (file.endsWith(".css")) return "text/css; charset=utf-8";
        if (file.endsWith(".svg")) return "image/svg+xml";
        return "application/octet-stream";
    }
}
