package io.picrypt.cli;

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
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
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
 * (issue 3), serialized sizes and achieved precision. Operations run on one thread (limb parallelism off) so the
 * figures compare with SEAL's single-threaded ones.
 */
@Command(name = "ckks", mixinStandardHelpOptions = true,
        description = {"CKKS speed on the default preset (N=8192, {60,40,40,60}, scale 2^40): NTT, encrypt, decrypt, multiply,",
                "relinearize, rescale, rotate, 512-D squared distance, key generation; medians and minima of single-threaded runs,",
                "ratio to SEAL 4.4.3 (-O3, no HEXL, one thread); serialized sizes; log2 of the max slot error.",
                "The machine is shared and noisy: compare medians over several invocations."})
public final class BenchCkksCommand implements Callable<Integer> {
    @Option(names = "--runs", defaultValue = "30", description = "timed runs per operation (default ${DEFAULT-VALUE}; key generation uses min(runs, 7))")
    int runs;

    @Option(names = "--warmup", defaultValue = "10", description = "untimed runs per operation first, at least 0.4 s of them "
            + "unless 0 (default ${DEFAULT-VALUE})")
    int warmup;

    @Option(names = "--json", description = "print one JSON object")
    boolean json;

    @Option(names = "--parallel", description = "turn on parallelism across RNS limbs, key-switching digits and Galois keys "
            + "(default off: single-threaded figures, comparable to SEAL's)")
    boolean parallel;

    /** SEAL 4.4.3 medians (us) from the issue, same preset, AMD EPYC Zen 3. */
    static final Map<String, Double> SEAL_US = new LinkedHashMap<>();
    /** Issue 3 targets (us): 2x SEAL, 1.5x for the NTT. */
    static final Map<String, Double> TARGET_US = new LinkedHashMap<>();
    static final Map<String, String> LABEL = new LinkedHashMap<>();

    static {
        op("ntt_forward", "forward NTT, one 8192 limb", 89.5, 135);
        op("ntt_inverse", "inverse NTT, one limb", 96.2, 145);
        op("encrypt_public", "encode + encrypt, public key", 4020, 8000);
        op("encrypt_symmetric", "encode + encrypt, secret key, seeded", 2010, 4000);
        op("decrypt", "decrypt + decode", 1120, 2200);
        op("multiply", "multiply, no relinearization", 378, 760);
        op("relinearize", "relinearize", 2470, 4900);
        op("rescale", "rescale 3 -> 2 primes", 658, 1300);
        op("rotate", "rotate by 1", 2500, 5000);
        op("sq_distance_512", "512-D squared distance", 17800, 35000);
        op("keygen_all", "keygen: sk, pk, relin, 24 Galois", 140000, 280000);
    }

    private static void op(String key, String label, double seal, double target) {
        SEAL_US.put(key, seal);
        TARGET_US.put(key, target);
        LABEL.put(key, label);
    }

    /** SEAL's uncompressed / seeded sizes in bytes from the issue. */
    static final Map<String, Long> SEAL_BYTES = new LinkedHashMap<>();

    static {
        SEAL_BYTES.put("size_ciphertext", 393_329L);
        SEAL_BYTES.put("size_ciphertext_seeded", 196_802L);
        SEAL_BYTES.put("size_relin_key", 1_573_267L);
        SEAL_BYTES.put("size_relin_key_seeded", 787_078L);
        SEAL_BYTES.put("size_galois_keys_24", 37_800_000L);
        SEAL_BYTES.put("size_galois_keys_24_seeded", 19_000_000L);
    }

    /** One operation's timing. */
    record Stat(double medianUs, double minUs, double cpuMedianUs, int runs) {}

    /** Everything the command reports. */
    record Report(CkksParameters params, int threads, Map<String, Stat> ops, Map<String, Stat> serialization, Map<String, Long> sizes,
                  Map<String, Double> precisionLog2, List<Integer> galoisSteps) {}

    private static volatile long sink; // results feed this so the JIT cannot drop the work

    @Override
    public Integer call() throws Exception {
        if (runs < 1 || warmup < 0) throw new IllegalArgumentException("--runs must be >= 1 and --warmup >= 0");
        Report r = measure(runs, warmup, parallel);
        System.out.println(json ? toJson(r) : toTable(r, runs, warmup));
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

    static Report measure(int runs, int warmup, boolean parallel) {
        boolean wasParallel = Parallel.enabled();
        Parallel.setEnabled(parallel); // off: single-threaded figures, comparable to SEAL's
        try {
            return measureOps(runs, warmup, parallel ? Runtime.getRuntime().availableProcessors() : 1);
        } finally {
            Parallel.setEnabled(wasParallel);
        }
    }

    private static Report measureOps(int runs, int warmup, int threads) {
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

        Map<String, Stat> ops = new LinkedHashMap<>();
        Ntt ntt = p.ring().ntt(0);
        long[] limb = cx.component(1)[0].clone();
        ops.put("ntt_forward", time(runs, warmup, 20, () -> { ntt.forward(limb); return limb[7]; }));
        ops.put("ntt_inverse", time(runs, warmup, 20, () -> { ntt.inverse(limb); return limb[7]; }));
        ops.put("encrypt_public", time(runs, warmup, 1, () -> encryptor.encrypt(enc.encode(x, scale), pk)));
        ops.put("encrypt_symmetric", time(runs, warmup, 1, () -> encryptor.encryptSymmetric(enc.encode(x, scale), sk)));
        ops.put("decrypt", time(runs, warmup, 1, () -> dec.decrypt(cx)));
        ops.put("multiply", time(runs, warmup, 1, () -> ev.multiply(cx, cy)));
        ops.put("relinearize", time(runs, warmup, 1, () -> ev.relinearize(prod, rk)));
        ops.put("rescale", time(runs, warmup, 1, () -> ev.rescale(relin)));
        ops.put("rotate", time(runs, warmup, 1, () -> ev.rotate(cx, 1, gk)));
        ops.put("sq_distance_512", time(runs, warmup, 1, () -> squaredDistance(ev, cx, cy, rk, gk)));
        int keyRuns = Math.min(runs, 7), keyWarmup = Math.min(warmup, 2);
        ops.put("keygen_all", time(keyRuns, keyWarmup, 1, () -> {
            SecretKey s = kg.secretKey();
            return List.of(kg.publicKey(s), kg.relinKey(s), kg.rotationKeys(s, steps, true));
        }));

        Map<String, Long> sizes = new LinkedHashMap<>();
        Ciphertext sym = encryptor.encryptSymmetric(enc.encode(x, scale), sk);
        Map<String, Stat> ser = new LinkedHashMap<>();
        byte[] ctBytes = Serializer.writeCiphertext(cx, p, false), symBytes = Serializer.writeCiphertext(sym, p, true);
        byte[] gkBytes = Serializer.writeGaloisKeys(gk);
        ser.put("write_ciphertext", time(runs, warmup, 1, () -> Serializer.writeCiphertext(cx, p, false)));
        ser.put("read_ciphertext", time(runs, warmup, 1, () -> Serializer.readCiphertext(ctBytes, p)));
        ser.put("read_ciphertext_seeded", time(runs, warmup, 1, () -> Serializer.readCiphertext(symBytes, p)));
        ser.put("write_galois_keys_24", time(keyRuns, keyWarmup, 1, () -> Serializer.writeGaloisKeys(gk)));
        ser.put("read_galois_keys_24", time(keyRuns, keyWarmup, 1, () -> Serializer.readGaloisKeys(gkBytes, p)));
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
        double[] xy = new double[slots];
        for (int i = 0; i < slots; i++) xy[i] = x[i] * y[i];
        precision.put("multiply_relin_rescale", log2(maxErr(xy, dec.decrypt(ev.rescale(relin)))));
        double[] rot = new double[slots];
        for (int i = 0; i < slots; i++) rot[i] = x[(i + 1) % slots];
        precision.put("rotate", log2(maxErr(rot, dec.decrypt(ev.rotate(cx, 1, gk)))));
        return new Report(p, threads, ops, ser, sizes, precision, steps);
    }

    /** ||x - y||^2 over the first 512 slots: sub, multiply, relinearize, rescale, 9 rotate-and-add steps. */
    static Ciphertext squaredDistance(Evaluator ev, Ciphertext a, Ciphertext b, RelinKey rk, GaloisKeys gk) {
        Ciphertext d = ev.sub(a, b);
        Ciphertext acc = ev.rescale(ev.relinearize(ev.multiply(d, d), rk));
        for (int s = 1; s < 512; s <<= 1) acc = ev.add(acc, ev.rotate(acc, s, gk));
        return acc;
    }

    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
    private static final long WARMUP_MIN_NANOS = 400_000_000L;

    /**
     * Median and minimum wall-clock time over {@code runs} timings of {@code batch} back-to-back calls each, per call;
     * also the median CPU time of this thread, which other processes on a shared machine disturb less.
     */
    static Stat time(int runs, int warmup, int batch, Supplier<Object> op) {
        long h = 0;
        // at least `warmup` calls and, when warm-up is asked for, WARMUP_MIN_NANOS of them, so the JIT has compiled
        // the hot loops with a full profile before timing (a handful of calls leaves cheap ops in OSR code)
        long until = System.nanoTime() + (warmup > 0 ? WARMUP_MIN_NANOS : 0);
        for (int i = 0; i < warmup * batch || System.nanoTime() < until; i++) h += System.identityHashCode(op.get());
        double[] us = new double[runs], cpu = new double[runs];
        boolean cpuTime = THREADS.isCurrentThreadCpuTimeSupported();
        for (int r = 0; r < runs; r++) {
            long c0 = cpuTime ? THREADS.getCurrentThreadCpuTime() : 0;
            long t0 = System.nanoTime();
            for (int i = 0; i < batch; i++) h += System.identityHashCode(op.get());
            us[r] = (System.nanoTime() - t0) / 1e3 / batch;
            cpu[r] = cpuTime ? (THREADS.getCurrentThreadCpuTime() - c0) / 1e3 / batch : Double.NaN;
        }
        sink += h;
        return new Stat(median(us), Arrays.stream(us).min().orElse(0), median(cpu), runs);
    }

    static double median(double[] a) {
        double[] s = a.clone();
        Arrays.sort(s);
        int n = s.length;
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    }

    private static double maxErr(double[] expect, double[] got) {
        double m = 0;
        for (int i = 0; i < expect.length; i++) m = Math.max(m, Math.abs(expect[i] - got[i]));
        return m;
    }

    private static double log2(double v) { return Math.log(v) / Math.log(2); }

    private static double round(double v, double unit) { return Math.round(v / unit) * unit; }

    static String toJson(Report r) throws Exception {
        ObjectMapper om = new ObjectMapper();
        ObjectNode o = om.createObjectNode();
        ObjectNode params = o.putObject("params");
        CkksParameters p = r.params();
        params.put("n", p.n());
        ArrayNode bits = params.putArray("prime_bits");
        for (int i = 0; i < p.ring().size(); i++) bits.add(p.ring().modulus(i).bits());
        params.put("scale_log2", log2(p.defaultScale()));
        params.put("log_qp", round(p.logQP(), 0.01));
        params.put("threads", r.threads());
        params.put("cpu", cpuModel());
        params.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
        ArrayNode gs = params.putArray("galois_rotation_steps");
        r.galoisSteps().forEach(gs::add);
        params.put("galois_conjugation", true);
        ObjectNode ops = o.putObject("ops");
        for (var e : r.ops().entrySet()) {
            ObjectNode n = ops.putObject(e.getKey());
            n.put("median_us", round(e.getValue().medianUs(), 0.1));
            n.put("min_us", round(e.getValue().minUs(), 0.1));
            n.put("cpu_median_us", round(e.getValue().cpuMedianUs(), 0.1));
            n.put("runs", e.getValue().runs());
            n.put("seal_us", SEAL_US.get(e.getKey()));
            n.put("ratio_to_seal", round(e.getValue().medianUs() / SEAL_US.get(e.getKey()), 0.01));
            n.put("target_us", TARGET_US.get(e.getKey()));
        }
        ObjectNode ser = o.putObject("serialization");
        for (var e : r.serialization().entrySet()) {
            ObjectNode n = ser.putObject(e.getKey());
            n.put("median_us", round(e.getValue().medianUs(), 0.1));
            n.put("min_us", round(e.getValue().minUs(), 0.1));
            n.put("runs", e.getValue().runs());
        }
        ObjectNode sizes = o.putObject("sizes");
        r.sizes().forEach(sizes::put);
        ObjectNode seal = o.putObject("seal_sizes");
        SEAL_BYTES.forEach(seal::put);
        ObjectNode prec = o.putObject("precision");
        r.precisionLog2().forEach((k, v) -> prec.put(k, round(v, 0.01)));
        return om.writeValueAsString(o);
    }

    static String toTable(Report r, int runs, int warmup) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "CKKS on %s%n", r.params()));
        sb.append(String.format(Locale.ROOT, "%s, %d warm-up + %d timed runs per op (key generation %d), cpu: %s%n"
                        + "ratio = median / SEAL; cpu us = CPU time of the calling thread (less disturbed by other processes)%n",
                r.threads() == 1 ? "one thread" : r.threads() + " threads (--parallel)", warmup, runs, r.ops().get("keygen_all").runs(), cpuModel()));
        sb.append(String.format(Locale.ROOT, "%-58s %10s %10s %10s %10s %6s  %s%n", "operation", "median us", "min us", "cpu us", "SEAL us", "ratio", "target (2x SEAL, NTT 1.5x)"));
        for (var e : r.ops().entrySet()) {
            String k = e.getKey();
            Stat s = e.getValue();
            double ratio = s.medianUs() / SEAL_US.get(k);
            sb.append(String.format(Locale.ROOT, "%-58s %10.1f %10.1f %10.1f %10.1f %6.2f  <= %.0f %s%n", LABEL.get(k) + " (" + k + ")",
                    s.medianUs(), s.minUs(), s.cpuMedianUs(), SEAL_US.get(k), ratio, TARGET_US.get(k), s.medianUs() <= TARGET_US.get(k) ? "met" : "MISSED"));
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
        r.precisionLog2().forEach((k, v) -> sb.append(String.format(Locale.ROOT, "%-28s %7.2f  (%.2e)%n", k, v, Math.pow(2, v))));
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
