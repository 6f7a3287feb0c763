package io.picrypt.server;

import io.picrypt.ckks.SecretKey;
import io.picrypt.cli.Main;
import io.picrypt.client.ClientException;
import io.picrypt.client.MatchSession;
import io.picrypt.client.PiCryptClient;
import io.picrypt.face.FacePipeline;
import io.picrypt.face.SampleFaces;
import io.picrypt.match.MatchKeyOwner;
import io.picrypt.match.MatchParameters;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.*;

/**
 * End to end against a real server process: the CLI flow on sample photos, persistence across a restart,
 * and kill -9 during a stream of enrollments (nothing acknowledged is lost, nothing half-written appears).
 */
class ServerProcessTest {
    static final Path MODELS = Path.of(System.getProperty("picrypt.models", "models"));

    @TempDir
    Path tmp;

    /** A server in its own JVM, as users run it. */
    static final class ServerProcess implements AutoCloseable {
        final Process process;
        final URI url;

        ServerProcess(Path data, int port, Path log, String... extra) throws Exception {
            List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Xmx1g", "io.picrypt.cli.Main", "server", "--port", Integer.toString(port), "--data", data.toString()));
            cmd.addAll(List.of(extra));
            ProcessBuilder pb = new ProcessBuilder(cmd);
            // CLASSPATH, not -cp: see ARCHITECTURE.md (long command lines crash ONNX Runtime; harmless here, but uniform)
            pb.environment().put("CLASSPATH", System.getProperty("java.class.path"));
            pb.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
            process = pb.start();
            url = URI.create("http://127.0.0.1:" + port);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!PiCryptClient.healthy(url)) {
                if (!process.isAlive()) fail("server exited: " + Files.readString(log));
                if (System.nanoTime() > deadline) fail("server did not start: " + Files.readString(log));
                Thread.sleep(100);
            }
        }

        void kill9() throws InterruptedException {
            process.destroyForcibly(); // SIGKILL on Linux: no shutdown hooks, no flush
            process.waitFor(30, TimeUnit.SECONDS);
        }

        @Override
        public void close() throws InterruptedException {
            process.destroy();
            if (!process.waitFor(30, TimeUnit.SECONDS)) kill9();
        }
    }

    static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    static Object[] cli(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        PrintStream o = System.out, e = System.err;
        System.setOut(new PrintStream(out, true));
        System.setErr(new PrintStream(err, true));
        try {
            int code = Main.run(args);
            return new Object[]{code, out.toString(), err.toString()};
        } finally {
            System.setOut(o);
            System.setErr(e);
        }
    }

    @Test
    void cliFlowOnPhotosSurvivesARestart() throws Exception {
        Path data = tmp.resolve("data"), keys = tmp.resolve("keys"), log = tmp.resolve("server.log");
        int port = freePort();
        List<SampleFaces.Sample> samples;
        try (FacePipeline p = FacePipeline.open(MODELS)) {
            samples = SampleFaces.crops(p, MODELS.resolve("samples"));
        }
        assertTrue(samples.size() >= 4);
        List<Path> photos = new ArrayList<>();
        for (SampleFaces.Sample s : samples) {
            Path f = tmp.resolve(s.id() + ".png");
            Files.write(f, s.png());
            photos.add(f);
        }
        Path genuine = tmp.resolve("genuine.png");
        Files.write(genuine, new SampleFaces.Variation(true, 4, 0.9, 10).apply(samples.get(0).png()));
        String k = keys.toString();
        try (ServerProcess server = new ServerProcess(data, port, log)) {
            Object[] r = cli("keys", "init", "--keys", k, "--server", server.url.toString());
            assertEquals(0, r[0], (String) r[2]);
            assertTrue(((String) r[1]).contains("keyset:"));
            for (int i = 0; i < 4; i++) {
                r = cli("enroll", "--keys", k, "--models", MODELS.toString(), "--name", "person" + i, photos.get(i).toString());
                assertEquals(0, r[0], (String) r[2]);
            }
            r = cli("verify", "--keys", k, "--models", MODELS.toString(), "--name", "person0", genuine.toString());
            assertEquals(0, r[0], r[1] + " " + r[2]);
            assertTrue(((String) r[1]).contains("MATCH"));
            r = cli("verify", "--keys", k, "--models", MODELS.toString(), "--name", "person1", genuine.toString());
            assertEquals(1, r[0], "impostor: " + r[1] + r[2]);
            r = cli("identify", "--keys", k, "--models", MODELS.toString(), genuine.toString());
            assertEquals(0, r[0], (String) r[2]);
            assertTrue(((String) r[1]).startsWith("identified: person0"), (String) r[1]);
            r = cli("delete", "--keys", k, "--name", "person3");
            assertEquals(0, r[0]);
            r = cli("verify", "--keys", k, "--models", MODELS.toString(), "--name", "person3", genuine.toString());
            assertEquals(2, r[0]);
            assertTrue(((String) r[2]).contains("no identity named"), (String) r[2]);
        }
        // the server is down: a clear message, exit 2
        Object[] down = cli("list", "--keys", k);
        assertEquals(2, down[0]);
        assertTrue(((String) down[2]).contains("cannot reach the PiCrypt server"), (String) down[2]);
        try (ServerProcess server = new ServerProcess(data, port, log)) {
            Object[] r = cli("list", "--keys", k);
            assertEquals(0, r[0]);
            assertTrue(((String) r[1]).contains("3 identities"), (String) r[1]);
            r = cli("verify", "--keys", k, "--models", MODELS.toString(), "--name", "person0", genuine.toString());
            assertEquals(0, r[0], "after restart: " + r[1] + r[2]);
        }
    }

    @Test
    void killDashNineDuringEnrollmentLosesNothingAcknowledged() throws Exception {
        Path data = tmp.resolve("data"), log = tmp.resolve("server.log");
        int port = freePort();
        SecretKey sk = MatchKeyOwner.generateSecretKey();
        MatchKeyOwner crypto = new MatchKeyOwner(sk);
        Random r = new Random(99);
        List<float[]> vectors = new ArrayList<>();
        for (int i = 0; i < 400; i++) vectors.add(io.picrypt.match.SyntheticEmbeddings.unit(r));
        List<byte[]> templates = vectors.stream().map(crypto::encryptTemplate).toList();
        List<Integer> acknowledged = new CopyOnWriteArrayList<>();
        PiCryptClient.Keyset ks;
        try (ServerProcess server = new ServerProcess(data, port, log)) {
            ks = PiCryptClient.createKeyset(server.url, MatchParameters.get().fingerprintHex());
            PiCryptClient http = new PiCryptClient(server.url, ks.id(), ks.token());
            AtomicBoolean stop = new AtomicBoolean();
            List<Thread> writers = new ArrayList<>();
            for (int w = 0; w < 3; w++) {
                int first = w;
                Thread t = new Thread(() -> {
                    for (int i = first; i < templates.size() && !stop.get(); i += 3) {
                        try {
                            http.enroll("id" + i, templates.get(i), true);
                            acknowledged.add(i);
                        } catch (ClientException e) {
                            return; // the server died under us: this one was not acknowledged
                        }
                    }
                });
                t.start();
                writers.add(t);
            }
            while (acknowledged.size() < 40) Thread.sleep(5);
            server.kill9();
            stop.set(true);
            for (Thread t : writers) t.join(30_000);
        }
        assertTrue(acknowledged.size() < templates.size(), "the kill happened mid-stream");
        try (ServerProcess server = new ServerProcess(data, port, log)) {
            PiCryptClient http = new PiCryptClient(server.url, ks.id(), ks.token());
            var names = http.list().stream().map(PiCryptClient.Identity::name).toList();
            for (int i : acknowledged) assertTrue(names.contains("id" + i), "acknowledged id" + i + " survived kill -9");
            assertTrue(names.size() <= acknowledged.size() + 3, "at most the in-flight enrollments are extra");
            System.out.printf("kill -9 durability: %d enrollments acknowledged before the kill, %d stored after restart, 0 acknowledged lost%n",
                    acknowledged.size(), names.size());
            // every stored template is whole: the encrypted distance to its own vector is ~0
            MatchSession s = new MatchSession(http, sk, null, 1.30);
            for (String n : names) {
                int i = Integer.parseInt(n.substring(2));
                MatchSession.Verification v = s.verifyEmbedding(n, vectors.get(i));
                assertEquals(0, v.distance(), 1e-3, n);
            }
        }
    }
}
