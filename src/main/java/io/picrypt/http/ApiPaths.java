package io.picrypt.http;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The /v1 API's paths, written once for the server's routes, the HTTP client and docs/openapi.yaml. Templates use
 * OpenAPI's {@code {param}} form; {@link #pattern} turns one into a spark route, {@link #fill} into a request path.
 * Paths under one keyset are relative to {@link #KEYSET} (the client prefixes its own keyset).
 */
public final class ApiPaths {
    private ApiPaths() {}

    public static final String HEALTH = "/v1/health";
    public static final String VERSION = "/v1/version";
    public static final String KEYSETS = "/v1/keysets";
    /** One keyset; every path below is relative to it and needs its bearer token. */
    public static final String KEYSET = "/v1/keysets/{id}";

    public static final String IDENTITIES = "/identities";
    public static final String IDENTITY = "/identities/{name}";
    public static final String VERIFY = "/identities/{name}/verify";
    public static final String TEMPLATES = "/identities/{name}/templates";
    public static final String IDENTIFY_BATCH = "/identify/batch";
    public static final String IMAGE_DIFF = "/image-diff";
    /**
     * Request header naming the 1:N gallery layout ({@code GalleryParameters.LAYOUT}) a client's gallery ciphertexts are
     * made for; the server refuses gallery writes and probes without it or with another one (409 gallery_layout).
     */
    public static final String GALLERY_LAYOUT_HEADER = "X-PiCrypt-Gallery-Layout";
    public static final String GALLERY = "/gallery";
    public static final String GALLERY_KEYS = "/gallery/keys";
    public static final String GALLERY_BLOCKS = "/gallery/blocks";
    public static final String GALLERY_BLOCK = "/gallery/blocks/{n}";
    public static final String GALLERY_COMPACT = "/gallery/compact";
    public static final String GALLERY_NAME = "/gallery/names/{name}";
    public static final String GALLERY_IDENTIFY = "/gallery/identify";

    private static final Pattern PARAM = Pattern.compile("\\{([a-z]+)}");

    /** The absolute template of a path under a keyset: {@code /v1/keysets/{id}} + {@code relative}. */
    public static String keyset(String relative) { return KEYSET + relative; }

    /** A template as a spark route pattern: {@code {name}} -> {@code :name}. */
    public static String pattern(String template) { return PARAM.matcher(template).replaceAll(":$1"); }

    /** A spark route pattern as a template: {@code :name} -> {@code {name}} (for comparing with openapi.yaml). */
    public static String template(String pattern) { return pattern.replaceAll(":([a-z]+)", "{$1}"); }

    /**
     * The template with its parameters replaced, in order, by {@code values} percent-encoded as one path segment
     * (UTF-8; a space is %20, a '/' is %2F).
     *
     * @throws IllegalArgumentException when the number of values differs from the template's parameters
     */
    public static String fill(String template, String... values) {
        Matcher m = PARAM.matcher(template);
        StringBuilder out = new StringBuilder();
        int i = 0;
        while (m.find()) {
            if (i >= values.length) throw new IllegalArgumentException("too few values for " + template);
            m.appendReplacement(out, Matcher.quoteReplacement(segment(values[i++])));
        }
        if (i != values.length) throw new IllegalArgumentException("too many values for " + template);
        m.appendTail(out);
        return out.toString();
    }

    /** One path segment, percent-encoded (UTF-8; space as %20, not '+'). */
    public static String segment(String s) { return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20"); }
}
