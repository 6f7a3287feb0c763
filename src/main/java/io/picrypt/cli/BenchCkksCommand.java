package io.picrypt.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.picrypt.ckks.Ciphertext;
import io.picrypt.ckks.CkksParameters;
import io.picrypt.ckks.Decryptor;
import io.picrypt.ckks.Encoder;
import io.picrypt.ckks.Encryptor;
import io.picrypt.ckks.Evaluator;
import io.picrypt.ckks.GaloisKeys;
import io.picrypt.ckks.KeyGenerator;
import io.picrypt.ckks.Plaintext;
import io.picrypt.ckks.PublicKey;
import io.picrypt.ckks.RelinKey;
import io.picrypt.ckks.SecretKey;
import io.picrypt.ckks.Serializer;
import io.picrypt.ring.Ntt;
import io.picrypt.ring.Parallel;
import io.picrypt.cli.bench.Stats;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.function.Supplier;

/**
 * {@code picrypt bench ckks}: medians of the CKKS operations on the default preset next to SEAL 4.4.3's figures
 * ({@link SealReference}), serialized sizes and achieved precision. Operations run on one thread (limb parallelism
 * off) so the figures compare with SEAL's single-threaded ones. By default the measurement runs in {@code --processes}
 * fresh JVMs started with this JVM's own options (the launcher's), one after the other, and the report gives the
 * min / median / max of their per-process medians: a single JVM's figures depend on its heap and JIT luck.
 */
@Command(name = "ckks", mixinStandardHelpOptions = true,
        description = {"CKKS speed on the default preset (N=8192, {60,40,40,60}, scale 2^40): NTT, encrypt, decrypt, multiply,",
                "relinearize, rescale, rotate, 512-D squared distance, key generation; medians and minima of single-threaded runs,",
                "ratio to SEAL 4.4.3 (-O3, no HEXL, one thread); serialized sizes; log2 of the max slot error.",
                "Runs in --processes fresh JVMs with this JVM's options (the launcher's) and reports min/median/max of their medians."})
public final class BenchCkksCommand implements Callable<Integer> {
    @Option(names = "--runs", defaultValue = "30", description = "timed runs per operation (default ${DEFAULT-VALUE}; key generation uses min(runs, 7))")
    int runs;

    @Option(names = "--warmup", defaultValue = "10", description = "untimed runs per operation first, at least 0.4 s of them "
            + "unless 0 (default ${DEFAULT-VALUE})")
    int warmup;

    @Option(names = "--rounds", defaultValue = "5", description = "rounds the timed runs are spread over, every operation "
            + "taking its share in each round, so a passing disturbance hits a few runs of every operation rather than all runs "
            + "of one; 1 = each operation's runs in one block after the shared warm-up; at most --runs are used (default ${DEFAULT-VALUE})")
    int rounds;

    @Mixin
    JsonOutput output;

    @Option(names = "--processes", defaultValue = "3", description = "fresh JVMs to measure in, one after the other, with "
            + "this JVM's options; 1 = measure in this JVM (default ${DEFAULT-VALUE})")
    int processes;

    @Option(names = "--parallel", description = "turn on parallelism across RNS limbs, key-switching digits and Galois keys "
            + "(default off: single-threaded figures, comparable to SEAL's)")
    boolean parallel;

    /** SEAL 4.4.3 medians (us), sizes and labels: {@link SealReference} (kept there with their provenance). */
    static final Map<String, Double> SEAL_US = SealReference.OPS_US;
    static final Map<String, Long> SEAL_BYTES = SealReference.BYTES;
    static final Map<String, String> LABEL = SealReference.LABEL;

    /** One operation's timing. */
    record Stat(double medianUs, double minUs, double cpuMedianUs, int runs) {}

    /** Everything the command reports. */
    record Report(CkksParameters params, int threads, int rounds, Map<String, Stat> ops, Map<String, Stat> serialization, Map<String, Long> sizes,
                  Map<String, Double> precisionLog2, List<Integer> galoisSteps) {}

    private static volatile long sink; // results feed this so the JIT cannot drop the work

    @Override
    public Integer call() throws Exception {
        if (runs < 1 || warmup < 0) throw new IllegalArgumentException("--runs must be >= 1 and --warmup >= 0");
        if (rounds < 1) throw new IllegalArgumentException("--rounds must be >= 1 (operations with fewer runs than rounds sit some out)");
        if (processes < 1 || processes > 20) throw new IllegalArgumentException("--processes must be in 1..20");
        if (processes == 1) {
            Report r = measure(runs, warmup, rounds, parallel);
            System.out.println(output.json ? toJson(r) : toTable(r, runs, warmup));
            return 0;
        }
        List<JsonNode> children = runChildren(processes, runs, warmup, rounds, parallel);
        ObjectNode spread = spread(children);
        System.out.println(output.json ? spread.toString() : spreadTable(spread));
        return 0;
    }

    /** The 24 Galois keys: rotations by +-2^k for k = 0..10, 2048 (= -2048 for 4096 slots) and conjugation. */
    static List<Integer> galoisSteps(int slots) {
        List<Integer> s = new ArrayList<>();
        for (int k = 1; k < slots / 2; k <<= 1) {
            s.add(k);
            s.add(-k);
        }
        s.add(slots / 2);
        return s;
    }

    static Report measure(int runs, int warmup, int rounds, boolean parallel) {
        boolean wasParallel = Parallel.enabled();
        Parallel.setEnabled(parallel); // off: single-threaded figures, comparable to SEAL's
        try {
            return measureOps(runs, warmup, rounds, parallel ? Runtime.getRuntime().availableProcessors() : 1);
        } finally {
            Parallel.setEnabled(wasParallel);
        }
    }

    private static Report measureOps(int runs, int warmup, int rounds, int threads) {
        CkksParameters p = CkksParameters.defaultPreset();
        int slots = p.slots();
        double scale = p.defaultScale();
        Random rnd = new Random(1);
        double[] x = new double[slots], y = new double[slots];
        for (int i = 0; i < slots; i++) {
            x[i] = rnd.nextDouble() * 2 - 1;
            y[i] = rnd.nextDouble() * 2 - 1;
        }
        List<Integer> steps = galoisSteps(slots);
        KeyGenerator kg = new KeyGenerator(p);
        SecretKey sk = kg.secretKey();
        PublicKey pk = kg.publicKey(sk);
        RelinKey rk = kg.relinKey(sk);
        GaloisKeys gk = kg.rotationKeys(sk, steps, true);
        Encoder enc = new Encoder(p);
        Encryptor encryptor = new Encryptor(p);
        Decryptor dec = new Decryptor(p, sk);
        Evaluator ev = new Evaluator(p);
        Ciphertext cx = encryptor.encrypt(enc.encode(x, scale), pk);
        Ciphertext cy = encryptor.encrypt(enc.encode(y, scale), pk);
        Ciphertext prod = ev.multiply(cx, cy);
        Ciphertext relin = ev.relinearize(prod, rk);
        // destinations reused across runs, as SEAL's own benchmark (sealbench) does for these operations
        Ciphertext prodOut = ev.newCiphertext(3, cx.level(), 0), relinOut = ev.newCiphertext(2, cx.level(), 0);
        Ciphertext rescaleOut = ev.newCiphertext(2, cx.level() - 1, 0), rotOut = ev.newCiphertext(2, cx.level(), 0);

        Ntt ntt = p.ring().ntt(0);
        long[] limb = cx.component(1)[0].clone();
        int keyRuns = Math.min(runs, 7), keyWarmup = Math.min(warmup, 2);
        Ciphertext sym = encryptor.encryptSymmetric(enc.encode(x, scale), sk);
        byte[] ctBytes = Serializer.writeCiphertext(cx, p, false), symBytes = Serializer.writeCiphertext(sym, p, true);
        byte[] gkBytes = Serializer.writeGaloisKeys(gk);
        List<Timed> timed = List.of(
                new Timed("ntt_forward", runs, warmup, 20, () -> { ntt.forward(limb); return limb[7]; }),
                new Timed("ntt_inverse", runs, warmup, 20, () -> { ntt.inverse(limb); return limb[7]; }),
                new Timed("encrypt_public", runs, warmup, 1, () -> encryptor.encrypt(enc.encode(x, scale), pk)),
                new Timed("encrypt_symmetric", runs, warmup, 1, () -> encryptor.encryptSymmetric(enc.encode(x, scale), sk)),
                new Timed("decrypt", runs, warmup, 1, () -> dec.decrypt(cx)),
                new Timed("multiply", runs, warmup, 1, () -> { ev.multiply(cx, cy, prodOut); return prodOut; }),
                new Timed("relinearize", runs, warmup, 1, () -> { ev.relinearize(prod, rk, relinOut); return relinOut; }),
                new Timed("rescale", runs, warmup, 1, () -> { ev.rescale(relin, rescaleOut); return rescaleOut; }),
                new Timed("rotate", runs, warmup, 1, () -> { ev.rotate(cx, 1, gk, rotOut); return rotOut; }),
                new Timed("sq_distance_512", runs, warmup, 1, () -> squaredDistance(ev, cx, cy, rk, gk)),
                new Timed("keygen_all", keyRuns, keyWarmup, 1, () -> {
                    SecretKey s = kg.secretKey();
                    return List.of(kg.publicKey(s), kg.relinKey(s), kg.rotationKeys(s, steps, true));
                }),
                new Timed("write_ciphertext", runs, warmup, 1, () -> Serializer.writeCiphertext(cx, p, false)),
                new Timed("read_ciphertext", runs, warmup, 1, () -> Serializer.readCiphertext(ctBytes, p)),
                new Timed("read_ciphertext_seeded", runs, warmup, 1, () -> Serializer.readCiphertext(symBytes, p)),
                new Timed("write_galois_keys_24", keyRuns, keyWarmup, 1, () -> Serializer.writeGaloisKeys(gk)),
                new Timed("read_galois_keys_24", keyRuns, keyWarmup, 1, () -> Serializer.readGaloisKeys(gkBytes, p)));
        rounds = Math.min(rounds, runs); // more rounds than runs would only add empty ones
        Map<String, Stat> all = timeInterleaved(timed, rounds);
        Map<String, Stat> ops = new LinkedHashMap<>(), ser = new LinkedHashMap<>();
        all.forEach((k, v) -> (SEAL_US.containsKey(k) ? ops : ser).put(k, v));

        Map<String, Long> sizes = new LinkedHashMap<>();
        sizes.put("size_ciphertext", (long) ctBytes.length);
        sizes.put("size_ciphertext_seeded", (long) symBytes.length);
        long relinBytes = Serializer.writeRelinKey(rk).length;
        long galoisBytes = gkBytes.length;
        // PiCrypt keys have a single (seeded) form: the uniform halves always travel as seeds
        sizes.put("size_relin_key", relinBytes);
        sizes.put("size_relin_key_seeded", relinBytes);
        sizes.put("size_galois_keys_24", galoisBytes);
        sizes.put("size_galois_keys_24_seeded", galoisBytes);

        Map<String, Double> precision = new LinkedHashMap<>();
        double[] fresh = dec.decrypt(cx);
        precision.put("encrypt_decrypt", log2(maxErr(x, fresh)));
        precision.put("encrypt_symmetric_decrypt", log2(maxErr(x, dec.decrypt(sym))));
        double[] xy = new double[slots];
        for (int i = 0; i < slots; i++) xy[i] = x[i] * y[i];
        precision.put("multiply_relin_rescale", log2(maxErr(xy, dec.decrypt(ev.rescale(relin)))));
        double[] rot = new double[slots];
        for (int i = 0; i < slots; i++) rot[i] = x[(i + 1) % slots];
        precision.put("rotate", log2(maxErr(rot, dec.decrypt(ev.rotate(cx, 1, gk)))));
        return new Report(p, threads, rounds, ops, ser, sizes, precision, steps);
    }

    /**
     * ||x - y||^2 over the first 512 slots: sub, multiply, relinearize, rescale, 9 rotate-and-add steps (the
     * allocating API, as protocol code uses it).
     */
    static Ciphertext squaredDistance(Evaluator ev, Ciphertext a, Ciphertext b, RelinKey rk, GaloisKeys gk) {
        Ciphertext d = ev.sub(a, b);
        Ciphertext acc = ev.rescale(ev.relinearize(ev.multiply(d, d), rk));
        for (int s = 1; s < 512; s <<= 1) acc = ev.add(acc, ev.rotate(acc, s, gk));
        return acc;
    }

    /** This JVM's options, for the child JVMs (debug and instrumentation agents left out). */
    static List<String> jvmOptions() {
        List<String> out = new ArrayList<>();
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (a.startsWith("-agentlib:") || a.startsWith("-javaagent:") || a.startsWith("-agentpath:")) continue;
            out.add(a);
        }
        return out;
    }

    /** Runs the single-process benchmark in {@code processes} fresh JVMs, one after the other; their JSON reports. */
    static List<JsonNode> runChildren(int processes, int runs, int warmup, int rounds, boolean parallel) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ObjectMapper om = new ObjectMapper();
        List<JsonNode> out = new ArrayList<>();
        for (int i = 0; i < processes; i++) {
            List<String> cmd = new ArrayList<>();
            cmd.add(java);
            cmd.addAll(jvmOptions());
            cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), BenchCkksCommand.class.getName(),
                    "--processes", "1", "--json", "--runs", Integer.toString(runs), "--warmup", Integer.toString(warmup),
                    "--rounds", Integer.toString(rounds)));
            if (parallel) cmd.add("--parallel");
            System.err.printf(Locale.ROOT, "[bench ckks] process %d of %d ...%n", i + 1, processes);
            Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            int rc = p.waitFor();
            if (rc != 0) throw new IllegalStateException("benchmark process " + (i + 1) + " exited with status " + rc);
            out.add(om.readTree(text));
        }
        return out;
    }

    /**
     * The spread over processes: per operation the min / median / max of the per-process medians, the spread
     * (max - min) / median, the median CPU time, the ratio of the median to SEAL's and the issue-16 targets; per
     * precision key the values of every process and their median.
     */
    static ObjectNode spread(List<JsonNode> children) {
        ObjectMapper om = new ObjectMapper();
        ObjectNode o = om.createObjectNode();
        JsonNode first = children.get(0);
        ObjectNode params = o.putObject("params");
        params.setAll((ObjectNode) first.get("params"));
        params.put("processes", children.size());
        ArrayNode opts = params.putArray("jvm_options");
        jvmOptions().forEach(opts::add);
        o.put("seal_provenance", SealReference.PROVENANCE);
        ObjectNode ops = o.putObject("ops");
        for (var it = first.get("ops").fieldNames(); it.hasNext(); ) {
            String k = it.next();
            double[] med = children.stream().mapToDouble(c -> c.at("/ops/" + k + "/median_us").asDouble()).toArray();
            double[] cpu = children.stream().mapToDouble(c -> c.at("/ops/" + k + "/cpu_median_us").asDouble()).toArray();
            double m = Stats.median(med), lo = Stats.min(med), hi = Arrays.stream(med).max().orElse(0);
            ObjectNode n = ops.putObject(k);
            n.put("median_us", Stats.round(m, 1));
            n.put("min_of_medians_us", Stats.round(lo, 1));
            n.put("max_of_medians_us", Stats.round(hi, 1));
            n.put("spread", Stats.round((hi - lo) / m, 3));
            n.put("cpu_median_us", Stats.round(Stats.median(cpu), 1));
            ArrayNode all = n.putArray("process_medians_us");
            for (double v : med) all.add(Stats.round(v, 1));
            n.put("seal_us", SEAL_US.get(k));
            n.put("ratio_to_seal", Stats.round(m / SEAL_US.get(k), 2));
            n.put("target_ratio", SealReference.targetRatio(k));
            n.put("met", m / SEAL_US.get(k) <= SealReference.targetRatio(k));
            n.put("spread_met", (hi - lo) / m <= SealReference.TARGET_SPREAD);
        }
        ObjectNode prec = o.putObject("precision");
        for (var it = first.get("precision").fieldNames(); it.hasNext(); ) {
            String k = it.next();
            double[] v = children.stream().mapToDouble(c -> c.at("/precision/" + k).asDouble()).toArray();
            ObjectNode n = prec.putObject(k);
            n.put("median_log2", Stats.round(Stats.median(v), 2));
            ArrayNode all = n.putArray("process_log2");
            for (double x : v) all.add(Stats.round(x, 2));
            if (SealReference.PRECISION_LOG2.containsKey(k)) n.put("seal_log2", SealReference.PRECISION_LOG2.get(k));
        }
        o.set("sizes", first.get("sizes"));
        o.set("seal_sizes", first.get("seal_sizes"));
        return o;
    }

    static String spreadTable(ObjectNode o) {
        StringBuilder sb = new StringBuilder();
        JsonNode p = o.get("params");
        sb.append(String.format(Locale.ROOT, "CKKS, N=%d, primes %s bits, %d fresh JVMs (options %s), %s, cpu: %s%n",
                p.get("n").asInt(), p.get("prime_bits"), p.get("processes").asInt(), p.get("jvm_options"),
                p.get("threads").asInt() == 1 ? "one thread" : p.get("threads").asInt() + " threads", p.get("cpu").asText()));
        sb.append("SEAL: ").append(SealReference.PROVENANCE).append(String.format(Locale.ROOT,
                "%ntargets (issue 16): median <= 1.5x SEAL (NTT 1.2x), spread (max - min) / median of the process medians <= %.0f%%%n",
                100 * SealReference.TARGET_SPREAD));
        sb.append(String.format(Locale.ROOT, "%-54s %10s %10s %10s %7s %10s %10s %6s  %s%n", "operation", "min us", "median us",
                "max us", "spread", "cpu us", "SEAL us", "ratio", "target"));
        for (var it = o.get("ops").fields(); it.hasNext(); ) {
            var e = it.next();
            JsonNode n = e.getValue();
            sb.append(String.format(Locale.ROOT, "%-54s %10.1f %10.1f %10.1f %6.0f%% %10.1f %10.1f %6.2f  <= %.1fx %s, spread %s%n",
                    LABEL.get(e.getKey()) + " (" + e.getKey() + ")", n.get("min_of_medians_us").asDouble(), n.get("median_us").asDouble(),
                    n.get("max_of_medians_us").asDouble(), 100 * n.get("spread").asDouble(), n.get("cpu_median_us").asDouble(),
                    n.get("seal_us").asDouble(), n.get("ratio_to_seal").asDouble(), n.get("target_ratio").asDouble(),
                    n.get("met").asBoolean() ? "met" : "MISSED", n.get("spread_met").asBoolean() ? "met" : "MISSED"));
        }
        sb.append(String.format(Locale.ROOT, "%nprecision, log2(max slot error) over 4096 slots of values in [-1, 1] (per process; SEAL)%n"));
        for (var it = o.get("precision").fields(); it.hasNext(); ) {
            var e = it.next();
            JsonNode n = e.getValue();
            sb.append(String.format(Locale.ROOT, "%-28s median %7.2f  %s%s%n", e.getKey(), n.get("median_log2").asDouble(), n.get("process_log2"),
                    n.has("seal_log2") ? "   SEAL " + n.get("seal_log2").asDouble() : ""));
        }
        return sb.toString();
    }

    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
    private static final long WARMUP_MIN_NANOS = 400_000_000L;

    /** One operation to time: {@code runs} timings of {@code batch} back-to-back calls, after {@code warmup} untimed ones. */
    record Timed(String name, int runs, int warmup, int batch, Supplier<Object> op) {}

    /**
     * Median and minimum wall-clock time per call of every operation, and the median CPU time of this thread (which other
     * processes on a shared machine disturb less). All operations are warmed up first, each at least {@code warmup} calls
     * and, when warm-up is asked for, {@link #WARMUP_MIN_NANOS} of them, so the JIT has compiled every operation's hot
     * loops with a full profile before anything is timed. The timed runs are then spread over {@code rounds}
     * rounds, each running every operation's share of its runs back to back: a disturbance of the machine or the JVM that
     * lasts a second or two (a heap expansion faulting in fresh pages, a recompilation, another VM on the host) lands on a
     * few runs of every operation, which the median drops, instead of on all the runs of the one operation measured at that
     * moment (docs/BENCHMARKS.md "Spread of the process medians"). {@code rounds} = 1 times each operation's runs in one
     * block, all after the shared warm-up; more rounds than the largest run count are cut to it (they would be empty).
     *
     * @throws IllegalArgumentException if {@code rounds} < 1
     */
    static Map<String, Stat> timeInterleaved(List<Timed> ops, int rounds) {
        if (rounds < 1) throw new IllegalArgumentException("rounds must be >= 1");
        rounds = Math.min(rounds, ops.stream().mapToInt(Timed::runs).max().orElse(1)); // beyond that, rounds are empty
        long h = 0;
        for (Timed t : ops) {
            long until = System.nanoTime() + (t.warmup() > 0 ? WARMUP_MIN_NANOS : 0);
            for (int i = 0; i < t.warmup() * t.batch() || System.nanoTime() < until; i++) h += System.identityHashCode(t.op().get());
        }
        boolean cpuTime = THREADS.isCurrentThreadCpuTimeSupported();
        double[][] us = new double[ops.size()][], cpu = new double[ops.size()][];
        for (int k = 0; k < ops.size(); k++) {
            us[k] = new double[ops.get(k).runs()];
            cpu[k] = new double[ops.get(k).runs()];
        }
        for (int round = 0; round < rounds; round++) {
            for (int k = 0; k < ops.size(); k++) {
                Timed t = ops.get(k);
                // this round's share of the runs: [runs * round / rounds, runs * (round + 1) / rounds), after one untimed
                // batch (one call; 20 for the NTTs) that brings the operation's data back into the caches the other
                // operations used meanwhile (timed calls run warm, as in one block and in SEAL's benchmark loops)
                int from = (int) ((long) t.runs() * round / rounds), to = (int) ((long) t.runs() * (round + 1) / rounds);
                if (from < to && rounds > 1) for (int i = 0; i < t.batch(); i++) h += System.identityHashCode(t.op().get());
                for (int r = from; r < to; r++) {
                    long c0 = cpuTime ? THREADS.getCurrentThreadCpuTime() : 0;
                    long t0 = System.nanoTime();
                    for (int i = 0; i < t.batch(); i++) h += System.identityHashCode(t.op().get());
                    us[k][r] = (System.nanoTime() - t0) / 1e3 / t.batch();
                    cpu[k][r] = cpuTime ? (THREADS.getCurrentThreadCpuTime() - c0) / 1e3 / t.batch() : Double.NaN;
                }
            }
        }
        sink += h;
        Map<String, Stat> out = new LinkedHashMap<>();
        for (int k = 0; k < ops.size(); k++) {
            out.put(ops.get(k).name(), new Stat(Stats.median(us[k]), Stats.min(us[k]), Stats.median(cpu[k]), ops.get(k).runs()));
        }
        return out;
    }

    private static double maxErr(double[] expect, double[] got) {
        double m = 0;
        for (int i = 0; i < expect.length; i++) m = Math.max(m, Math.abs(expect[i] - got[i]));
        return m;
    }

    private static double log2(double v) { return Math.log(v) / Math.log(2); }

    static String toJson(Report r) throws Exception {
        ObjectMapper om = new ObjectMapper();
        ObjectNode o = om.createObjectNode();
        ObjectNode params = o.putObject("params");
        CkksParameters p = r.params();
        params.put("n", p.n());
        ArrayNode bits = params.putArray("prime_bits");
        for (int i = 0; i < p.ring().size(); i++) bits.add(p.ring().modulus(i).bits());
        params.put("scale_log2", log2(p.defaultScale()));
        params.put("log_qp", Stats.round(p.logQP(), 2));
        params.put("threads", r.threads());
        params.put("rounds", r.rounds());
        params.put("cpu", cpuModel());
        params.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
        ArrayNode gs = params.putArray("galois_rotation_steps");
        r.galoisSteps().forEach(gs::add);
        params.put("galois_conjugation", true);
        ObjectNode ops = o.putObject("ops");
        for (var e : r.ops().entrySet()) {
            ObjectNode n = ops.putObject(e.getKey());
            n.put("median_us", Stats.round(e.getValue().medianUs(), 1));
            n.put("min_us", Stats.round(e.getValue().minUs(), 1));
            n.put("cpu_median_us", Stats.round(e.getValue().cpuMedianUs(), 1));
            n.put("runs", e.getValue().runs());
            n.put("seal_us", SEAL_US.get(e.getKey()));
            n.put("ratio_to_seal", Stats.round(e.getValue().medianUs() / SEAL_US.get(e.getKey()), 2));
            n.put("target_ratio", SealReference.targetRatio(e.getKey()));
        }
        ObjectNode ser = o.putObject("serialization");
        for (var e : r.serialization().entrySet()) {
            ObjectNode n = ser.putObject(e.getKey());
            n.put("median_us", Stats.round(e.getValue().medianUs(), 1));
            n.put("min_us", Stats.round(e.getValue().minUs(), 1));
            n.put("runs", e.getValue().runs());
        }
        ObjectNode sizes = o.putObject("sizes");
        r.sizes().forEach(sizes::put);
        ObjectNode seal = o.putObject("seal_sizes");
        SEAL_BYTES.forEach(seal::put);
        ObjectNode prec = o.putObject("precision");
        r.precisionLog2().forEach((k, v) -> prec.put(k, Stats.round(v, 2)));
        ObjectNode sealPrec = o.putObject("seal_precision");
        SealReference.PRECISION_LOG2.forEach(sealPrec::put);
        o.put("seal_provenance", SealReference.PROVENANCE);
        return om.writeValueAsString(o);
    }

    static String toTable(Report r, int runs, int warmup) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "CKKS on %s%n", r.params()));
        sb.append(String.format(Locale.ROOT, "%s, %d warm-up + %d timed runs per op (key generation %d), %s, cpu: %s%n"
                        + "ratio = median / SEAL; cpu us = CPU time of the calling thread (less disturbed by other processes)%n",
                r.threads() == 1 ? "one thread" : r.threads() + " threads (--parallel)", warmup, runs, r.ops().get("keygen_all").runs(),
                r.rounds() == 1 ? "each op's runs in one block" : "spread over " + r.rounds() + " interleaved rounds", cpuModel()));
        sb.append("SEAL: ").append(SealReference.PROVENANCE).append(String.format(Locale.ROOT, "%n"));
        sb.append(String.format(Locale.ROOT, "%-58s %10s %10s %10s %10s %6s  %s%n", "operation", "median us", "min us", "cpu us", "SEAL us", "ratio", "target (1.5x SEAL, NTT 1.2x)"));
        for (var e : r.ops().entrySet()) {
            String k = e.getKey();
            Stat s = e.getValue();
            double ratio = s.medianUs() / SEAL_US.get(k);
            sb.append(String.format(Locale.ROOT, "%-58s %10.1f %10.1f %10.1f %10.1f %6.2f  <= %.1fx %s%n", LABEL.get(k) + " (" + k + ")",
                    s.medianUs(), s.minUs(), s.cpuMedianUs(), SEAL_US.get(k), ratio, SealReference.targetRatio(k),
                    ratio <= SealReference.targetRatio(k) ? "met" : "MISSED"));
        }
        sb.append(String.format(Locale.ROOT, "%nserialization (no SEAL reference)%n"));
        for (var e : r.serialization().entrySet()) {
            sb.append(String.format(Locale.ROOT, "%-28s %10.1f us median %10.1f min%n", e.getKey(), e.getValue().medianUs(), e.getValue().minUs()));
        }
        sb.append(String.format(Locale.ROOT, "%nserialized sizes (bytes; PiCrypt keys always carry their uniform halves as seeds)%n"));
        for (var e : r.sizes().entrySet()) {
            long seal = SEAL_BYTES.get(e.getKey());
            sb.append(String.format(Locale.ROOT, "%-28s %12d   SEAL %12d   %.2fx%n", e.getKey(), e.getValue(), seal, e.getValue() / (double) seal));
        }
        sb.append(String.format(Locale.ROOT, "%nprecision, log2(max slot error) over %d slots of values in [-1, 1]%n", r.params().slots()));
        r.precisionLog2().forEach((k, v) -> sb.append(String.format(Locale.ROOT, "%-28s %7.2f  (%.2e)%s%n", k, v, Math.pow(2, v),
                SealReference.PRECISION_LOG2.containsKey(k) ? "   SEAL " + SealReference.PRECISION_LOG2.get(k) : "")));
        sb.append("Galois keys: rotations ").append(r.galoisSteps()).append(" and conjugation");
        return sb.toString();
    }

    static String cpuModel() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).trim() + ", " + Runtime.getRuntime().availableProcessors() + " vCPU";
                }
            }
        } catch (Exception ignored) {
            // not Linux: fall through
        }
        return System.getProperty("os.arch") + ", " + Runtime.getRuntime().availableProcessors() + " CPUs";
    }

    /** Runs without the {@code bench} parent: {@code java -cp target/picrypt.jar io.picrypt.cli.BenchCkksCommand --json}. */
    public static void main(String[] args) {
        System.exit(new picocli.CommandLine(new BenchCkksCommand()).execute(args));
    }
}
