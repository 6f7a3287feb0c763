package io.picrypt.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.picrypt.ckks.SecretKey;
import io.picrypt.client.MatchSession;
import io.picrypt.client.KeysetSetup;
import io.picrypt.client.PiCryptClient;
import io.picrypt.cli.bench.Stats;
import io.picrypt.face.FaceModels;
import io.picrypt.match.GalleryKeyOwner;
import io.picrypt.match.GalleryParameters;
import io.picrypt.match.SyntheticEmbeddings;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

/**
 * {@code picrypt bench cluster}: K real {@code picrypt server --cluster} processes on free loopback ports with one
 * PostgreSQL, M synthetic identities imported in bulk, identifies sent to each member in turn. Reports identify latency,
 * each member's compute time and blocks held (balance), the payload bytes between members per identify (the probe to
 * each other member and its partial answer back, counted by the member that merged), the merge overhead and each
 * member's heap. Times are wall-clock on this machine; on a shared machine they include other load.
 */
@Command(name = "cluster", mixinStandardHelpOptions = true,
        description = {"Start K cluster members (separate processes) on one PostgreSQL, import M synthetic identities, identify",
                "on each member in turn; report latency, per-member compute and blocks (balance), bytes between members,",
                "merge overhead and heap per member. Needs --store jdbc:postgresql://... (or $PICRYPT_STORE_URL)."})
public final class BenchClusterCommand implements Callable<Integer> {
    @Option(names = "--members", defaultValue = "3", description = "cluster members K (default ${DEFAULT-VALUE})")
    int members;

    @Option(names = "--identities", defaultValue = "100000", description = "synthetic identities M (default ${DEFAULT-VALUE})")
    int identities;

    @Option(names = "--store", paramLabel = "JDBC-URL", defaultValue = "${env:PICRYPT_STORE_URL}",
            description = "the PostgreSQL the members share (default: $PICRYPT_STORE_URL); the bench's keyset is deleted at the end")
    String store;

    @Option(names = "--runs", defaultValue = "6", description = "timed identifies, spread over the members in turn (default ${DEFAULT-VALUE})")
    int runs;

    @Option(names = "--heap", defaultValue = "1500m", description = "maximum heap of each member process, -Xmx (default ${DEFAULT-VALUE}); a member holds"
            + " ~35 MB per block of " + GalleryParameters.BLOCK_CAPACITY + " identities / K (parsed block, its entry, a backup: docs/BENCHMARKS.md),"
            + " e.g. 1800m for 300,000 on 3")
    String heap;

    @Option(names = "--seed", defaultValue = "1", description = "random seed of the synthetic embeddings")
    long seed;

    @Mixin
    JsonOutput output;

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * The JDK internals Hazelcast asks for (its start-up warning lists them; the launcher {@code picrypt} passes the same
     * to {@code server}): without them every member prints a "Java modular environment" warning and Hazelcast uses
     * slower fallbacks for its NIO and memory statistics.
     */
    public static final List<String> HAZELCAST_JVM_OPTIONS = List.of("--add-modules", "java.se",
            "--add-exports", "java.base/jdk.internal.ref=ALL-UNNAMED", "--add-opens", "java.base/java.lang=ALL-UNNAMED",
            "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED", "--add-opens", "java.management/sun.management=ALL-UNNAMED",
            "--add-opens", "jdk.management/com.sun.management.internal=ALL-UNNAMED");

    @Override
    public Integer call() throws Exception {
        if (store == null || store.isBlank() || !store.startsWith("jdbc:postgresql:")) {
            throw new IllegalArgumentException("bench cluster needs the PostgreSQL its members share: --store jdbc:postgresql://host:5432/db?user=...&password=..."
                    + " (or $PICRYPT_STORE_URL); a cluster does not run on SQLite");
        }
        if (members < 1 || members > 16) throw new IllegalArgumentException("--members must be 1..16");
        if (identities < 1 || runs < 1) throw new IllegalArgumentException("--identities and --runs must be >= 1");
        if (!heap.matches("[1-9][0-9]*[mMgG]")) throw new IllegalArgumentException("--heap is a size like 1500m or 2g");
        System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        int blocksNeeded = (identities + GalleryParameters.BLOCK_CAPACITY - 1) / GalleryParameters.BLOCK_CAPACITY;
        String limits = "maxGalleryBlocks=" + (blocksNeeded + 1) + ",maxStoredBytes=" + Math.max(4L << 30, (long) blocksNeeded * (16L << 20))
                + ",keysetsPerWindow=1000";
        String cluster = "picrypt-bench-" + Long.toHexString(new Random().nextLong());
        int[] http = new int[members], hz = new int[members];
        for (int i = 0; i < members; i++) {
            http[i] = freePort();
            hz[i] = freePort();
        }
        List<String> addresses = new ArrayList<>();
        for (int p : hz) addresses.add("127.0.0.1:" + p);
        Path logs = Files.createTempDirectory("picrypt-bench-cluster");
        List<Process> procs = new ArrayList<>();
        List<URI> urls = new ArrayList<>();
        PiCryptClient admin = null;
        try {
            long tStart = System.nanoTime();
            for (int i = 0; i < members; i++) {
                List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx" + heap));
                cmd.addAll(HAZELCAST_JVM_OPTIONS);
                cmd.addAll(List.of("io.picrypt.cli.Main", "server", "--port", Integer.toString(http[i]), "--store", store,
                        "--limits", limits, "--cluster", cluster, "--cluster-members", String.join(",", addresses),
                        "--cluster-port", Integer.toString(hz[i])));
                ProcessBuilder pb = new ProcessBuilder(cmd);
                pb.environment().put("CLASSPATH", System.getProperty("java.class.path"));
                pb.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(logs.resolve("member-" + i + ".log").toFile()));
                procs.add(pb.start());
                urls.add(URI.create("http://127.0.0.1:" + http[i]));
            }
            for (int i = 0; i < members; i++) awaitHealthy(procs.get(i), urls.get(i), logs.resolve("member-" + i + ".log"));
            double startS = (System.nanoTime() - tStart) / 1e9;
            say(String.format(Locale.ROOT, "%d members up in %.1f s (logs in %s)", members, startS, logs));

            Random rnd = new Random(seed);
            KeysetSetup.Keys keys = KeysetSetup.create(urls.get(0), null, true);
            SecretKey sk = keys.secretKey(), gsk = keys.gallerySecretKey();
            PiCryptClient.Keyset ks = keys.keyset();
            admin = keys.http();
            // the fixed part of each member's work: expanding the probe once (measured here, in this process, wall and CPU)
            List<Double> expandMs = new ArrayList<>(), expandCpuMs = new ArrayList<>();
            {
                io.picrypt.match.GalleryEvaluator local = new io.picrypt.match.GalleryEvaluator(new GalleryKeyOwner(gsk).evaluationKeys());
                byte[] p = new GalleryKeyOwner(gsk).encryptProbe(SyntheticEmbeddings.unit(new Random(seed + 1), GalleryParameters.DIMENSION));
                for (int i = 0; i < 4; i++) {
                    long c0 = io.picrypt.server.ClusterGalleryService.processCpuNanos(), w0 = System.nanoTime();
                    local.expandProbe(p);
                    if (i > 0) { // the first warms the JIT
                        expandMs.add((System.nanoTime() - w0) / 1e6);
                        expandCpuMs.add((io.picrypt.server.ClusterGalleryService.processCpuNanos() - c0) / 1e6);
                    }
                }
            }
            MatchSession importer = keys.session(admin, null, FaceModels.DEFAULT_THRESHOLD);
            List<String> names = new ArrayList<>(identities);
            List<float[]> people = new ArrayList<>(identities);
            for (int i = 0; i < identities; i++) {
                names.add(String.format(Locale.ROOT, "id%07d", i));
                people.add(SyntheticEmbeddings.unit(rnd));
            }
            String loadBeforeImport = Stats.loadAverage();
            long t0 = System.nanoTime();
            long importBytes = importer.importGallery(names, people, done -> {
                if (!output.json && done % (GalleryParameters.BLOCK_CAPACITY * 10) == 0) System.err.printf(Locale.ROOT, "  imported %,d%n", done);
            });
            double importS = (System.nanoTime() - t0) / 1e9;
            say(String.format(Locale.ROOT, "imported %,d identities (%,d blocks, %,d B) through member 0 in %.1f s", identities, blocksNeeded, importBytes, importS));

            // one warm-up identify per member (loads the evaluation keys and parses its blocks), then the timed runs
            List<MatchSession> sessions = new ArrayList<>();
            for (URI u : urls) sessions.add(new MatchSession(new PiCryptClient(u, ks.id(), ks.token()), sk, gsk, io.picrypt.match.GalleryProjection.synthetic(1), null, FaceModels.DEFAULT_THRESHOLD));
            List<Double> warm = new ArrayList<>();
            for (MatchSession s : sessions) warm.add(timed(s, people, rnd, identities).clientMs);
            String loadBeforeRuns = Stats.loadAverage();
            List<Run> timed = new ArrayList<>();
            for (int r = 0; r < runs; r++) {
                int m = r % members;
                Run run = timed(sessions.get(m), people, rnd, identities);
                run.member = m;
                run.cluster = clusterStats(urls.get(m), ks, false).path("last_identify");
                timed.add(run);
                say(String.format(Locale.ROOT, "identify %d on member %d: %.0f ms (server %.0f ms), %s", r, m, run.clientMs, run.serverMs,
                        run.correct ? "top match correct" : "TOP MATCH WRONG"));
            }
            String loadAfterRuns = Stats.loadAverage();
            JsonNode finalStats = clusterStats(urls.get(0), ks, true);

            ObjectNode o = JSON.createObjectNode();
            o.put("members", members).put("identities", identities).put("blocks", blocksNeeded).put("runs", runs)
                    .put("member_heap_max", heap).put("cores", Runtime.getRuntime().availableProcessors())
                    .put("startup_s", startS).put("import_s", importS).put("import_bytes", importBytes)
                    .put("load_average_before_import", loadBeforeImport).put("load_average_before_runs", loadBeforeRuns)
                    .put("load_average_after_runs", loadAfterRuns);
            o.set("warmup_client_ms", JSON.valueToTree(warm));
            o.set("identify_client_ms", stats(timed.stream().map(x -> x.clientMs).toList()));
            o.set("identify_server_ms", stats(timed.stream().map(x -> x.serverMs).toList()));
            List<Double> merge = new ArrayList<>(), coordination = new ArrayList<>(), perBlock = new ArrayList<>(), net = new ArrayList<>();
            List<Double> maxPart = new ArrayList<>(), perBlockCpu = new ArrayList<>(), memberCpu = new ArrayList<>();
            double expandCpu = Stats.median(expandCpuMs);
            ArrayNode runsOut = o.putArray("timed");
            for (Run r : timed) {
                ObjectNode ro = runsOut.addObject().put("member", r.member).put("client_ms", r.clientMs).put("server_ms", r.serverMs)
                        .put("correct", r.correct);
                ro.set("cluster", r.cluster);
                double max = 0;
                for (JsonNode p : r.cluster.path("parts")) {
                    double ms = p.path("compute_ms").asDouble();
                    max = Math.max(max, ms);
                    if (p.path("blocks").asInt() > 0) {
                        perBlock.add(ms / p.path("blocks").asInt());
                        double cpu = p.path("cpu_ms").asDouble();
                        memberCpu.add(cpu);
                        perBlockCpu.add((cpu - expandCpu) / p.path("blocks").asInt());
                    }
                }
                maxPart.add(max);
                merge.add(r.cluster.path("merge_ms").asDouble());
                coordination.add(r.cluster.path("total_ms").asDouble() - max);
                net.add(r.cluster.path("network_payload_bytes").asDouble());
            }
            // each member's own part over the runs: blocks it computed, CPU and wall of its part
            java.util.Map<String, List<Double>> cpuBy = new java.util.TreeMap<>(), wallBy = new java.util.TreeMap<>();
            java.util.Map<String, Integer> blocksBy = new java.util.TreeMap<>();
            for (Run r : timed) {
                for (JsonNode p : r.cluster.path("parts")) {
                    String m = p.path("member").asText();
                    cpuBy.computeIfAbsent(m, k -> new ArrayList<>()).add(p.path("cpu_ms").asDouble());
                    wallBy.computeIfAbsent(m, k -> new ArrayList<>()).add(p.path("compute_ms").asDouble());
                    blocksBy.put(m, p.path("blocks").asInt());
                }
            }
            ArrayNode perMember = o.putArray("per_member_part");
            for (String m : cpuBy.keySet()) {
                ObjectNode pm = perMember.addObject().put("member", m).put("blocks", blocksBy.get(m));
                pm.set("cpu_ms", stats(cpuBy.get(m)));
                pm.set("wall_ms", stats(wallBy.get(m)));
            }
            o.set("slowest_member_compute_ms", stats(maxPart));
            o.set("compute_ms_per_block", stats(perBlock));
            o.set("probe_expansion_ms", stats(expandMs));
            o.set("probe_expansion_cpu_ms", stats(expandCpuMs));
            o.set("member_cpu_ms", stats(memberCpu));
            o.set("cpu_ms_per_block_after_expansion", stats(perBlockCpu));
            o.set("merge_ms", stats(merge));
            o.set("coordination_ms", stats(coordination));
            o.set("network_payload_bytes_per_identify", stats(net));
            o.set("member_stats", finalStats.path("member_stats"));
            List<Integer> owned = new ArrayList<>();
            for (JsonNode m : finalStats.path("member_stats")) owned.add(m.path("blocks_owned").asInt());
            double mean = (double) blocksNeeded / members;
            double spread = owned.isEmpty() ? Double.NaN : Math.max(Collections.max(owned) - mean, mean - Collections.min(owned)) / mean;
            o.set("blocks_owned", JSON.valueToTree(owned));
            o.put("balance_max_deviation", spread);
            boolean allCorrect = timed.stream().allMatch(x -> x.correct);
            o.put("top_match_correct", allCorrect);
            if (output.json) {
                System.out.println(o.toString());
            } else {
                System.out.printf(Locale.ROOT, "%d members, %,d identities in %d blocks, member heap -Xmx%s, %d cores%n", members, identities, blocksNeeded,
                        heap, Runtime.getRuntime().availableProcessors());
                System.out.printf(Locale.ROOT, "identify (client: encrypt + round trip + decrypt): median %.0f ms, min %.0f, max %.0f over %d runs%n",
                        Stats.median(timed.stream().map(x -> x.clientMs).toList()), Stats.min(timed.stream().map(x -> x.clientMs).toList()),
                        Stats.max(timed.stream().map(x -> x.clientMs).toList()), runs);
                System.out.printf(Locale.ROOT, "slowest member's compute median %.0f ms; per block %.1f ms median; merge %.1f ms; coordination %.0f ms%n",
                        Stats.median(maxPart), Stats.median(perBlock), Stats.median(merge), Stats.median(coordination));
                System.out.printf(Locale.ROOT, "CPU: member part median %.0f ms; probe expansion %.0f ms CPU (%.0f ms wall, here); per block after expansion %.1f ms CPU median (min %.1f, max %.1f)%n",
                        Stats.median(memberCpu), expandCpu, Stats.median(expandMs), Stats.median(perBlockCpu), Stats.min(perBlockCpu), Stats.max(perBlockCpu));
                for (JsonNode pm : perMember) {
                    System.out.printf(Locale.ROOT, "  member %s part: %d blocks, CPU median %.0f ms (min %.0f, max %.0f), wall median %.0f ms%n",
                            pm.path("member").asText(), pm.path("blocks").asInt(), pm.path("cpu_ms").path("median").asDouble(),
                            pm.path("cpu_ms").path("min").asDouble(), pm.path("cpu_ms").path("max").asDouble(), pm.path("wall_ms").path("median").asDouble());
                }
                System.out.printf(Locale.ROOT, "load average (1, 5, 15 min): before import %s, before the timed runs %s, after %s%n",
                        loadBeforeImport, loadBeforeRuns, loadAfterRuns);
                System.out.printf(Locale.ROOT, "between members per identify: %,.0f B payload (probe to %d other members + their partial answers)%n",
                        Stats.median(net), members - 1);
                System.out.printf(Locale.ROOT, "blocks owned per member %s (max deviation from the mean %.0f%%)%n", owned, spread * 100);
                for (JsonNode m : finalStats.path("member_stats")) {
                    System.out.printf(Locale.ROOT, "  member %s: %d blocks, owned entries %,d B, backups %,d B, heap used %,d B of %,d%n",
                            m.path("address").asText(), m.path("blocks_owned").asInt(), m.path("owned_entry_bytes").asLong(),
                            m.path("backup_entry_bytes").asLong(), m.path("heap_used_bytes").asLong(), m.path("heap_max_bytes").asLong());
                }
                System.out.println("top match correct in every run: " + allCorrect);
            }
            try {
                admin.deleteKeyset();
            } catch (RuntimeException e) {
                System.err.println("warning: could not delete the bench keyset " + ks.id() + ": " + e.getMessage());
            }
            return allCorrect ? 0 : Main.EXIT_ERROR;
        } finally {
            for (Process p : procs) p.destroy();
            for (Process p : procs) {
                if (!p.waitFor(30, TimeUnit.SECONDS)) p.destroyForcibly();
            }
        }
    }

    private static final class Run {
        double clientMs, serverMs;
        boolean correct;
        int member;
        JsonNode cluster;
    }

    private static Run timed(MatchSession s, List<float[]> people, Random rnd, int n) {
        int target = rnd.nextInt(n);
        float[] probe = SyntheticEmbeddings.near(people.get(target), 0.6, rnd);
        MatchSession.Identification id = s.identifyEmbedding(probe, 1);
        Run r = new Run();
        r.clientMs = id.trace().encryptMs() + id.trace().serverMs() + id.trace().decryptMs();
        r.serverMs = id.trace().computeMs();
        r.correct = id.identities() == n && id.match() != null && id.match().name().equals(String.format(Locale.ROOT, "id%07d", target));
        return r;
    }

    private static JsonNode clusterStats(URI member, PiCryptClient.Keyset ks, boolean gc) throws IOException, InterruptedException {
        HttpRequest req = HttpRequest.newBuilder(member.resolve("/v1/keysets/" + ks.id() + "/gallery?cluster=true" + (gc ? "&gc=true" : "")))
                .header("Authorization", "Bearer " + ks.token()).timeout(Duration.ofMinutes(5)).GET().build();
        HttpResponse<String> r = HttpClient.newHttpClient().send(req, HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) throw new IllegalStateException("cluster statistics: HTTP " + r.statusCode() + " " + r.body());
        return JSON.readTree(r.body()).path("cluster");
    }

    private static void awaitHealthy(Process p, URI url, Path log) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(240);
        while (!PiCryptClient.healthy(url)) {
            if (!p.isAlive()) throw new IllegalStateException("a member exited at start: see " + log);
            if (System.nanoTime() > deadline) throw new IllegalStateException("a member did not start within 240 s: see " + log);
            Thread.sleep(250);
        }
    }


    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private void say(String line) {
        if (!output.json) System.out.println(line);
    }

    private static ObjectNode stats(List<Double> xs) {
        return JSON.createObjectNode().put("median", Stats.median(xs)).put("min", Stats.min(xs)).put("max", Stats.max(xs));
    }

}
