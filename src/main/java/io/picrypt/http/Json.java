package io.picrypt.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import spark.Response;

import java.io.IOException;

/** JSON answers and JSON errors of both web servers ({@code {"error": code, "message": text}}). */
public final class Json {
    /** A plain mapper for answers (writing needs no read limits). */
    public static final ObjectMapper MAPPER = new ObjectMapper();

    private Json() {}

    /** A new empty object to fill. */
    public static ObjectNode object() { return MAPPER.createObjectNode(); }

    /** Sets the content type and returns {@code node} as the body text. */
    public static String reply(Response res, JsonNode node) {
        res.type("application/json");
        try {
            return MAPPER.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The error body text; a null message becomes the code. */
    public static String errorJson(String code, String message) {
        return MAPPER.createObjectNode().put("error", code).put("message", message == null ? code : message).toString();
    }

    /** Status, JSON content type and the error as the returned body text (for spark's notFound / halt). */
    public static String errorBody(Response res, int status, String code, String message) {
        res.status(status);
        res.type("application/json");
        return errorJson(code, message);
    }

    /** Status, JSON content type and the error written into the response (for exception handlers). */
    public static void error(Response res, int status, String code, String message) {
        res.body(errorBody(res, status, code, message));
    }

    /**
     * Parses a JSON object.
     *
     * @throws ApiException 400 {@code bad_request} for malformed JSON or anything but an object
     */
    public static JsonNode parseObject(ObjectMapper mapper, byte[] body) {
        try {
            JsonNode n = mapper.readTree(body);
            if (n == null || !n.isObject()) throw ApiException.badRequest("expected a JSON object");
            return n;
        } catch (JsonProcessingException e) {
            throw ApiException.badRequest("malformed JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw ApiException.badRequest("malformed JSON");
        }
    }
}
