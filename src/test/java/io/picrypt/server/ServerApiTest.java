package io.picrypt.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.picrypt.ckks.SecretKey;
import io.picrypt.client.ClientException;
import io.picrypt.client.MatchSession;
import io.picrypt.client.PiCryptClient;
import io.picrypt.match.MatchKeyOwner;
import io.picrypt.match.MatchParameters;
import io.picrypt.match.SyntheticEmbeddings;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.*;

/** The /v1 API over loopback HTTP on an in-process server: flows, token isolation, bad input, concurrency. */
class ServerApiTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP = HttpClient.newHttpClient();
    static final String PARAMS = MatchParameters.get().fingerprintHex();

    @TempDir
    static Path data;
    static PiCryptServer server;
    static URI base;

    @BeforeAll
    static void start() {
        server = new PiCryptServer(ServerConfig.defaults(data, 0)).start();
        base = URI.create("http://127.0.0.1:" + server.port());
    }

    @AfterAll
    static void stop() {
        server.close();
    }




    record Account(PiCryptClient http, SecretKey sk, MatchSession session, String token, String id) {}

    static Account account() {
        PiCryptClient.Keyset ks = PiCryptClient.createKeyset(base, PARAMS);
        PiCryptClient http = new PiCryptClient(base, ks.id(), ks.token());
        SecretKey sk = MatchKeyOwner.generateSecretKey();
        return new Account(http, sk, io.picrypt.client.GallerySessions.session(http, sk, null, 1.30), ks.token(), ks.id());
    }

    static HttpResponse<String> raw(String method, String path, String token, byte[] body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path));
        if (token != null) b.header("Authorization", "Bearer " + token);
        b.header(io.picrypt.http.ApiPaths.GALLERY_LAYOUT_HEADER, Integer.toString(io.picrypt.match.GalleryParameters.LAYOUT));
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    static void assertJsonError(HttpResponse<String> r, int status) throws Exception {
        assertEquals(status, r.statusCode(), r.body());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("application/json"), "JSON error body");
        JsonNode n = JSON.readTree(r.body());
        assertTrue(n.hasNonNull("error") && n.hasNonNull("message"), r.body());
        assertFalse(r.body().contains("at io.picrypt"), "no stack trace");
    }

    static void assertErrorCode(HttpResponse<String> r, int status, String code) throws Exception {
        assertJsonError(r, status);
        assertEquals(code, JSON.readTree(r.body()).get("error").asText(), r.body());
    }

    /** The server side can only evaluate: no class of server, store or the match server touches a secret key or decrypts. */
    @Test
    void serverCodeCannotDecrypt() throws Exception {
        List<Path> classes = new ArrayList<>();
        Path root = Path.of(PiCryptServer.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        for (String pkg : List.of("io/picrypt/server", "io/picrypt/store")) {
            try (var s = java.nio.file.Files.list(root.resolve(pkg))) {
                s.filter(p -> p.toString().endsWith(".class")).forEach(classes::add);
            }
        }
        classes.add(root.resolve("io/picrypt/match/MatchEvaluator.class"));
        assertTrue(classes.size() > 5);
        for (Path c : classes) {
            String text = new String(java.nio.file.Files.readAllBytes(c), java.nio.charset.StandardCharsets.ISO_8859_1);
            for (String forbidden : List.of("io/picrypt/ckks/SecretKey", "io/picrypt/ckks/Decryptor", "io/picrypt/ckks/KeyGenerator",
                    "io/picrypt/client/", "io/picrypt/match/MatchKeyOwner")) {
                assertFalse(text.contains(forbidden), c.getFileName() + " references " + forbidden);
            }
        }
    }

    @Test
    void closedRegistrationNeedsTheServersSecret(@TempDir Path dir) throws Exception {
        String secret = "registration-secret-0123456789";
        try (PiCryptServer closed = new PiCryptServer(ServerConfig.defaults(dir, 0).withRegistrationToken(secret)).start()) {
            URI url = URI.create("http://127.0.0.1:" + closed.port());
            ClientException none = assertThrows(ClientException.class, () -> PiCryptClient.createKeyset(url, PARAMS));
            assertEquals(401, none.status());
            assertEquals(401, assertThrows(ClientException.class, () -> PiCryptClient.createKeyset(url, PARAMS, secret + "x")).status());
            PiCryptClient.Keyset ks = PiCryptClient.createKeyset(url, PARAMS, secret);
            assertTrue(ks.token().startsWith("pct_"));
            assertEquals(0, new PiCryptClient(url, ks.id(), ks.token()).list().size(), "the keyset works like any other");
        }
        assertThrows(IllegalArgumentException.class, () -> ServerConfig.defaults(dir, 0).withRegistrationToken("short"));
    }

    @Test
    void healthAndVersionNeedNoToken() throws Exception {
        assertEquals(200, raw("GET", "/v1/health", null, null).statusCode());
        JsonNode v = JSON.readTree(raw("GET", "/v1/version", null, null).body());
        assertEquals("v1", v.path("api").asText());
        assertEquals(PARAMS, v.path("matching").path("fingerprint").asText());
    }

    @Test
    void enrollVerifyIdentifyDeleteWithDecisionsEqualToPlaintext() {
        Account a = account();
        Random r = new Random(7);
        List<float[]> people = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            float[] v = SyntheticEmbeddings.unit(r);
            people.add(v);
            a.session().enrollEmbedding("person " + i, v, true);
        }
        assertEquals(12, a.http().list().size());
        // probes near the threshold on both sides: the encrypted decision must equal the plaintext one
        for (int i = 0; i < 12; i++) {
            double target = 1.30 + (i % 2 == 0 ? -0.01 : 0.01) * (1 + i % 3);
            float[] probe = SyntheticEmbeddings.near(people.get(i), target, r);
            double plain = SyntheticEmbeddings.squaredDistance(people.get(i), probe);
            MatchSession.Verification v = a.session().verifyEmbedding("person " + i, probe);
            assertEquals(plain, v.distance(), 1e-4);
            assertEquals(plain <= 1.30, v.match(), "decision for person " + i + " at d2=" + plain);
            MatchSession.Identification id = a.session().identifyEmbedding(probe, 3);
            assertEquals(12, id.identities());
            assertEquals("person " + i, id.best().name());
            // the gallery decides on the projections with the session's basis (synthetic here): its own plaintext reference
            double gallery = SyntheticEmbeddings.galleryDistance(a.session().galleryBasis(), people.get(i), probe);
            assertEquals(gallery, id.best().distance(), io.picrypt.match.GalleryKeyOwner.DISTANCE_ERROR_BOUND);
            if (Math.abs(gallery - 1.30) > io.picrypt.match.GalleryKeyOwner.DISTANCE_ERROR_BOUND) assertEquals(gallery <= 1.30, id.match() != null);
        }
        // add a second template: identify reports the best of the name's templates
        float[] other = SyntheticEmbeddings.unit(r);
        a.session().enrollEmbedding("person 0", other, false);
        assertEquals(2, a.http().list().get(0).templates());
        assertTrue(a.session().verifyEmbedding("person 0", SyntheticEmbeddings.near(other, 0.5, r)).match());
        // deleting an identity removes its templates and its gallery entry (as 'picrypt delete' does)
        assertTrue(a.http().deleteEverywhere("person 0").templates());
        assertFalse(a.http().deleteEverywhere("person 0").any());
        ClientException e = assertThrows(ClientException.class, () -> a.session().verifyEmbedding("person 0", other));
        assertEquals(404, e.status());
        assertEquals(11, a.session().identifyEmbedding(other, 5).identities());
    }

    @Test
    void aKeysetsDataIsReachableOnlyWithItsToken() throws Exception {
        Account a = account(), b = account();
        Random r = new Random(3);
        float[] alice = SyntheticEmbeddings.unit(r);
        a.session().enrollEmbedding("alice", alice, true);
        byte[] probe = new MatchKeyOwner(b.sk()).encryptProbe(alice);
        String[][] calls = {
                {"GET", "/v1/keysets/" + a.id() + "/identities"},
                {"GET", "/v1/keysets/" + a.id()},
                {"POST", "/v1/keysets/" + a.id() + "/identities/alice/verify"},
                {"POST", "/v1/keysets/" + a.id() + "/gallery/identify"},
                {"POST", "/v1/keysets/" + a.id() + "/identify/batch"},
                {"PUT", "/v1/keysets/" + a.id() + "/identities/mallory"},
                {"DELETE", "/v1/keysets/" + a.id() + "/identities/alice"},
                {"DELETE", "/v1/keysets/" + a.id()},
        };
        for (String[] c : calls) {
            byte[] body = c[0].equals("POST") || c[0].equals("PUT") ? probe : null;
            assertJsonError(raw(c[0], c[1], b.token(), body), 403);
            assertJsonError(raw(c[0], c[1], null, body), 401);
            assertJsonError(raw(c[0], c[1], "pct_guess", body), 403);
        }
        assertEquals(List.of("alice"), a.http().list().stream().map(PiCryptClient.Identity::name).toList(), "nothing changed");
        assertTrue(b.http().list().isEmpty());
        assertJsonError(raw("GET", "/v1/keysets/ks_nope/identities", a.token(), null), 404);
    }

    @Test
    void badInputGetsAJsonErrorAndChangesNothing() throws Exception {
        Account a = account();
        Random r = new Random(5);
        a.session().enrollEmbedding("bob", SyntheticEmbeddings.unit(r), true);
        String enroll = "/v1/keysets/" + a.id() + "/identities/carol";
        byte[] good = new MatchKeyOwner(a.sk()).encryptTemplate(SyntheticEmbeddings.unit(r));
        // a garbled frame (magic, length) is malformed_frame; a well-framed ciphertext that is not valid here is invalid_ciphertext
        assertErrorCode(raw("PUT", enroll, a.token(), "garbage".getBytes()), 400, "malformed_frame");
        assertErrorCode(raw("PUT", enroll, a.token(), Arrays.copyOf(good, good.length / 2)), 400, "malformed_frame");
        byte[] flipped = good.clone();
        flipped[6] ^= 0x40;
        assertErrorCode(raw("PUT", enroll, a.token(), flipped), 400, "invalid_ciphertext");
        byte[] longer = Arrays.copyOf(good, good.length + 1);
        assertErrorCode(raw("PUT", enroll, a.token(), longer), 400, "malformed_frame");
        assertJsonError(raw("PUT", enroll, a.token(), new byte[(1 << 20) + 10]), 413);
        assertJsonError(raw("PUT", enroll, a.token(), new byte[0]), 400);
        // a ciphertext of other parameters (the default CKKS preset) is refused
        var other = io.picrypt.ckks.CkksParameters.defaultPreset();
        var osk = new io.picrypt.ckks.KeyGenerator(other).secretKey();
        var oct = new io.picrypt.ckks.Encryptor(other).encryptSymmetric(new io.picrypt.ckks.Encoder(other).encode(new double[]{1}, other.defaultScale()), osk);
        assertJsonError(raw("PUT", enroll, a.token(), io.picrypt.ckks.Serializer.writeCiphertext(oct, other)), 400);
        assertJsonError(raw("PUT", "/v1/keysets/" + a.id() + "/identities/%20bad", a.token(), good), 400);
        assertJsonError(raw("PUT", enroll + "?mode=merge", a.token(), good), 400);
        assertJsonError(raw("POST", "/v1/keysets/" + a.id() + "/identities/nobody/verify", a.token(), new MatchKeyOwner(a.sk()).encryptProbe(SyntheticEmbeddings.unit(r))), 404);
        assertJsonError(raw("POST", "/v1/keysets/" + a.id() + "/gallery/identify", a.token(), "x".getBytes()), 400);
        // the template-packing identify is gone: one 1:N path (the gallery)
        assertJsonError(raw("POST", "/v1/keysets/" + a.id() + "/identify", a.token(), new MatchKeyOwner(a.sk()).encryptProbe(SyntheticEmbeddings.unit(r))), 404);
        assertJsonError(raw("POST", "/v1/keysets", null, "{not json".getBytes()), 400);
        assertJsonError(raw("POST", "/v1/keysets", null, "{\"params\":\"00\"}".getBytes()), 400);
        assertJsonError(raw("GET", "/v1/nothing", null, null), 404);
        assertEquals(List.of("bob"), a.http().list().stream().map(PiCryptClient.Identity::name).toList());
        // a valid name with spaces and non-ASCII letters works
        assertEquals(1, a.http().enroll("José María", good, true).templates());
    }

    @Test
    void imageDifferenceIsExactOverHttpAndRefusesBadInput() throws Exception {
        Account a = account();
        var sk = new io.picrypt.ckks.KeyGenerator(io.picrypt.imagediff.ImageDiffParameters.standard().ckks()).secretKey();
        var session = new io.picrypt.client.ImageDiffSession(a.http(), sk);
        var pair = io.picrypt.imagediff.SyntheticPair.generate(97, 61, 3);
        var r = session.diff(pair.before(), pair.after(), io.picrypt.client.ImageDiffSession.Progress.NONE);
        assertEquals(io.picrypt.imagediff.DiffImage.plain(pair.before(), pair.after()), r.difference(), "exact for every pixel");
        assertTrue(r.difference().changedPixels() > 0);

        var crypto = new io.picrypt.imagediff.ImageDiffKeyOwner(io.picrypt.imagediff.ImageDiffParameters.standard(), sk);
        byte[] before = crypto.encrypt(pair.before());
        byte[] small = crypto.encrypt(io.picrypt.imagediff.SyntheticPair.generate(50, 40, 3).after());
        String path = "/v1/keysets/" + a.id() + "/image-diff";
        assertJsonError(raw("POST", path, a.token(), io.picrypt.imagediff.DiffRequest.write(before, small)), 400);
        assertJsonError(raw("POST", path, a.token(), io.picrypt.imagediff.DiffRequest.write(before, Arrays.copyOf(before, before.length - 7))), 400);
        assertJsonError(raw("POST", path, a.token(), "garbage".getBytes()), 400);
        byte[] wrongFingerprint = before.clone();
        wrongFingerprint[8] ^= 1;
        assertJsonError(raw("POST", path, a.token(), io.picrypt.imagediff.DiffRequest.write(wrongFingerprint, before)), 400);
        assertJsonError(raw("POST", path, null, io.picrypt.imagediff.DiffRequest.write(before, before)), 401);
        assertJsonError(raw("POST", path, account().token(), io.picrypt.imagediff.DiffRequest.write(before, before)), 403);
    }

    @Test
    void concurrentVerifiesAndIdentifiesWithEnrollmentsAndDeletes() throws Exception {
        Account a = account();
        Random r = new Random(11);
        List<float[]> people = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            people.add(SyntheticEmbeddings.unit(r));
            a.session().enrollEmbedding("p" + i, people.get(i), true);
        }
        List<float[]> probes = new ArrayList<>();
        for (float[] p : people) probes.add(SyntheticEmbeddings.near(p, 0.4, r));
        List<float[]> churn = new ArrayList<>();
        for (int i = 0; i < 10; i++) churn.add(SyntheticEmbeddings.unit(r));
        ExecutorService pool = Executors.newFixedThreadPool(16);
        try {
            List<Future<?>> fs = new ArrayList<>();
            for (int k = 0; k < 50; k++) {
                int i = k % 10;
                if (k % 2 == 0) {
                    fs.add(pool.submit(() -> {
                        MatchSession.Verification v = a.session().verifyEmbedding("p" + i, probes.get(i));
                        assertTrue(v.match(), "genuine");
                        assertFalse(a.session().verifyEmbedding("p" + i, probes.get((i + 1) % 10)).match(), "impostor");
                        return null;
                    }));
                } else {
                    fs.add(pool.submit(() -> {
                        MatchSession.Identification id = a.session().identifyEmbedding(probes.get(i), 1);
                        assertEquals("p" + i, id.match().name());
                        return null;
                    }));
                }
                int c = k % 10;
                fs.add(pool.submit(() -> {
                    // two threads may enroll the same name at once: the gallery entry is replaced atomically, both succeed
                    a.session().enrollEmbedding("churn" + c, churn.get(c), true);
                    a.http().deleteEverywhere("churn" + c);
                    return null;
                }));
                fs.add(pool.submit(() -> {
                    assertEquals(200, raw("GET", "/v1/health", null, null).statusCode());
                    return null;
                }));
            }
            for (Future<?> f : fs) f.get();
        } finally {
            pool.shutdownNow();
        }
        assertEquals(10, a.http().list().stream().filter(i -> i.name().startsWith("p")).count());
    }
}
