package io.picrypt.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.picrypt.client.ClientException;
import io.picrypt.client.KeysetSetup;
import io.picrypt.client.PiCryptClient;
import io.picrypt.match.MatchKeyOwner;
import io.picrypt.match.SyntheticEmbeddings;
import io.picrypt.cli.bench.Stats;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code picrypt bench load}: N concurrent verifiers for a fixed time against a server (a loopback one by
 * default), optionally while M connections trickle request bodies at one byte per second; reports requests,
 * errors, verify latency percentiles and the slowest /v1/health answer seen meanwhile.
 */
@Command(name = "load", mixinStandardHelpOptions = true,
        description = {"Concurrent 1:1 verifiers for a fixed time (default 50 clients, 60 s) against a loopback server or --server URL;",
                "--slow N adds N connections that send request bodies at 1 byte/s. Latencies are client-side round trips."})
final class BenchLoadCommand implements java.util.concurrent.Callable<Integer> {
    @Option(names = "--clients", defaultValue = "50", description = "concurrent verifiers (default ${DEFAULT-VALUE})")
    int clients;

    @Option(names = "--seconds", defaultValue = "60", description = "duration (default ${DEFAULT-VALUE})")
    int seconds;

    @Option(names = "--identities", defaultValue = "20", description = "enrolled identities verified against (default ${DEFAULT-VALUE})")
    int identities;

    @Option(names = "--slow", defaultValue = "0", description = "connections trickling request bodies at 1 byte/s during the run")
    int slow;

    @Option(names = "--server", paramLabel = "URL", description = "a running server (open registration); default: a loopback server in this JVM")
    URI server;

    @Option(names = "--json", description = "print one JSON object")
    boolean json;

    @Override
    public Integer call() throws Exception {
        if (clients < 1 || seconds < 1 || identities < 1 || slow < 0) throw new IllegalArgumentException("counts must be positive");
        System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        if (server != null) return run(server);
        try (EmbeddedServer local = EmbeddedServer.start("picrypt-load")) {
            return run(local.url());
        }
    }

    private int run(URI url) throws Exception {
        KeysetSetup.Keys keys = KeysetSetup.create(url, null, false);
        PiCryptClient.Keyset ks = keys.keyset();
        PiCryptClient http = keys.http();
        MatchKeyOwner crypto = new MatchKeyOwner(keys.secretKey());
        Random rnd = new Random(7);
        List<float[]> people = new ArrayList<>();
        for (int i = 0; i < identities; i++) {
            float[] v = SyntheticEmbeddings.unit(rnd);
            people.add(v);
            http.enroll("p" + i, crypto.encryptTemplate(v), true);
        }
        // probes are encrypted before the clock starts: the run measures the server, not client encryption
        List<byte[]> probes = new ArrayList<>();
        for (int i = 0; i < identities; i++) probes.add(crypto.encryptProbe(people.get(i)));

        AtomicBoolean stop = new AtomicBoolean();
        List<Socket> attackers = new ArrayList<>();
        for (int i = 0; i < slow; i++) {
            Socket s = new Socket(url.getHost(), url.getPort());
            s.getOutputStream().write(("PUT /v1/keysets/" + ks.id() + "/identities/slow HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + ks.token()
                    + "\r\nContent-Type: application/octet-stream\r\nContent-Length: 100000\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            attackers.add(s);
        }
        Thread trickle = new Thread(() -> {
            while (!stop.get()) {
                for (Socket s : attackers) {
                    try {
                        OutputStream o = s.getOutputStream();
                        o.write('x');
                        o.flush();
                    } catch (Exception e) {
                        // cut off by the server: that is the point
                    }
                }
                try {
                    Thread.sleep(1000);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        trickle.setDaemon(true);
        trickle.start();

        List<Double> latencies = new CopyOnWriteArrayList<>();
        AtomicLong errors = new AtomicLong();
        List<String> errorKinds = new CopyOnWriteArrayList<>();
        long end = System.nanoTime() + seconds * 1_000_000_000L;
        List<Thread> workers = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            int me = c;
            Thread t = new Thread(() -> {
                PiCryptClient mine = new PiCryptClient(http.server(), ks.id(), ks.token());
                int i = me;
                while (System.nanoTime() < end) {
                    int who = i++ % identities;
                    long t0 = System.nanoTime();
                    try {
                        mine.verify("p" + who, probes.get(who));
                        latencies.add((System.nanoTime() - t0) / 1e6);
                    } catch (ClientException e) {
                        errors.incrementAndGet();
                        if (errorKinds.size() < 5) errorKinds.add(e.getMessage());
                    }
                }
            });
            t.start();
            workers.add(t);
        }
        PiCryptClient prober = new PiCryptClient(url, ks.id(), ks.token());
        double worstHealth = 0;
        int healthChecks = 0;
        while (System.nanoTime() < end) {
            long t0 = System.nanoTime();
            boolean ok = prober.healthy(); // one client, reused: the time is the round trip, not client set-up
            double ms = (System.nanoTime() - t0) / 1e6;
            if (!ok) ms = Double.POSITIVE_INFINITY;
            worstHealth = Math.max(worstHealth, ms);
            healthChecks++;
            Thread.sleep(500);
        }
        for (Thread t : workers) t.join();
        stop.set(true);
        for (Socket s : attackers) s.close();

        List<Double> sorted = new ArrayList<>(latencies);
        Collections.sort(sorted);
        double p50 = Stats.percentile(sorted, 0.50), p99 = Stats.percentile(sorted, 0.99);
        if (json) {
            var o = new ObjectMapper().createObjectNode().put("clients", clients).put("seconds", seconds).put("slow_connections", slow)
                    .put("requests", sorted.size()).put("errors", errors.get()).put("p50_ms", p50).put("p99_ms", p99)
                    .put("health_checks", healthChecks).put("worst_health_ms", worstHealth);
            System.out.println(o);
        } else {
            System.out.printf(Locale.ROOT, "%d clients, %d s%s: %,d verifies, %d errors, p50 %.0f ms, p99 %.0f ms; health worst %.0f ms over %d checks%n",
                    clients, seconds, slow > 0 ? ", " + slow + " slow-body connections" : "", sorted.size(), errors.get(), p50, p99, worstHealth, healthChecks);
            for (String e : errorKinds) System.out.println("  error: " + Terminal.safe(e));
        }
        return errors.get() == 0 ? 0 : 1;
    }
}
