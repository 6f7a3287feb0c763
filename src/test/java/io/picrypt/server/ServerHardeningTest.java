package io.picrypt.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.picrypt.client.PiCryptClient;
import io.picrypt.match.MatchKeyOwner;
import io.picrypt.match.MatchParameters;
import io.picrypt.match.SyntheticEmbeddings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Issue 11 against a real server process: slow and stalled clients cannot take the workers (health answers
 * within a second throughout), every malformed request is a JSON 4xx without a stack trace in the answer or the
 * log, HEAD is authorized like GET, and the quotas answer 429/507. Short limits keep it fast.
 */
class ServerHardeningTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String FAST = "idleTimeoutMs=1500,headerDeadlineMs=2500,bodyGraceMs=1000,minUploadRate=2000";

    @TempDir
    Path tmp;

    /** One raw HTTP/1.1 exchange; the answer as "status\nbody" (read until close or the timeout). */
    static String rawExchange(int port, String head, byte[] body, int timeoutMs) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 2000);
            s.setSoTimeout(timeoutMs);
            OutputStream out = s.getOutputStream();
            out.write(head.getBytes(StandardCharsets.ISO_8859_1));
            if (body != null) out.write(body);
            out.flush();
            return readAnswer(s.getInputStream());
        }
    }

    static String readAnswer(InputStream in) throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        byte[] b = new byte[8192];
        try {
            for (int n; (n = in.read(b)) >= 0; ) {
                buf.write(b, 0, n);
                String sofar = buf.toString(StandardCharsets.ISO_8859_1);
                int end = sofar.indexOf("\r\n\r\n");
                if (end >= 0) {
                    int cl = sofar.toLowerCase().indexOf("content-length: ");
                    if (cl >= 0) {
                        int len = Integer.parseInt(sofar.substring(cl + 16, sofar.indexOf("\r\n", cl)).trim());
                        if (buf.size() >= end + 4 + len) break;
                    }
                }
            }
        } catch (SocketTimeoutException | java.net.SocketException e) {
            // return what arrived
        }
        String a = buf.toString(StandardCharsets.UTF_8);
        if (a.isEmpty()) return "closed\n";
        String status = a.substring(9, 12);
        int end = a.indexOf("\r\n\r\n");
        return status + "\n" + (end < 0 ? "" : a.substring(end + 4));
    }

    static void assertJson(String answer, int status) throws IOException {
        assertEquals(Integer.toString(status), answer.substring(0, 3), answer);
        String body = answer.substring(4);
        JsonNode n = JSON.readTree(body);
        assertTrue(n != null && n.hasNonNull("error") && n.hasNonNull("message"), answer);
        assertFalse(body.contains("at io.") || body.contains("at org.") || body.contains("<html"), "no stack trace, no HTML: " + body);
    }

    static long healthMillis(PiCryptClient unused, int port) throws IOException {
        long t0 = System.nanoTime();
        String a = rawExchange(port, "GET /v1/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", null, 5000);
        assertTrue(a.startsWith("200"), a);
        return (System.nanoTime() - t0) / 1_000_000;
    }

    @Test
    void slowAndStalledClientsCannotTakeTheWorkers() throws Exception {
        int port = ServerProcessTest.freePort();
        Path log = tmp.resolve("server.log");
        try (var server = new ServerProcessTest.ServerProcess(tmp.resolve("data"), port, log, "--threads", "4", "--limits", FAST)) {
            PiCryptClient.Keyset ks = PiCryptClient.createKeyset(server.url, MatchParameters.get().fingerprintHex());
            PiCryptClient http = new PiCryptClient(server.url, ks.id(), ks.token());
            MatchKeyOwner crypto = new MatchKeyOwner(MatchKeyOwner.generateSecretKey());
            float[] v = SyntheticEmbeddings.unit(new Random(1));
            byte[] template = crypto.encryptTemplate(v);

            AtomicBoolean stop = new AtomicBoolean();
            List<Socket> attackers = new ArrayList<>();
            List<Thread> tricklers = new ArrayList<>();
            // 8 keyset creations (no token needed) trickling one byte every 300 ms, 8 enrollments that send 10 bytes
            // and stop, 8 header blocks that never end: 24 connections against 4 worker threads
            for (int i = 0; i < 24; i++) {
                Socket s = new Socket("127.0.0.1", port);
                attackers.add(s);
                OutputStream out = s.getOutputStream();
                int kind = i % 3;
                String head = switch (kind) {
                    case 0 -> "POST /v1/keysets HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n";
                    case 1 -> "PUT /v1/keysets/" + ks.id() + "/identities/x HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + ks.token()
                            + "\r\nContent-Type: application/octet-stream\r\nContent-Length: 100000\r\n\r\n0123456789";
                    default -> "GET /v1/health HTTP/1.1\r\nHost: x\r\nX-Slow: ";
                };
                out.write(head.getBytes(StandardCharsets.ISO_8859_1));
                out.flush();
                if (kind != 1) {
                    Thread t = new Thread(() -> {
                        try {
                            while (!stop.get()) {
                                out.write('a');
                                out.flush();
                                Thread.sleep(300);
                            }
                        } catch (IOException | InterruptedException e) {
                            // closed by the server: expected
                        }
                    });
                    t.setDaemon(true);
                    t.start();
                    tricklers.add(t);
                }
            }
            long worst = 0;
            for (int i = 0; i < 12; i++) {
                worst = Math.max(worst, healthMillis(http, port));
                Thread.sleep(250);
            }
            assertTrue(worst < 1000, "health answered within a second under attack (worst " + worst + " ms)");
            // small authorized requests are served too
            long t0 = System.nanoTime();
            assertEquals(1, http.enroll("alice", template, true).templates());
            assertNotNull(http.verify("alice", crypto.encryptProbe(v)).body());
            long served = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(served < 5000, "enroll + verify under attack in " + served + " ms");

            // the attackers were cut off: stalled bodies get 408 JSON, trickled ones 408 at their deadline, endless headers closed
            for (int i = 0; i < attackers.size(); i++) {
                Socket s = attackers.get(i);
                s.setSoTimeout(8000);
                String a = readAnswer(s.getInputStream());
                if (i % 3 == 2) assertTrue(a.equals("closed\n") || a.startsWith("4"), "endless header closed: " + a);
                else assertJson(a, 408);
            }
            stop.set(true);
            for (Socket s : attackers) s.close();
            assertFalse(Files.readString(log).contains("\tat "), "no stack trace in the log");
        }
    }

    @Test
    void malformedRequestsAreJson4xxOnEveryRouteAndHeadIsAuthorized() throws Exception {
        int port = ServerProcessTest.freePort();
        Path log = tmp.resolve("server.log");
        try (var server = new ServerProcessTest.ServerProcess(tmp.resolve("data"), port, log, "--limits", FAST)) {
            PiCryptClient.Keyset ks = PiCryptClient.createKeyset(server.url, MatchParameters.get().fingerprintHex());
            String auth = "Authorization: Bearer " + ks.token() + "\r\n";
            String k = "/v1/keysets/" + ks.id();
            // issue 11 item 6: bad percent-encoding was a 500, and error pages carried a stack trace in HTML
            for (String path : new String[]{"/v1/keysets/%FF", "/v1/keysets/%E0%A4", "/v1/keysets/%", "/v1/keysets/%zz", k + "/identities/%C3%28"}) {
                assertJson(rawExchange(port, "GET " + path + " HTTP/1.1\r\nHost: x\r\n" + auth + "Connection: close\r\n\r\n", null, 5000), 400);
            }
            assertJson(rawExchange(port, "GET /nothing HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", null, 5000), 404);
            assertJson(rawExchange(port, "GARBAGE\r\n\r\n", null, 5000), 400);
            assertJson(rawExchange(port, "GET /v1/health HTTP/1.1\r\nHost: x\r\nX-Big: " + "a".repeat(20_000) + "\r\n\r\n", null, 5000), 431);
            // HEAD follows GET's authorization
            for (String path : new String[]{k, k + "/identities", k + "/gallery"}) {
                String noToken = rawExchange(port, "HEAD " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", null, 5000);
                assertTrue(noToken.startsWith("401"), "HEAD without a token: " + noToken);
                String withToken = rawExchange(port, "HEAD " + path + " HTTP/1.1\r\nHost: x\r\n" + auth + "Connection: close\r\n\r\n", null, 5000);
                assertTrue(withToken.startsWith("200"), "HEAD with the token: " + withToken);
            }
            // issue 12 item 6: curl's default form content type gave 500 and a stack trace, on every body route
            byte[] body = "some=bytes&more=%FF".getBytes(StandardCharsets.US_ASCII);
            String[][] routes = {{"POST", "/v1/keysets"}, {"PUT", k + "/identities/alice"}, {"POST", k + "/identities/alice/verify"},
                    {"POST", k + "/identify/batch"}, {"POST", k + "/image-diff"}, {"PUT", k + "/gallery/keys"}, {"POST", k + "/gallery/blocks"},
                    {"PUT", k + "/gallery/names/alice"}, {"POST", k + "/gallery/identify"}, {"DELETE", k + "/identities/alice"}};
            for (String type : new String[]{"application/x-www-form-urlencoded", "multipart/form-data; boundary=x"}) {
                for (String[] r : routes) {
                    String a = rawExchange(port, r[0] + " " + r[1] + " HTTP/1.1\r\nHost: x\r\n" + auth + "Content-Type: " + type
                            + "\r\nContent-Length: " + body.length + "\r\nConnection: close\r\n\r\n", body, 5000);
                    assertJson(a, 415);
                }
            }
            // a body with no or another content type is read as what the route expects: a 4xx for garbage
            for (String[] r : routes) {
                String a = rawExchange(port, r[0] + " " + r[1] + " HTTP/1.1\r\nHost: x\r\n" + auth
                        + "Content-Length: " + body.length + "\r\nConnection: close\r\n\r\n", body, 5000);
                int status = Integer.parseInt(a.substring(0, 3));
                assertTrue(status >= 400 && status < 500, r[0] + " " + r[1] + ": " + a);
                assertJson(a, status);
            }
            // declared larger than the route's limit: refused before a byte of it is read
            assertJson(rawExchange(port, "POST /v1/keysets HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 999999999\r\n\r\n", null, 5000), 413);
            String text = Files.readString(log);
            assertFalse(text.contains("\tat ") || text.contains("Exception"), "one line per refusal, no stack trace:\n" + text);
        }
    }

    @Test
    void quotasAnswer429And507() throws Exception {
        int port = ServerProcessTest.freePort();
        try (var server = new ServerProcessTest.ServerProcess(tmp.resolve("data"), port, tmp.resolve("server.log"), "--limits",
                FAST + ",keysetsPerClientWindow=3,windowMs=600000,maxIdentities=2")) {
            String fp = MatchParameters.get().fingerprintHex();
            PiCryptClient.Keyset ks = PiCryptClient.createKeyset(server.url, fp);
            PiCryptClient.createKeyset(server.url, fp);
            PiCryptClient.createKeyset(server.url, fp);
            String a = rawExchange(port, "POST /v1/keysets HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: "
                    + ("{\"params\":\"" + fp + "\"}").length() + "\r\nConnection: close\r\n\r\n", ("{\"params\":\"" + fp + "\"}").getBytes(), 5000);
            assertJson(a, 429);
            PiCryptClient http = new PiCryptClient(server.url, ks.id(), ks.token());
            MatchKeyOwner crypto = new MatchKeyOwner(MatchKeyOwner.generateSecretKey());
            byte[] t = crypto.encryptTemplate(SyntheticEmbeddings.unit(new Random(2)));
            http.enroll("a", t, true);
            http.enroll("b", t, true);
            var e = assertThrows(io.picrypt.client.ClientException.class, () -> http.enroll("c", t, true));
            assertEquals(507, e.status(), e.getMessage());
            assertEquals(2, http.enroll("b", t, false).templates(), "more templates of a known name still fit");
            assertEquals(2, http.list().size());
        }
    }
}
