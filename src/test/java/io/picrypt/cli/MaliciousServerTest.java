package io.picrypt.cli;

import com.sun.net.httpserver.HttpServer;
import io.picrypt.client.KeyDirectory;
import io.picrypt.client.PiCryptClient;
import io.picrypt.face.FacePipeline;
import io.picrypt.face.SampleFaces;
import io.picrypt.server.PiCryptServer;
import io.picrypt.server.ServerConfig;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.function.UnaryOperator;

import static io.picrypt.cli.ServiceCommandsTest.run;
import static org.junit.jupiter.api.Assertions.*;

/**
 * A deliberately malicious server answering with other VALID ciphertexts of the same keyset (issue 10, planted check
 * values): it swaps two names' stored templates (re-uploading them, so its own digests agree), or answers a verify of
 * one name with its answer for another. Through the CLI and a real server: every such answer is an integrity error
 * (exit 2, "no decision was made"), never MATCH; honest answers decide as before. On main before the check values,
 * bob's face verified as 'alice' gave MATCH (exit 0) in both cases.
 */
class MaliciousServerTest {
    static final Path MODELS = Path.of(System.getProperty("picrypt.models", "models"));
    static List<SampleFaces.Sample> samples;
    static float[][] embeddings = new float[3][];

    @BeforeAll
    static void faces() {
        try (FacePipeline p = FacePipeline.open(MODELS)) {
            samples = SampleFaces.crops(p, MODELS.resolve("samples"));
            for (int i = 0; i < embeddings.length; i++) embeddings[i] = p.embedLargest(samples.get(i).png(), "sample " + i).vector();
        }
    }

    static Path photo(Path tmp, int i) throws Exception {
        Path f = tmp.resolve("face-" + i + ".png");
        if (!Files.exists(f)) Files.write(f, samples.get(i).png());
        return f;
    }

    static Object[] verify(String keys, String server, String name, Path photo) {
        return server == null
                ? run("verify", "--keys", keys, "--models", MODELS.toString(), "--name", name, photo.toString())
                : run("verify", "--keys", keys, "--server", server, "--models", MODELS.toString(), "--name", name, photo.toString());
    }

    static void assertIntegrityError(Object[] r, String what) {
        assertEquals(2, r[0], what + ": must be an error, not a decision: " + r[1] + " " + r[2]);
        assertFalse(((String) r[1]).contains("MATCH"), (String) r[1]);
        assertTrue(((String) r[2]).contains("no decision was made"), (String) r[2]);
    }

    @Test
    void swappedTemplatesAndAnotherNamesAnswerAreIntegrityErrors(@TempDir Path tmp) throws Exception {
        try (var server = new PiCryptServer(ServerConfig.defaults(tmp.resolve("data"), 0)).start()) {
            String url = "http://127.0.0.1:" + server.port(), keys = tmp.resolve("keys").toString();
            assertEquals(0, run("keys", "init", "--keys", keys, "--server", url)[0]);
            for (String[] e : new String[][]{{"alice", "0"}, {"bob", "1"}}) {
                Object[] r = run("enroll", "--keys", keys, "--models", MODELS.toString(), "--name", e[0], photo(tmp, Integer.parseInt(e[1])).toString());
                assertEquals(0, r[0], (String) r[2]);
            }
            // honest: each face matches its own name, not the other's
            assertEquals(0, verify(keys, null, "alice", photo(tmp, 0))[0]);
            assertEquals(1, verify(keys, null, "alice", photo(tmp, 1))[0]);
            assertEquals(0, verify(keys, null, "bob", photo(tmp, 1))[0]);

            // 1. a server answering a verify of 'alice' with its verify of 'bob' (a proxy rewriting the name)
            HttpServer proxy = proxy(url, path -> path.replace("/identities/alice/verify", "/identities/bob/verify"));
            try {
                String via = "http://127.0.0.1:" + proxy.getAddress().getPort();
                assertIntegrityError(verify(keys, via, "alice", photo(tmp, 1)), "bob's answer for alice, bob's face");
                assertIntegrityError(verify(keys, via, "alice", photo(tmp, 0)), "bob's answer for alice, alice's face");
                assertEquals(0, verify(keys, via, "bob", photo(tmp, 1))[0], "untouched requests still decide");
            } finally {
                proxy.stop(0);
            }

            // 2. the server swaps the two names' stored templates (through its own routes: digests are recomputed)
            var config = new KeyDirectory(Path.of(keys)).readConfig();
            byte[] alice = server.store().templates(config.keyset(), "alice").get(0);
            byte[] bob = server.store().templates(config.keyset(), "bob").get(0);
            var http = new PiCryptClient(config);
            http.enroll("alice", bob, true);
            http.enroll("bob", alice, true);
            for (int i = 0; i < 3; i++) assertIntegrityError(verify(keys, null, "alice", photo(tmp, 1)), "bob's template under alice, bob's face");
            assertIntegrityError(verify(keys, null, "bob", photo(tmp, 0)), "alice's template under bob, alice's face");
            assertIntegrityError(verify(keys, null, "alice", photo(tmp, 0)), "bob's template under alice, alice's face");

            // 3. a template without check values (an old enrollment, or one the server made up) in a keyset made with
            // them: refused, since every template of this keyset was enrolled with check values
            byte[] unplanted = new io.picrypt.match.MatchKeyOwner(new KeyDirectory(Path.of(keys)).readSecretKey(null))
                    .encryptTemplate(embeddings[1]);
            http.enroll("alice", unplanted, true);
            Object[] r = verify(keys, null, "alice", photo(tmp, 1));
            assertIntegrityError(r, "unplanted template in a checked keyset");
            assertTrue(((String) r[2]).contains("carry no check values"), (String) r[2]);

            // honest again after re-enrollment
            http.enroll("alice", alice, true);
            http.enroll("bob", bob, true);
            assertEquals(0, verify(keys, null, "alice", photo(tmp, 0))[0]);
            assertEquals(1, verify(keys, null, "alice", photo(tmp, 1))[0]);
        }
    }

    @Test
    void olderKeyDirectoriesWarnAboutTemplatesWithoutCheckValues(@TempDir Path tmp) throws Exception {
        try (var server = new PiCryptServer(ServerConfig.defaults(tmp.resolve("data"), 0)).start()) {
            String url = "http://127.0.0.1:" + server.port(), keys = tmp.resolve("keys").toString();
            assertEquals(0, run("keys", "init", "--keys", keys, "--server", url)[0]);
            // a key directory from before check values: no "template_checks" in its config, templates without them
            Path cfg = Path.of(keys, KeyDirectory.CONFIG_FILE);
            Files.writeString(cfg, Files.readString(cfg).replaceAll(",\\s*\"template_checks\"\\s*:\\s*\"required\"", ""));
            assertFalse(new KeyDirectory(Path.of(keys)).templateChecksRequired());
            var config = new KeyDirectory(Path.of(keys)).readConfig();
            var sk = new KeyDirectory(Path.of(keys)).readSecretKey(null);
            new PiCryptClient(config).enroll("carol", new io.picrypt.match.MatchKeyOwner(sk).encryptTemplate(embeddings[2]), true);
            Object[] r = verify(keys, null, "carol", photo(tmp, 2));
            assertEquals(0, r[0], r[1] + " " + r[2]);
            assertTrue(((String) r[2]).contains("enrolled before check values") && ((String) r[2]).contains("enroll 'carol' again"), (String) r[2]);
            // re-enrolling plants them: no warning any more
            r = run("enroll", "--keys", keys, "--models", MODELS.toString(), "--name", "carol", photo(tmp, 2).toString());
            assertEquals(0, r[0], r[1] + " " + r[2]);
            r = verify(keys, null, "carol", photo(tmp, 2));
            assertEquals(0, r[0], r[1] + " " + r[2]);
            assertFalse(((String) r[2]).contains("check values"), (String) r[2]);
        }
    }

    /**
     * 1:N: every MATCH is confirmed by default against the matched name's checked 1:1 templates (round 3). Before, the
     * reordered gallery below named bob's face 'alice' (exit 0) unless --confirm was given.
     */
    @Test
    void galleryNamesListedOverOtherSlotsFailClosedWithoutAnyFlag(@TempDir Path tmp) throws Exception {
        Path data = tmp.resolve("data");
        String keys = tmp.resolve("keys").toString();
        try (var server = new PiCryptServer(ServerConfig.defaults(data, 0)).start()) {
            String url = "http://127.0.0.1:" + server.port();
            assertEquals(0, run("keys", "init", "--keys", keys, "--server", url)[0]);
            for (String[] e : new String[][]{{"alice", "0"}, {"bob", "1"}}) {
                Object[] r = run("enroll", "--keys", keys, "--models", MODELS.toString(), "--name", e[0], photo(tmp, Integer.parseInt(e[1])).toString());
                assertEquals(0, r[0], (String) r[2]);
            }
            Object[] r = run("identify", "--keys", keys, "--models", MODELS.toString(), photo(tmp, 1).toString());
            assertEquals(0, r[0], r[1] + " " + r[2]);
            assertTrue(((String) r[1]).contains("identified: bob (confirmed"), (String) r[1]);
            r = run("identify", "--keys", keys, "--confirm", "--models", MODELS.toString(), photo(tmp, 1).toString());
            assertEquals(0, r[0], "--confirm is still accepted (no-op): " + r[1] + " " + r[2]);

            // a server sending bob's templates when asked for alice's: alice's face cannot be confirmed, an error
            HttpServer proxy = proxy(url, path -> path.replace("/identities/alice/templates", "/identities/bob/templates"));
            try {
                r = run("identify", "--keys", keys, "--server", "http://127.0.0.1:" + proxy.getAddress().getPort(), "--models", MODELS.toString(),
                        photo(tmp, 0).toString());
                assertIntegrityError(r, "bob's templates sent for alice");
                assertFalse(((String) r[1]).contains("identified"), (String) r[1]);
            } finally {
                proxy.stop(0);
            }
            // a server claiming alice has no template (to skip the confirmation): an UNCONFIRMED match, exit 4, never exit 0
            proxy = proxy(url, path -> path.replace("/identities/alice/templates", "/identities/nobody/templates"));
            try {
                r = run("identify", "--keys", keys, "--server", "http://127.0.0.1:" + proxy.getAddress().getPort(), "--models", MODELS.toString(),
                        photo(tmp, 0).toString());
                assertEquals(IdentifyCommand.EXIT_UNCONFIRMED, r[0], r[1] + " " + r[2]);
                assertTrue(((String) r[1]).contains("identified (UNCONFIRMED): alice"), (String) r[1]);
                assertTrue(((String) r[2]).contains("exists only in the 1:N gallery"), (String) r[2]);
            } finally {
                proxy.stop(0);
            }

            // a gallery-only identity (enroll --gallery: no 1:1 template): its match is UNCONFIRMED, exit 4
            r = run("enroll", "--keys", keys, "--gallery", "--models", MODELS.toString(), "--name", "carol", photo(tmp, 2).toString());
            assertEquals(0, r[0], r[1] + " " + r[2]);
            r = run("identify", "--keys", keys, "--models", MODELS.toString(), photo(tmp, 2).toString());
            assertEquals(IdentifyCommand.EXIT_UNCONFIRMED, r[0], r[1] + " " + r[2]);
            assertTrue(((String) r[1]).contains("identified (UNCONFIRMED): carol"), (String) r[1]);
            assertTrue(((String) r[2]).contains("UNCONFIRMED match: 'carol' exists only in the 1:N gallery"), (String) r[2]);
        }
        // the server lists the two names over each other's slots (valid blocks, names reordered; a store that rewrote
        // its digests too would look the same)
        try (var c = java.sql.DriverManager.getConnection("jdbc:sqlite:" + data.resolve("picrypt.db")); var st = c.createStatement()) {
            assertEquals(1, st.executeUpdate("UPDATE gallery_names SET name = 'tmp' WHERE name = 'alice'"));
            assertEquals(1, st.executeUpdate("UPDATE gallery_names SET name = 'alice' WHERE name = 'bob'"));
            assertEquals(1, st.executeUpdate("UPDATE gallery_names SET name = 'bob' WHERE name = 'tmp'"));
        }
        try (var server = new PiCryptServer(ServerConfig.defaults(data, 0)).start()) {
            String url = "http://127.0.0.1:" + server.port();
            // without any flag: alice's checked 1:1 template contradicts the gallery: an integrity error, no decision
            for (int face : new int[]{0, 1}) {
                Object[] r = run("identify", "--keys", keys, "--server", url, "--models", MODELS.toString(), photo(tmp, face).toString());
                assertIntegrityError(r, "names reordered over gallery slots, face " + face);
                assertFalse(((String) r[1]).contains("identified"), (String) r[1]);
                assertTrue(((String) r[2]).contains("1:1 templates (checked)"), (String) r[2]);
                r = run("identify", "--keys", keys, "--server", url, "--all-faces", "--models", MODELS.toString(), photo(tmp, face).toString());
                assertIntegrityError(r, "every-face identify, names reordered, face " + face);
            }
            // the explicit opt-out decides on the gallery alone, and says so: UNCONFIRMED, exit 4, never exit 0
            Object[] r = run("identify", "--keys", keys, "--server", url, "--no-confirm", "--models", MODELS.toString(), photo(tmp, 1).toString());
            assertEquals(IdentifyCommand.EXIT_UNCONFIRMED, r[0], r[1] + " " + r[2]);
            assertTrue(((String) r[1]).contains("identified (UNCONFIRMED): alice"), (String) r[1]);
            assertTrue(((String) r[2]).contains("confirmation was switched off"), (String) r[2]);
        }
    }

    /** A forwarding HTTP proxy that rewrites request paths with {@code rewrite}. */
    static HttpServer proxy(String target, UnaryOperator<String> rewrite) throws Exception {
        HttpClient client = HttpClient.newHttpClient();
        HttpServer s = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        Set<String> skip = Set.of("connection", "content-length", "host", "expect", "upgrade", "transfer-encoding");
        s.createContext("/", ex -> {
            try {
                String path = rewrite.apply(ex.getRequestURI().toString());
                HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(target + path))
                        .method(ex.getRequestMethod(), HttpRequest.BodyPublishers.ofByteArray(ex.getRequestBody().readAllBytes()));
                ex.getRequestHeaders().forEach((k, v) -> { if (!skip.contains(k.toLowerCase())) v.forEach(x -> b.header(k, x)); });
                HttpResponse<byte[]> res = client.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
                res.headers().map().forEach((k, v) -> { if (!skip.contains(k.toLowerCase()) && !k.startsWith(":")) v.forEach(x -> ex.getResponseHeaders().add(k, x)); });
                ex.sendResponseHeaders(res.statusCode(), res.body().length == 0 ? -1 : res.body().length);
                try (OutputStream o = ex.getResponseBody()) { o.write(res.body()); }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                ex.sendResponseHeaders(502, -1);
            } finally {
                ex.close();
            }
        });
        s.start();
        return s;
    }
}
