package io.picrypt.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.picrypt.cli.bench.Stats;
import io.picrypt.client.KeysetSetup;
import io.picrypt.client.MatchSession;
import io.picrypt.client.PiCryptClient;
import io.picrypt.match.SyntheticEmbeddings;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;

/**
 * {@code picrypt bench import}: the bulk 1:N gallery import of N synthetic identities over HTTP, the way
 * {@code picrypt import} sends photos' embeddings: a fresh keyset with a gallery key, then
 * {@link MatchSession#importGallery(int, java.util.function.IntFunction, java.util.function.IntFunction, java.util.function.Consumer)}
 * (client encryption of block k+1 overlapping the upload of block k) against a running server ({@code --server}, e.g.
 * {@code ./picrypt server}) or, without it, a server started in this process on a temporary SQLite store.
 * Identity i is a random unit vector drawn from {@code seed} and i alone, so any one can be drawn again as a probe.
 */
@Command(name = "import", mixinStandardHelpOptions = true,
        description = {"Bulk-import N synthetic identities into a new keyset's 1:N gallery over HTTP and time it:",
                "wall time, identities/s, client encryption, HTTP exchange and server time per block, bytes sent, memory.",
                "Against --server URL (a running 'picrypt server'; its --limits must allow N/" + io.picrypt.match.GalleryParameters.BLOCK_CAPACITY + " blocks) or a server in this process."})
public final class BenchImportCommand implements Callable<Integer> {
    @Option(names = "--identities", defaultValue = "100000", description = "identities to import (default ${DEFAULT-VALUE})")
    int identities;

    @Option(names = "--server", paramLabel = "URL", description = "a running server, e.g. http://127.0.0.1:4567 (default: one in this process)")
    URI server;

    @Option(names = "--server-pid", paramLabel = "PID", description = "the --server's process id: its resident memory (peak and now) is read from /proc")
    Long serverPid;

    @Option(names = "--limits", paramLabel = "KEY=VALUE,...",
            description = "limits of the server started in this process (default: the defaults with room for N identities)")
    String limits;

    @Option(names = "--identify", description = "after the import, identify one probe (near a random imported identity) and check the answer")
    boolean identify;

    @Option(names = "--seed", defaultValue = "1", description = "random seed of the synthetic embeddings")
    long seed;

    @Mixin
    JsonOutput output;

    @Override
    public Integer call() throws Exception {
        if (identities < 1) throw new IllegalArgumentException("--identities must be >= 1");
        if (serverPid != null && server == null) throw new IllegalArgumentException("--server-pid needs --server");
        if (limits != null && server != null) throw new IllegalArgumentException("--limits is for the server in this process; give it to 'picrypt server'");
        System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        if (server != null) return run(server, null);
        int blocks = (identities + io.picrypt.match.GalleryParameters.BLOCK_CAPACITY - 1) / io.picrypt.match.GalleryParameters.BLOCK_CAPACITY;
        String l = limits != null ? limits : "maxGalleryBlocks=" + (blocks + 1) + ",maxStoredBytes=" + Math.max(4L << 30, (blocks + 1L) * (16L << 20));
        Path dir = Files.createTempDirectory("picrypt-bench-import");
        try (EmbeddedServer embedded = EmbeddedServer.in(dir, io.picrypt.server.Limits.parse(l))) {
            return run(embedded.url(), embedded);
        } finally {
            try (var s = Files.walk(dir)) {
                s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /** Identity i's embedding: drawn from (seed, i) alone. */
    float[] embedding(int i) {
        return SyntheticEmbeddings.unit(new SplittableRandom(seed * 0x9E3779B97F4A7C15L + i));
    }

    static String name(int i) { return "id" + i; }

    private int run(URI url, EmbeddedServer embedded) throws IOException {
        KeysetSetup.Keys keys = KeysetSetup.create(url, System.getenv("PICRYPT_REGISTRATION_TOKEN"), true);
        PiCryptClient http = keys.http();
        MatchSession session = keys.session(http, null, io.picrypt.face.FaceModels.DEFAULT_THRESHOLD);
        List<MatchSession.ImportedBlock> done = new ArrayList<>();
        Runtime rt = Runtime.getRuntime();
        long[] clientHeapPeak = {0};
        var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        long clientCpu0 = os.getProcessCpuTime(), serverCpu0 = serverPid != null ? procCpuMs(serverPid) : 0;
        long t0 = System.nanoTime();
        try {
            session.importGallery(identities, BenchImportCommand::name, this::embedding, b -> {
                done.add(b);
                clientHeapPeak[0] = Math.max(clientHeapPeak[0], rt.totalMemory() - rt.freeMemory());
                if (!output.json && (b.block() % 10 == 9 || b.to() == identities)) {
                    System.err.printf(Locale.ROOT, "  %,d / %,d imported, %.0f s%n", b.to(), identities, (System.nanoTime() - t0) / 1e9);
                }
            });
            double wallS = (System.nanoTime() - t0) / 1e9;
            // CPU seconds, unlike wall time, do not stretch when other processes share the cores
            double clientCpuS = (os.getProcessCpuTime() - clientCpu0) / 1e9;
            double serverCpuS = serverPid != null ? (procCpuMs(serverPid) - serverCpu0) / 1e3 : Double.NaN;
            ObjectNode o = new ObjectMapper().createObjectNode();
            o.put("identities", identities);
            o.put("blocks", done.size());
            o.put("wall_s", Stats.round(wallS, 2));
            o.put("identities_per_s", Math.round(identities / wallS));
            o.put("bytes", done.stream().mapToLong(MatchSession.ImportedBlock::bytes).sum());
            o.put("bytes_per_identity", done.stream().mapToLong(MatchSession.ImportedBlock::bytes).sum() / identities);
            o.set("encrypt_ms_per_block", stats(done.stream().map(MatchSession.ImportedBlock::encryptMs).toList()));
            o.set("exchange_ms_per_block", stats(done.stream().map(MatchSession.ImportedBlock::uploadMs).toList()));
            o.set("server_ms_per_block", stats(done.stream().map(MatchSession.ImportedBlock::serverMs).toList()));
            // does a block cost more as the gallery grows? the server's median over the first and the last tenth of the blocks
            int tenth = Math.max(1, done.size() / 10);
            o.put("server_ms_first_tenth", Stats.round(Stats.median(done.subList(0, tenth).stream().map(MatchSession.ImportedBlock::serverMs).toList()), 1));
            o.put("server_ms_last_tenth", Stats.round(Stats.median(done.subList(done.size() - tenth, done.size()).stream()
                    .map(MatchSession.ImportedBlock::serverMs).toList()), 1));
            o.put("encrypt_s_total", Stats.round(done.stream().mapToDouble(MatchSession.ImportedBlock::encryptMs).sum() / 1e3, 2));
            o.put("exchange_s_total", Stats.round(done.stream().mapToDouble(MatchSession.ImportedBlock::uploadMs).sum() / 1e3, 2));
            o.put("server_s_total", Stats.round(done.stream().mapToDouble(MatchSession.ImportedBlock::serverMs).sum() / 1e3, 2));
            o.put("client_cpu_s", Stats.round(clientCpuS, 1));
            if (serverPid != null) o.put("server_cpu_s", Stats.round(serverCpuS, 1));
            o.put("client_heap_peak_mb", clientHeapPeak[0] >> 20);
            o.put("client_max_heap_mb", rt.maxMemory() >> 20);
            if (serverPid != null) {
                o.put("server_rss_mb", procStatusKb(serverPid, "VmRSS") >> 10);
                o.put("server_rss_peak_mb", procStatusKb(serverPid, "VmHWM") >> 10);
            } else if (embedded != null) {
                o.put("process_rss_peak_mb", procStatusKb(ProcessHandle.current().pid(), "VmHWM") >> 10);
                o.put("stored_bytes", embedded.server().store().galleryBytes(keys.keyset().id()));
            }
            o.put("cores", rt.availableProcessors());
            o.put("load_average", Stats.round(ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage(), 2));
            boolean ok = true;
            if (identify) {
                int target = new SplittableRandom(seed).nextInt(identities);
                float[] probe = SyntheticEmbeddings.near(embedding(target), 0.6, new SplittableRandom(seed + 1));
                if (!output.json) System.err.println("  import done; identifying one probe (the server loads the gallery first) ...");
                long t1 = System.nanoTime();
                try {
                    MatchSession.Identification id = session.identifyEmbedding(probe, 1);
                    o.put("identify_first_s", Stats.round((System.nanoTime() - t1) / 1e9, 2));
                    o.put("identify_server_ms", Stats.round(id.trace().computeMs(), 1));
                    ok = id.match() != null && id.match().name().equals(name(target));
                    o.put("identify_correct", ok);
                } catch (io.picrypt.client.ClientException e) { // the import's figures are still reported
                    o.put("identify_first_s", Stats.round((System.nanoTime() - t1) / 1e9, 2));
                    o.put("identify_error", e.getMessage());
                    ok = false;
                }
                if (serverPid != null) o.put("server_rss_peak_after_identify_mb", procStatusKb(serverPid, "VmHWM") >> 10);
            }
            if (output.json) {
                System.out.println(o);
            } else {
                System.out.printf(Locale.ROOT, "%,d identities in %d blocks: %.1f s (%,d identities/s), %,d bytes (%,d per identity)%n",
                        identities, done.size(), wallS, o.get("identities_per_s").asLong(), o.get("bytes").asLong(), o.get("bytes_per_identity").asLong());
                System.out.printf(Locale.ROOT, "per block (median / max ms): client encryption %s, HTTP exchange %s, server %s%n",
                        mm(o, "encrypt_ms_per_block"), mm(o, "exchange_ms_per_block"), mm(o, "server_ms_per_block"));
                System.out.printf(Locale.ROOT, "server per block, first / last tenth of the blocks (median ms): %.0f / %.0f%n",
                        o.get("server_ms_first_tenth").asDouble(), o.get("server_ms_last_tenth").asDouble());
                System.out.printf(Locale.ROOT, "totals: encryption %.1f s (overlapping the uploads), exchanges %.1f s, server %.1f s%n",
                        o.get("encrypt_s_total").asDouble(), o.get("exchange_s_total").asDouble(), o.get("server_s_total").asDouble());
                System.out.printf(Locale.ROOT, "CPU: client %.1f s%s%n", clientCpuS,
                        serverPid != null ? String.format(Locale.ROOT, ", server %.1f s", serverCpuS) : " (server in this process)");
                System.out.println("memory and machine: " + o.deepCopy().retain("client_heap_peak_mb", "server_rss_mb", "server_rss_peak_mb",
                        "process_rss_peak_mb", "cores", "load_average"));
                if (identify) System.out.println("identify after import: " + o.deepCopy().retain("identify_first_s", "identify_server_ms", "identify_correct", "identify_error",
                        "server_rss_peak_after_identify_mb"));
            }
            return ok ? 0 : Main.EXIT_ERROR;
        } finally {
            if (embedded == null) {
                try {
                    http.deleteKeyset(); // a benchmark keyset on someone's server is not left behind
                } catch (RuntimeException e) {
                    System.err.println("warning: could not delete the benchmark keyset " + keys.keyset().id() + ": " + e.getMessage());
                }
            }
        }
    }

    private static String mm(ObjectNode o, String field) {
        return String.format(Locale.ROOT, "%.0f / %.0f", o.get(field).get("median").asDouble(), o.get(field).get("max").asDouble());
    }

    private static ObjectNode stats(List<Double> xs) {
        return new ObjectMapper().createObjectNode().put("median", Stats.round(Stats.median(xs), 1))
                .put("p90", Stats.round(Stats.percentile(xs.stream().sorted().toList(), 0.9), 1)).put("max", Stats.round(Stats.max(xs), 1));
    }

    /** User + system CPU time of a process from /proc/PID/stat, in ms (Linux reports it in 1/100 s); -1 when unreadable. */
    static long procCpuMs(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" "); // after "pid (comm) ": field 3 is f[0]
            return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 10; // utime, stime: fields 14 and 15
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** A "Key: N kB" line of /proc/PID/status in kB; -1 when unreadable (not Linux, no such process). */
    static long procStatusKb(long pid, String key) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (line.startsWith(key + ":")) return Long.parseLong(line.substring(key.length() + 1).replace("kB", "").trim());
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }
}
