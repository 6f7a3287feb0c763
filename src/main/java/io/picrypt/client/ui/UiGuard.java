package io.picrypt.client.ui;

import io.picrypt.http.Json;
import spark.Service;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Set;

/**
 * Who may call the page's API (see {@link UiServer}): security headers on every answer (CSP without framing or
 * foreign scripts, nosniff, no referrer, no caching), the Host header must be ours (DNS rebinding), an Origin header
 * must be ours, and everything but the page's own files needs the per-run token in {@link UiServer#TOKEN_HEADER},
 * compared in constant time. Refusals are 403 JSON errors.
 */
final class UiGuard {
    private static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
            + "media-src 'self' blob: mediastream:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

    private final String token;
    private volatile int boundPort;
    private volatile Set<String> allowedHosts = Set.of();
    private volatile Set<String> allowedOrigins = Set.of();

    /** A guard with a new random token (192 bits, hex). */
    UiGuard() {
        byte[] t = new byte[24];
        new SecureRandom().nextBytes(t);
        this.token = HexFormat.of().formatHex(t);
    }

    String token() { return token; }

    /** Once the port is known: the only Host and Origin values accepted. */
    void bound(int port) {
        boundPort = port;
        allowedHosts = Set.of(UiServer.HOST + ":" + port, "localhost:" + port);
        allowedOrigins = Set.of("http://" + UiServer.HOST + ":" + port, "http://localhost:" + port);
    }

    /** Installs the filter, before every route. */
    void install(Service s) {
        s.before((req, res) -> {
            res.header("Content-Security-Policy", CSP);
            res.header("X-Content-Type-Options", "nosniff");
            res.header("X-Frame-Options", "DENY");
            res.header("Referrer-Policy", "no-referrer");
            res.header("Cache-Control", "no-store");
            String host = req.headers("Host");
            if (host == null || !allowedHosts.contains(host.toLowerCase(Locale.ROOT))) {
                s.halt(403, Json.errorBody(res, 403, "forbidden_host", "this UI only answers to http://" + UiServer.HOST + ":" + boundPort + "/"));
            }
            String origin = req.headers("Origin");
            if (origin != null && !allowedOrigins.contains(origin)) {
                s.halt(403, Json.errorBody(res, 403, "forbidden_origin", "requests from other web pages are refused"));
            }
            // deny by default: only the page's own files are served without the token (a prefix test on the raw path
            // was bypassed by "//api/...", which the router normalises but startsWith does not)
            if ("GET".equals(req.requestMethod()) && "/favicon.ico".equals(req.pathInfo())) {
                s.halt(204); // browsers ask on their own (no token); the page links favicon.svg
            }
            if (!("GET".equals(req.requestMethod()) && UiAssets.isAsset(req.pathInfo()))) {
                String t = req.headers(UiServer.TOKEN_HEADER);
                if (t == null || !MessageDigest.isEqual(t.getBytes(StandardCharsets.UTF_8), token.getBytes(StandardCharsets.UTF_8))) {
                    s.halt(403, Json.errorBody(res, 403, "bad_token", "missing or wrong access token: open the address printed by 'picrypt ui' (it ends in #token=...)"));
                }
            }
        });
    }
}
