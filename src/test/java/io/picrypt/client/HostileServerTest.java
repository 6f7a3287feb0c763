package io.picrypt.client;

import com.sun.net.httpserver.HttpServer;
import io.picrypt.cli.Main;
import io.picrypt.cli.Terminal;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Issue 11 item 5 and the client's part of item 6: a real client against a deliberately bad server. An endless
 * answer is cut at the size the request can produce, a trickling or stalled answer at the stall or total
 * deadline, an interrupt ends the call; names and messages with terminal escapes are printed escaped; a key
 * directory other users can write is refused.
 */
class HostileServerTest {
    @TempDir
    Path tmp;

    interface Body { void write(OutputStream out, AtomicBoolean stop) throws Exception; }

    static HttpServer serve(Body body, AtomicBoolean stop) throws Exception {
        HttpServer s = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        s.createContext("/", ex -> {
            ex.getResponseHeaders().add("Content-Type", "application/json");
            ex.sendResponseHeaders(200, 0); // chunked
            try (OutputStream out = ex.getResponseBody()) {
                body.write(out, stop);
            } catch (Exception e) {
                // the client hung up: expected
            }
        });
        s.setExecutor(java.util.concurrent.Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r);
            t.setDaemon(true);
            return t;
        }));
        s.start();
        return s;
    }

    static URI url(HttpServer s) { return URI.create("http://127.0.0.1:" + s.getAddress().getPort()); }

    @Test
    void anEndlessAnswerIsCutAtWhatTheRequestCanProduce() throws Exception {
        AtomicBoolean stop = new AtomicBoolean();
        HttpServer s = serve((out, st) -> {
            out.write("{\"identities\":[".getBytes());
            byte[] item = "{\"name\":\"x\",\"templates\":1,\"updated\":\"2020-01-01T00:00:00Z\"},".repeat(100).getBytes();
            while (!st.get()) out.write(item);
        }, stop);
        try {
            PiCryptClient c = new PiCryptClient(url(s), "ks", "t");
            long t0 = System.nanoTime();
            ClientException e = assertThrows(ClientException.class, c::list);
            assertTrue(e.getMessage().contains("exceeds " + PiCryptClient.LIST_JSON), e.getMessage());
            assertTrue((System.nanoTime() - t0) / 1e9 < 60, "refused as it arrived");
            ClientException e2 = assertThrows(ClientException.class, c::keysetInfo);
            assertTrue(e2.getMessage().contains("exceeds " + PiCryptClient.SMALL_JSON), e2.getMessage());
        } finally {
            stop.set(true);
            s.stop(0);
        }
    }

    @Test
    void aTricklingOrStalledAnswerEndsAtItsDeadline() throws Exception {
        AtomicBoolean stop = new AtomicBoolean();
        HttpServer trickle = serve((out, st) -> {
            while (!st.get()) {
                out.write(' ');
                out.flush();
                Thread.sleep(200);
            }
        }, stop);
        HttpServer stall = serve((out, st) -> {
            out.write('{');
            out.flush();
            while (!st.get()) Thread.sleep(50);
        }, stop);
        try {
            // a 2-minute call scaled to 2.4 s; a 1 s stall timeout
            var timeouts = new PiCryptClient.Timeouts(Duration.ofSeconds(1), 0.02);
            long t0 = System.nanoTime();
            ClientException e = assertThrows(ClientException.class, () -> new PiCryptClient(url(trickle), "ks", "t", timeouts).list());
            double s1 = (System.nanoTime() - t0) / 1e9;
            assertTrue(e.getMessage().contains("did not answer in time"), e.getMessage());
            assertTrue(s1 < 10, "trickle ended after " + s1 + " s");
            t0 = System.nanoTime();
            e = assertThrows(ClientException.class, () -> new PiCryptClient(url(stall), "ks", "t", timeouts).list());
            double s2 = (System.nanoTime() - t0) / 1e9;
            assertTrue(e.getMessage().contains("stopped sending"), e.getMessage());
            assertTrue(s2 < 10, "stall ended after " + s2 + " s");

            // an interrupt (what Ctrl-C's shutdown does to a worker) ends a call that would wait for minutes
            PiCryptClient patient = new PiCryptClient(url(trickle), "ks", "t");
            Thread caller = Thread.currentThread();
            Thread interrupter = new Thread(() -> {
                try {
                    Thread.sleep(500);
                } catch (InterruptedException ignored) {
                    return;
                }
                caller.interrupt();
            });
            interrupter.start();
            t0 = System.nanoTime();
            e = assertThrows(ClientException.class, patient::list);
            assertTrue(Thread.interrupted(), "the interrupt status is kept");
            assertEquals("interrupted", e.getMessage());
            assertTrue((System.nanoTime() - t0) / 1e9 < 5);
        } finally {
            stop.set(true);
            trickle.stop(0);
            stall.stop(0);
        }
    }

    @Test
    void serverTextIsEscapedOnTheTerminal() throws Exception {
        assertEquals("a\\e[2Jb\\u{0007}c\\u{202E}d\\n", Terminal.safe("a\u001b[2Jb\u0007c\u202Ed\n"));
        assertEquals("José 李 \uD83D\uDE00\tok", Terminal.safe("José 李 \uD83D\uDE00\tok"), "letters, emoji and tab pass");
        // a hostile server: a name and an error message with escape sequences
        HttpServer s = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        s.createContext("/", ex -> {
            byte[] b;
            int status;
            if (ex.getRequestURI().getPath().endsWith("/identities")) {
                status = 200;
                b = "{\"identities\":[{\"name\":\"\\u001b]0;pwned\\u0007evil\\u001b[31m\",\"templates\":1,\"updated\":\"2020-01-01T00:00:00Z\"}]}".getBytes();
            } else if (ex.getRequestURI().getPath().endsWith("/gallery")) {
                status = 403;
                b = "{\"error\":\"x\",\"message\":\"\\u001b[2Jgone\"}".getBytes();
            } else {
                status = 404;
                b = "{}".getBytes();
            }
            ex.sendResponseHeaders(status, b.length);
            ex.getResponseBody().write(b);
            ex.close();
        });
        s.start();
        try {
            Path keys = tmp.resolve("keys");
            new KeyDirectory(keys).writeConfig(new ClientConfig(url(s), "ks_x", "tok", "p"));
            ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
            PrintStream o = System.out, e = System.err;
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int code;
            try {
                code = Main.run("list", "--keys", keys.toString());
            } finally {
                System.setOut(o);
                System.setErr(e);
            }
            String all = out.toString(StandardCharsets.UTF_8) + err.toString(StandardCharsets.UTF_8);
            assertFalse(all.contains("\u001b") || all.contains("\u0007"), "no raw control character reaches the terminal: " + all);
            assertTrue(all.contains("\\e]0;pwned\\u{0007}evil\\e[31m"), all);
            assertTrue(all.contains("\\e[2Jgone"), all);
            assertEquals(2, code);
        } finally {
            s.stop(0);
        }
    }

    @Test
    void aKeyDirectoryOthersCanWriteIsRefused() throws Exception {
        Path keys = tmp.resolve("loose");
        KeyDirectory dir = new KeyDirectory(keys);
        dir.writeConfig(new ClientConfig(URI.create("http://127.0.0.1:1"), "ks_x", "tok", "p"));
        assertEquals("ks_x", dir.readConfig().keyset());
        Files.setPosixFilePermissions(keys, PosixFilePermissions.fromString("rwxrwxrwx"));
        ClientException e = assertThrows(ClientException.class, dir::readConfig);
        assertTrue(e.getMessage().contains("writable by other users") && e.getMessage().contains("chmod 700"), e.getMessage());
        assertThrows(ClientException.class, () -> dir.writeConfig(new ClientConfig(URI.create("http://127.0.0.1:1"), "ks_y", "tok", "p")));
        Files.setPosixFilePermissions(keys, PosixFilePermissions.fromString("rwxr-x---"));
        assertEquals("ks_x", dir.readConfig().keyset(), "group-readable is fine: the files themselves are 0600");
    }
}
