package io.picrypt.server;

import io.picrypt.http.ApiPaths;
import io.picrypt.http.RouteTable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The routes a started server registered and the operations of docs/openapi.yaml are the same set of
 * (method, path), in both directions; and the body gate reads its limits from the same table.
 */
class OpenApiRoutesTest {
    private static final Pattern PATH = Pattern.compile("^  (/\\S*):\\s*$");
    private static final Pattern OPERATION = Pattern.compile("^    (get|put|post|delete|patch|head|options):.*$");

    /** "METHOD /path/{param}" of every operation under openapi.yaml's top-level {@code paths:}. */
    static Set<String> documented(Path yaml) throws IOException {
        Set<String> out = new TreeSet<>();
        boolean inPaths = false;
        String path = null;
        for (String line : Files.readAllLines(yaml)) {
            if (!line.startsWith(" ") && !line.isBlank()) {
                inPaths = line.startsWith("paths:");
                path = null;
                continue;
            }
            if (!inPaths) continue;
            Matcher p = PATH.matcher(line);
            if (p.matches()) {
                path = p.group(1);
                continue;
            }
            Matcher o = OPERATION.matcher(line);
            if (o.matches() && path != null) out.add(o.group(1).toUpperCase(Locale.ROOT) + " " + path);
        }
        return out;
    }

    @Test
    void registeredRoutesAndOpenApiAgree(@TempDir Path data) throws IOException {
        Set<String> documented = documented(Path.of("docs/openapi.yaml"));
        assertTrue(documented.size() >= 10, "parsed openapi.yaml: " + documented);
        Set<String> registered = new TreeSet<>();
        try (PiCryptServer s = new PiCryptServer(ServerConfig.defaults(data, 0)).start()) {
            for (RouteTable.Entry e : s.routes()) registered.add(e.method() + " " + e.template());
        }
        Set<String> undocumented = new TreeSet<>(registered);
        undocumented.removeAll(documented);
        Set<String> unserved = new TreeSet<>(documented);
        unserved.removeAll(registered);
        assertEquals(Set.of(), undocumented, "routes the server registers that docs/openapi.yaml does not describe");
        assertEquals(Set.of(), unserved, "operations docs/openapi.yaml describes that the server does not register");
    }

    @Test
    void theParserSeesAMissingOrExtraOperation(@TempDir Path dir) throws IOException {
        Path yaml = dir.resolve("o.yaml");
        Files.writeString(yaml, """
                openapi: 3.0.3
                components:
                  parameters:
                    id: {name: id}
                paths:
                  /v1/health:
                    get:
                      summary: x
                  /v1/keysets/{id}:
                    parameters: [{$ref: '#/components/parameters/id'}]
                    get: {summary: y}
                    delete:
                      summary: z
                """);
        assertEquals(Set.of("GET /v1/health", "GET /v1/keysets/{id}", "DELETE /v1/keysets/{id}"), documented(yaml));
    }

    @Test
    void bodyLimitsComeFromTheRouteTable(@TempDir Path data) {
        ServerConfig c = ServerConfig.defaults(data, 0);
        try (PiCryptServer s = new PiCryptServer(c).start()) {
            assertEquals(c.maxImageDiffBytes(), s.bodyLimit("POST", "/v1/keysets/ks_1/image-diff"));
            assertEquals(c.limits().maxEvaluationKeyBytes(), s.bodyLimit("PUT", "/v1/keysets/ks_1/gallery/keys"));
            assertEquals(c.maxGalleryBlockBytes(), s.bodyLimit("POST", "/v1/keysets/ks_1/gallery/blocks"));
            assertEquals(BatchIdentify.maxBody(c.maxTemplateBytes()), s.bodyLimit("POST", "/v1/keysets/ks_1/identify/batch"));
            assertEquals(KeysetRoutes.CREATE_BODY_BYTES, s.bodyLimit("POST", "/v1/keysets"));
            assertEquals(c.maxGalleryBlockBytes() * c.limits().maxGalleryBlocks() + 64, s.bodyLimit("POST", "/v1/keysets/ks_1/gallery/compact"));
            assertEquals(c.maxTemplateBytes(), s.bodyLimit("PUT", "/v1/keysets/ks_1/identities/alice"));
            assertEquals(c.maxTemplateBytes(), s.bodyLimit("POST", "/v1/keysets/ks_1/unknown"), "unknown routes: template limit");
            assertEquals(c.maxTemplateBytes(), s.bodyLimit("GET", "/v1/keysets/ks_1/gallery"), "no body declared: template limit");
        }
    }

    @Test
    void pathTemplates() {
        assertEquals("/v1/keysets/:id/identities/:name/verify", ApiPaths.pattern(ApiPaths.keyset(ApiPaths.VERIFY)));
        assertEquals(ApiPaths.keyset(ApiPaths.VERIFY), ApiPaths.template(ApiPaths.pattern(ApiPaths.keyset(ApiPaths.VERIFY))));
        assertEquals("/identities/Ana%20Mar%C3%ADa%2Fx/verify", ApiPaths.fill(ApiPaths.VERIFY, "Ana María/x"));
        assertThrows(IllegalArgumentException.class, () -> ApiPaths.fill(ApiPaths.VERIFY));
        assertThrows(IllegalArgumentException.class, () -> ApiPaths.fill(ApiPaths.GALLERY_IDENTIFY, "x"));
        RouteTable t = new RouteTable(null).post(ApiPaths.keyset(ApiPaths.IDENTITY), 7, (q, r) -> "")
                .post(ApiPaths.keyset("/identities/batch"), 9, (q, r) -> "");
        assertEquals(9, t.bodyLimit("POST", "/v1/keysets/k/identities/batch", 1), "a literal segment wins over a parameter");
        assertEquals(7, t.bodyLimit("post", "/v1/keysets/k/identities/bob", 1));
        assertEquals(1, t.bodyLimit("POST", "/v1/keysets//identities/bob", 1), "an empty segment is no parameter");
        assertEquals(List.of("POST", "POST"), t.entries().stream().map(RouteTable.Entry::method).toList());
    }
}
