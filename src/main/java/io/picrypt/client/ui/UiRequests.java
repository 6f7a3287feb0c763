package io.picrypt.client.ui;

import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.picrypt.http.ApiException;
import io.picrypt.http.Bodies;
import io.picrypt.http.Json;
import spark.Request;

import java.util.Base64;

/**
 * Reading the page's requests: the bounded JSON body and its fields (strict booleans, "show top", names, base64
 * photos). Every bad value is an {@link ApiException} 400 (413 for a body over {@link UiServer#MAX_BODY_BYTES}).
 */
final class UiRequests {
    /** Base64 photos are long strings; the body limit bounds the total anyway. */
    static final ObjectMapper JSON = jsonMapper();

    private UiRequests() {}

    private static ObjectMapper jsonMapper() {
        ObjectMapper m = new ObjectMapper();
        m.getFactory().setStreamReadConstraints(StreamReadConstraints.builder().maxStringLength((int) UiServer.MAX_BODY_BYTES).build());
        return m;
    }

    /** The request's JSON object, at most {@link UiServer#MAX_BODY_BYTES}. */
    static JsonNode jsonBody(Request req) {
        return Json.parseObject(JSON, Bodies.read(req, UiServer.MAX_BODY_BYTES, ApiException.tooLarge(
                "the photos are too large together: at most " + (UiServer.MAX_BODY_BYTES >> 20) + " MiB per request")));
    }

    /**
     * An optional JSON boolean; absent/null = {@code dflt}. Anything else is a 400: Jackson's asBoolean read
     * replace:"no" as true (replace) and allowNewFace:1 as true (override a safety rule).
     */
    static boolean bool(JsonNode body, String field, boolean dflt) {
        JsonNode n = body.path(field);
        if (n.isMissingNode() || n.isNull()) return dflt;
        if (!n.isBoolean()) throw ApiException.badRequest("'" + field + "' must be true or false");
        return n.booleanValue();
    }

    /** "Show top": a whole number 1..MAX_TOP; absent means 5. */
    static int top(JsonNode n) {
        if (n.isMissingNode() || n.isNull()) return 5;
        if (!n.canConvertToInt() || !(n.isIntegralNumber() || n.isTextual() && n.asText().matches("\\d+"))) {
            throw ApiException.badRequest("'show top' must be a whole number from 1 to " + UiServer.MAX_TOP);
        }
        int t = n.asInt();
        if (t < 1 || t > UiServer.MAX_TOP) throw ApiException.badRequest("'show top' must be a whole number from 1 to " + UiServer.MAX_TOP);
        return t;
    }

    /** The body's "name", stripped; empty is a 400 (the server applies the full name rule). */
    static String name(JsonNode b) {
        String n = b.path("name").asText("").strip();
        if (n.isEmpty()) throw ApiException.badRequest("enter a name");
        return n;
    }

    /** A base64 image, optionally as a data: URL (what FileReader and canvas.toDataURL produce). */
    static byte[] image(JsonNode n, String what) {
        if (n == null || !n.isTextual() || n.asText().isEmpty()) throw ApiException.badRequest("choose " + what);
        String s = n.asText();
        if (s.startsWith("data:")) {
            int comma = s.indexOf(',');
            if (comma < 0 || !s.substring(0, comma).endsWith(";base64")) throw new ApiException(400, "not_an_image", what + " is not a base64 data URL");
            s = s.substring(comma + 1);
        }
        try {
            byte[] b = Base64.getMimeDecoder().decode(s);
            if (b.length == 0) throw new ApiException(400, "not_an_image", what + " is empty");
            return b;
        } catch (IllegalArgumentException e) {
            throw new ApiException(400, "not_an_image", what + " is not valid base64");
        }
    }

    /** A server error message for people: without the "server: " prefix and the "(HTTP 404)" suffix. */
    static String plain(String message) {
        return message == null ? "" : message.replaceFirst("^server: ", "").replaceFirst(" \\(HTTP \\d{3}\\)$", "");
    }
}
