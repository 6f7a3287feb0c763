package io.picrypt.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.picrypt.imagediff.DiffImage;
import io.picrypt.imagediff.DiffTransport;
import io.picrypt.imagediff.ImageDiffKeyOwner;
import io.picrypt.imagediff.ImageDiffParameters;
import io.picrypt.imagediff.ImageDiffEvaluator;
import io.picrypt.imagediff.ImageFiles;
import io.picrypt.imagediff.RawImage;
import io.picrypt.imagediff.SyntheticPair;
import io.picrypt.cli.bench.Stats;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code picrypt bench diff}: the encrypted image difference end to end on a synthetic pair: encrypt both
 * images, hand both blobs to the transport (in-process server by default), decrypt the difference and
 * compare it with the plaintext difference. Medians over the measured runs; the cold first run is
 * reported separately.
 */
@Command(name = "diff", mixinStandardHelpOptions = true,
        description = {"Encrypted image difference end to end: encrypt both images, subtract on the server, decrypt, compare.",
                "Medians over --runs after --warmup unmeasured runs; the first (cold) run is reported separately. Shared machine: noisy."})
public final class BenchDiffCommand implements Callable<Integer> {
    @Option(names = "--width", defaultValue = "1280", description = "image width (default ${DEFAULT-VALUE})")
    int width;

    @Option(names = "--height", defaultValue = "720", description = "image height (default ${DEFAULT-VALUE})")
    int height;

    @Option(names = "--grey", description = "1-channel images instead of RGB")
    boolean grey;

    @Option(names = "--runs", defaultValue = "5", description = "measured runs (default ${DEFAULT-VALUE})")
    int runs;

    @Option(names = "--warmup", defaultValue = "1", description = "unmeasured runs after the first (default ${DEFAULT-VALUE})")
    int warmup;

    @Option(names = "--layout", paramLabel = "N:BITS:K", description = "other parameters: ring degree, prime bits, samples per coefficient (default: the standard 2048:52:5)")
    String layout;

    @Option(names = "--in-process", description = "hand the blobs to an in-process server instead of a loopback HTTP server")
    boolean inProcess;

    @Option(names = "--json", description = "print one JSON object")
    boolean json;

    /** Null: the default (loopback HTTP, or in-process with --in-process); tests plug other transports in here. */
    DiffTransport transport;

    /** One end-to-end run. */
    record Run(double encryptMs, double serverMs, double decryptMs, double totalMs, long uploadBytes, long downloadBytes, boolean exact) {}

    /** Encrypt both, subtract through the transport, decrypt, compare with the plaintext difference. */
    static Run run(ImageDiffKeyOwner owner, DiffTransport transport, RawImage before, RawImage after, DiffImage expected) throws Exception {
        long t0 = System.nanoTime();
        byte[] b = owner.encrypt(before);
        byte[] a = owner.encrypt(after);
        long t1 = System.nanoTime();
        byte[] d = transport.subtract(b, a);
        long t2 = System.nanoTime();
        DiffImage diff = owner.decrypt(d);
        long t3 = System.nanoTime();
        return new Run((t1 - t0) / 1e6, (t2 - t1) / 1e6, (t3 - t2) / 1e6, (t3 - t0) / 1e6, (long) a.length + b.length, d.length, diff.equals(expected));
    }

    @Override
    public Integer call() throws Exception {
        if (runs < 1 || warmup < 0) throw new IllegalArgumentException("--runs must be >= 1 and --warmup >= 0");
        if (width < 8 || height < 8 || (long) width * height > ImageFiles.DEFAULT_MAX_PIXELS) {
            throw new IllegalArgumentException("--width and --height must be >= 8 and at most " + ImageFiles.DEFAULT_MAX_PIXELS + " pixels together");
        }
        ImageDiffParameters params = layout == null ? ImageDiffParameters.standard() : ImageDiffParameters.parse(layout);
        ImageDiffKeyOwner owner = ImageDiffKeyOwner.withNewKey(params);
        if (transport != null || inProcess) {
            return measure(params, owner, transport != null ? transport : DiffTransport.inProcess(new ImageDiffEvaluator(params, ImageFiles.DEFAULT_MAX_PIXELS)),
                    transport != null ? transport.toString() : "in-process");
        }
        if (layout != null) throw new IllegalArgumentException("--layout needs --in-process (the server evaluates the standard parameters)");
        // end to end as users run it: an embedded server on loopback, its own keyset and token, the client's own call
        System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        try (EmbeddedServer http = EmbeddedServer.start("picrypt-bench-diff")) {
            java.net.URI url = http.url();
            var ks = io.picrypt.client.PiCryptClient.createKeyset(url, io.picrypt.match.MatchParameters.get().fingerprintHex());
            var api = new io.picrypt.client.PiCryptClient(url, ks.id(), ks.token());
            DiffTransport loopback = new DiffTransport() {
                @Override
                public byte[] subtract(byte[] before, byte[] after) {
                    return io.picrypt.client.ImageDiffSession.subtract(api, before, after, io.picrypt.client.ImageDiffSession.Progress.NONE).body();
                }

                @Override
                public String toString() { return "loopback HTTP"; }
            };
            return measure(params, owner, loopback, "loopback HTTP");
        }
    }

    private Integer measure(ImageDiffParameters params, ImageDiffKeyOwner owner, DiffTransport t, String label) throws Exception {
        SyntheticPair pair = SyntheticPair.generate(width, height, 6);
        if (grey) pair = pair.grey();
        DiffImage expected = DiffImage.plain(pair.before(), pair.after());

        Run cold = run(owner, t, pair.before(), pair.after(), expected);
        for (int i = 0; i < warmup; i++) run(owner, t, pair.before(), pair.after(), expected);
        List<Run> measured = new ArrayList<>();
        for (int i = 0; i < runs; i++) measured.add(run(owner, t, pair.before(), pair.after(), expected));
        boolean exact = cold.exact() && measured.stream().allMatch(Run::exact);
        double enc = Stats.median(measured.stream().mapToDouble(Run::encryptMs).toArray());
        double srv = Stats.median(measured.stream().mapToDouble(Run::serverMs).toArray());
        double dec = Stats.median(measured.stream().mapToDouble(Run::decryptMs).toArray());
        double total = Stats.median(measured.stream().mapToDouble(Run::totalMs).toArray());
        Run last = measured.get(measured.size() - 1);
        int channels = pair.before().channels();
        long samples = pair.before().sampleCount();
        if (json) {
            ObjectMapper om = new ObjectMapper();
            ObjectNode o = om.createObjectNode();
            o.put("width", width).put("height", height).put("channels", channels)
                    .put("total_ms", Stats.round(total, 1)).put("encrypt_ms", Stats.round(enc, 1)).put("server_ms", Stats.round(srv, 1)).put("decrypt_ms", Stats.round(dec, 1))
                    .put("upload_bytes", last.uploadBytes()).put("download_bytes", last.downloadBytes()).put("exact", exact)
                    .put("first_total_ms", Stats.round(cold.totalMs(), 1)).put("runs", runs)
                    .put("total_min_ms", Stats.round(Stats.min(measured.stream().mapToDouble(Run::totalMs).toArray()), 1))
                    .put("n", params.n()).put("prime_bits", params.primeBits()).put("samples_per_coefficient", params.digits())
                    .put("ciphertexts_per_image", params.ciphertextCount(samples))
                    .put("threads", Runtime.getRuntime().availableProcessors())
                    .put("transport", label);
            System.out.println(om.writeValueAsString(o));
        } else {
            System.out.printf(Locale.ROOT, "encrypted image difference, %dx%d %s, %s%n", width, height, channels == 1 ? "grey" : "RGB", params);
            System.out.printf(Locale.ROOT, "  %d ciphertexts per image, transport %s, %d runs (medians, ms; min total %.0f)%n",
                    params.ciphertextCount(samples), label, runs,
                    Stats.min(measured.stream().mapToDouble(Run::totalMs).toArray()));
            System.out.printf(Locale.ROOT, "  encrypt both  %8.1f%n  server        %8.1f%n  decrypt       %8.1f%n  total         %8.1f   (first, cold run: %.1f)%n",
                    enc, srv, dec, total, cold.totalMs());
            System.out.printf(Locale.ROOT, "  upload %d bytes (%.2f MiB, %.2f bytes/sample), download %d bytes (%.2f MiB)%n",
                    last.uploadBytes(), last.uploadBytes() / 1048576.0, last.uploadBytes() / (2.0 * samples), last.downloadBytes(), last.downloadBytes() / 1048576.0);
            System.out.println("  exact: " + (exact ? "yes, every sample of every run equals the plaintext difference" : "NO"));
        }
        return exact ? 0 : Main.EXIT_ERROR;
    }

    /** Runs without the {@code bench} parent: {@code java -cp target/picrypt.jar io.picrypt.cli.BenchDiffCommand --json}. */
    public static void main(String[] args) {
        System.exit(new picocli.CommandLine(new BenchDiffCommand()).execute(args));
    }
}
