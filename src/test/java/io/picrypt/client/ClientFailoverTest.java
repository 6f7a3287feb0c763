package io.picrypt.client;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Client resilience against fake servers (issue 14): several server URLs with failover on a refused connection, and
 * retries of requests that are safe to repeat (identify, verify, GETs) on a transient JSON 503/429, honouring
 * Retry-After; a request that is not safe to repeat (enroll) is never sent twice unless the connection was refused.
 */
class ClientFailoverTest {
    private final List<HttpServer> servers = new ArrayList<>();
    private final List<String> log = new CopyOnWriteArrayList<>();

    @AfterEach
    void stop() {
        for (HttpServer s : servers) s.stop(0);
    }

    /** What a fake server does with the n-th request it gets (0-based): status (0 = drop the connection), body, headers. */
    record Answer(int status, String body, String retryAfter) {}

    private URI fake(String label, Function<Integer, Answer> behaviour) throws Exception {
        HttpServer s = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        AtomicInteger n = new AtomicInteger();
        s.createContext("/", ex -> {
            if (ex.getRequestMethod().equals("GET") && ex.getRequestURI().getPath().endsWith("/gallery")) {
                // the client's once-per-connection layout check (PiCryptClient.requireGalleryLayout), outside the scripts
                handle(ex, label + " (layout check)", new Answer(200, "{\"keys\":true,\"layout\":" + io.picrypt.match.GalleryParameters.LAYOUT + "}", null));
                log.remove(log.size() - 1);
                return;
            }
            handle(ex, label, behaviour.apply(n.getAndIncrement()));
        });
        s.start();
        servers.add(s);
        return URI.create("http://127.0.0.1:" + s.getAddress().getPort());
    }

    private void handle(HttpExchange ex, String label, Answer a) throws java.io.IOException {
        ex.getRequestBody().readAllBytes();
        log.add(label + " " + ex.getRequestMethod() + " " + ex.getRequestURI().getPath() + " -> " + a.status());
        if (a.status() == 0) {
            ex.close(); // connection closed without an answer: the exchange broke off midway
            return;
        }
        byte[] b = a.body().getBytes(StandardCharsets.UTF_8);
        boolean json = a.body().startsWith("{");
        ex.getResponseHeaders().add("Content-Type", json ? "application/json" : "application/octet-stream");
        if (a.retryAfter() != null) ex.getResponseHeaders().add("Retry-After", a.retryAfter());
        ex.sendResponseHeaders(a.status(), b.length);
        ex.getResponseBody().write(b);
        ex.close();
    }

    private static URI deadServer() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return URI.create("http://127.0.0.1:" + s.getLocalPort());
        }
    }

    private static final String UNAVAILABLE = "{\"error\":\"cluster_unavailable\",\"message\":\"the cluster could not answer for every gallery block; retry shortly\"}";

    private static PiCryptClient client(List<URI> urls) {
        PiCryptClient c = new PiCryptClient(urls, "ks_x", "pct_y", new PiCryptClient.Timeouts(Duration.ofSeconds(10), 0.1));
        c.retry(new PiCryptClient.Retry(5, Duration.ofMillis(50), Duration.ofSeconds(10)));
        return c;
    }

    @Test
    void anIdentifyFailsOverFromADeadMemberAndRidesOutTransient503s() throws Exception {
        URI dead = deadServer();
        URI live = fake("b", n -> n < 2 ? new Answer(503, UNAVAILABLE, "1") : new Answer(200, "answer", null));
        PiCryptClient c = client(List.of(dead, live));
        long t0 = System.nanoTime();
        PiCryptClient.Reply r = c.identifyGallery(new byte[]{1, 2, 3});
        double s = (System.nanoTime() - t0) / 1e9;
        assertEquals("answer", new String(r.body(), StandardCharsets.UTF_8));
        assertEquals(3, log.size(), log.toString());
        assertTrue(s >= 1.9, "Retry-After: 1 honoured twice, waited " + s + " s");
        assertEquals(live, c.server(), "the member that answered is used first from now on");
        c.identifyGallery(new byte[]{1});
        assertEquals(4, log.size(), "no detour through the dead member: " + log);
    }

    @Test
    void retriesAreBoundedAndEndInTheServersError() throws Exception {
        URI live = fake("b", n -> new Answer(503, UNAVAILABLE, null));
        PiCryptClient c = client(List.of(live));
        ClientException e = assertThrows(ClientException.class, () -> c.identifyGallery(new byte[]{1}));
        assertEquals(503, e.status());
        assertTrue(e.getMessage().contains("retry shortly"), e.getMessage());
        assertEquals(5, log.size(), "attempts bounded by the policy: " + log);
        // a 503 that is not ours (a proxy page) and a 500 are not retried
        log.clear();
        URI proxy = fake("p", n -> new Answer(503, "<html>bad gateway</html>", null));
        assertEquals(503, assertThrows(ClientException.class, () -> client(List.of(proxy)).identifyGallery(new byte[]{1})).status());
        assertEquals(1, log.size(), log.toString());
    }

    @Test
    void anEnrollIsNotRepeatedUnlessItNeverArrived() throws Exception {
        URI busy = fake("a", n -> new Answer(503, UNAVAILABLE, "0"));
        PiCryptClient c = client(List.of(busy));
        // the cluster's 503 on a write may follow a store commit: not repeated
        assertEquals(503, assertThrows(ClientException.class, () -> c.enrollIntoGallery("alice", new byte[]{1})).status());
        assertEquals(1, log.size(), log.toString());
        // a refused connection proves the request never arrived: the next member gets it
        log.clear();
        URI ok = fake("b", n -> new Answer(201, "{\"name\":\"alice\",\"templates\":1}", null));
        PiCryptClient two = client(List.of(deadServer(), ok));
        assertEquals(1, two.enroll("alice", new byte[]{1}, true).templates());
        assertEquals(1, log.size(), log.toString());
        // a connection broken midway may have been applied: an enroll is not sent again, a verify is
        log.clear();
        URI drops = fake("d", n -> new Answer(0, "", null));
        URI other = fake("e", n -> new Answer(200, "verified", null));
        PiCryptClient pair = client(List.of(drops, other));
        assertThrows(ClientException.class, () -> pair.enroll("alice", new byte[]{1}, true));
        assertTrue(log.stream().noneMatch(l -> l.startsWith("e ")), "the enroll was not repeated on the other member: " + log);
        assertEquals("verified", new String(pair.verify("alice", new byte[]{1}).body(), StandardCharsets.UTF_8));
        assertTrue(log.stream().anyMatch(l -> l.startsWith("e POST")), log.toString());
    }

    @Test
    void everyServerDownIsOneClearErrorAtOnce() throws Exception {
        PiCryptClient c = client(List.of(deadServer(), deadServer()));
        long t0 = System.nanoTime();
        ClientException e = assertThrows(ClientException.class, () -> c.identifyGallery(new byte[]{1}));
        assertTrue(e.getMessage().contains("cannot reach"), e.getMessage());
        assertTrue((System.nanoTime() - t0) / 1e9 < 5, "no waiting when nothing is reachable");
    }
}
