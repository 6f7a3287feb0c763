package io.picrypt.match;

import io.picrypt.ckks.Ciphertext;
import io.picrypt.ckks.CkksException;
import io.picrypt.ckks.CkksParameters;
import io.picrypt.ckks.Decryptor;
import io.picrypt.ckks.Encoder;
import io.picrypt.ckks.Encryptor;
import io.picrypt.ckks.FrameWriter;
import io.picrypt.ckks.KeyGenerator;
import io.picrypt.ckks.SecretKey;
import io.picrypt.ckks.Serializer;

import java.util.List;
import java.util.stream.IntStream;

/**
 * Key owner of 1:N identification: holds the secret key: encrypts, decrypts, decides.
 *
 * <p>The key owner's side of 1:N identification: Galois keys for the server's expansion, seeded
 * symmetric encryptions of probes, enrollments and whole blocks, and decryption of results into
 * squared distances. Embeddings and distances never leave this object unencrypted.
 */
public final class GalleryKeyOwner {
    static final String BLOCK_MAGIC = "PCGI";
    static final String EVAL_MAGIC = "PCGE";

    private final CkksParameters params = GalleryParameters.get();
    private final SecretKey sk;
    private final Encoder encoder = new Encoder(params);
    private final Encryptor encryptor = new Encryptor(params);
    private final Decryptor decryptor;
    /** Null: inputs are already gallery vectors ({@link GalleryParameters#DIMENSION} values). */
    private final GalleryProjection projection;

    /**
     * A key owner whose inputs are gallery vectors of {@link GalleryParameters#DIMENSION} values (already projected:
     * synthetic data, or a block being re-packed by compaction). Decryption needs no basis.
     */
    public GalleryKeyOwner(SecretKey sk) {
        this(sk, null);
    }

    /**
     * A key owner whose inputs are model embeddings of {@link MatchParameters#DIMENSION} values, projected with
     * {@code projection} (the key directory's gallery basis) before they are encrypted.
     */
    public GalleryKeyOwner(SecretKey sk, GalleryProjection projection) {
        if (!sk.params().equals(params)) throw new CkksException("secret key is not for the gallery parameters");
        this.sk = sk;
        this.decryptor = new Decryptor(params, sk);
        this.projection = projection;
    }

    /** The basis inputs are projected with; null when they are gallery vectors already. */
    public GalleryProjection projection() { return projection; }

    /** The gallery vector of an input: projected (and re-normalised) with the basis, or checked as it is. */
    private float[] galleryVector(float[] embedding) {
        if (projection == null) {
            checkDim(embedding);
            return embedding;
        }
        float[] g = projection.project(embedding);
        checkDim(g);
        return g;
    }

    public static SecretKey generateSecretKey() {
        return new KeyGenerator(GalleryParameters.get()).secretKey();
    }

    /**
     * What the server needs, uploaded once per key set (~2.7 MB): "PCGE" v1 | length(u32) | Galois keys of
     * the expansion (log2 COLUMNS = 7) | relinearization key (results go back with 2 components).
     */
    public byte[] evaluationKeys() {
        KeyGenerator kg = new KeyGenerator(params);
        byte[] galois = Serializer.writeGaloisKeys(kg.galoisKeys(sk, GalleryParameters.galoisElements()));
        byte[] relin = Serializer.writeRelinKey(kg.relinKey(sk));
        return new FrameWriter(EVAL_MAGIC, 1, 9L + galois.length + relin.length).blob(galois).bytes(relin).toByteArray();
    }

    /**
     * One identity to be enrolled into any slot: coefficient e + d*COLUMNS = x_(PACK e + d) / COLUMNS, so that
     * the server's expansion yields, for column e, sum_d x_(PACK e + d) X^(d COLUMNS).
     */
    public byte[] encryptEnrollment(float[] input) {
        float[] embedding = galleryVector(input);
        int cols = GalleryParameters.COLUMNS;
        double[] c = new double[GalleryParameters.N];
        for (int i = 0; i < embedding.length; i++) c[i / GalleryParameters.PACK + (i % GalleryParameters.PACK) * cols] = embedding[i];
        return encrypt(c, GalleryParameters.ENROLL_WIRE_SCALE);
    }

    /**
     * A probe: coefficient e = p_(PACK e) / COLUMNS and coefficient N - d*COLUMNS + e = -p_(PACK e + d) / COLUMNS,
     * so that expansion output e is sum_d p_(PACK e + d) X^(-d COLUMNS): its product with column e has, at
     * position(s), sum_d x_(PACK e + d) p_(PACK e + d).
     */
    public byte[] encryptProbe(float[] input) {
        float[] embedding = galleryVector(input);
        int cols = GalleryParameters.COLUMNS, n = GalleryParameters.N;
        double[] c = new double[n];
        for (int i = 0; i < embedding.length; i++) {
            int e = i / GalleryParameters.PACK, d = i % GalleryParameters.PACK;
            if (d == 0) c[e] = embedding[i];
            else c[n - d * cols + e] = -embedding[i];
        }
        return encrypt(c, GalleryParameters.PROBE_WIRE_SCALE);
    }

    private byte[] encrypt(double[] coeffs, double scale) {
        Ciphertext ct = encryptor.encryptSymmetric(encoder.encodeCoefficients(coeffs, scale, GalleryParameters.LEVEL), sk);
        return Serializer.writeCiphertext(ct, params);
    }

    /**
     * Bulk import of up to {@link GalleryParameters#BLOCK_CAPACITY} identities (slots 0..size-1):
     * "PCGI" v1 | count(u32) | COLUMNS x (length(u32) | seeded column ciphertext), column e holding
     * dimension PACK e + d of slot s in coefficient position(s) + d COLUMNS, at 2^28 and level 0 (q0 only).
     */
    public byte[] encryptBlock(List<float[]> inputs) {
        int count = inputs.size();
        if (count < 1 || count > GalleryParameters.BLOCK_CAPACITY) {
            throw new IllegalArgumentException("a block holds 1.." + GalleryParameters.BLOCK_CAPACITY + " identities, got " + count);
        }
        // projecting is 256 x 512 multiply-adds per identity (~0.5 s for a full block on one core): on all cores, in order
        List<float[]> embeddings = inputs.parallelStream().map(this::galleryVector).toList();
        // columns are independent: encrypt them on all cores (SecureRandom is thread-safe)
        byte[][] cols = new byte[GalleryParameters.COLUMNS][];
        IntStream.range(0, cols.length).parallel().forEach(j -> {
            double[] column = new double[GalleryParameters.N];
            for (int s = 0; s < count; s++) {
                float[] e = embeddings.get(s);
                for (int d = 0; d < GalleryParameters.PACK; d++) {
                    int dim = GalleryParameters.PACK * j + d;
                    column[GalleryParameters.position(s) + d * GalleryParameters.COLUMNS] = dim < e.length ? e[dim] : 0;
                }
            }
            Ciphertext ct = encryptor.encryptSymmetric(
                    encoder.encodeCoefficients(column, GalleryParameters.TEMPLATE_SCALE, GalleryParameters.STORE_LEVEL), sk);
            cols[j] = Serializer.writeCiphertext(ct, params);
        });
        List<byte[]> list = List.of(cols);
        return new FrameWriter(BLOCK_MAGIC, 1, 9 + list.stream().mapToLong(b -> 4L + b.length).sum()).u32(count).blobs(list).toByteArray();
    }

    /**
     * Tolerance on every decrypted coefficient of a gallery result (inner-product units). Not a worst-case
     * proof like {@link MatchKeyOwner#NOISE_BOUND}: the expansion's key-switch and rescale errors are analysed
     * heuristically in docs/PROTOCOL.md "Noise and precision". Measured on a full block of 4,096 (256 dimensions, PACK 2,
     * {@code GalleryTest}): noise rms ~6.3e-5 on d^2 (3.2e-5 on an inner product), so 1e-3 is ~30 standard deviations.
     */
    public static final double NOISE_BOUND = 1e-3;

    /**
     * Largest honest |decrypted d^2 - plaintext d^2| of a (compact) gallery answer: d^2 = 2 - 2<x,p>, so twice
     * {@link #NOISE_BOUND} plus the switch's proved worst case {@link GalleryParameters#COMPACT_SWITCH_ERROR}.
     */
    public static final double DISTANCE_ERROR_BOUND = 2 * (NOISE_BOUND + GalleryParameters.COMPACT_SWITCH_ERROR);

    /**
     * Squared distances 2 - 2<x,p> for positions 0..count-1 (position = block * capacity + slot, blocks in
     * the order the server was given them); positions the server reported as not live are NaN. Every
     * decrypted coefficient of every block is checked: in a compact (v2) answer the BLOCK_CAPACITY inner products, within
     * [-1.01, 1.01] widened by {@link #NOISE_BOUND} and the switch's worst case
     * {@link GalleryParameters#COMPACT_SWITCH_ERROR}; in a v1 answer also the partial sums at the other coefficients,
     * within {@link MatchKeyOwner#MAX_PARTIAL} + {@link #NOISE_BOUND}.
     *
     * @throws IntegrityException when a value is impossible for an honest answer to this client's probe
     */
    public double[] decryptDistances(byte[] result, int count) {
        return decryptDistances(GalleryResult.read(result, params), count);
    }

    /** As {@link #decryptDistances(byte[], int)} for every position of every block of the result. */
    public double[] decryptAllDistances(byte[] result) {
        GalleryResult.Contents r = GalleryResult.read(result, params);
        return decryptDistances(r, r.blocks().size() * GalleryParameters.BLOCK_CAPACITY);
    }

    private double[] decryptDistances(GalleryResult.Contents r, int count) {
        long available = (long) r.blocks().size() * GalleryParameters.BLOCK_CAPACITY;
        if (count < 0 || count > available) throw new IntegrityException("result covers " + available + " positions, asked for " + count);
        double[] out = new double[count];
        for (int b = 0; b * GalleryParameters.BLOCK_CAPACITY < count; b++) {
            GalleryResult.BlockResult br = r.blocks().get(b);
            double[] inner = innerProducts(br, b);
            int base = b * GalleryParameters.BLOCK_CAPACITY;
            for (int s = 0; s < GalleryParameters.BLOCK_CAPACITY && base + s < count; s++) {
                out[base + s] = br.live(s) ? 2 - 2 * inner[s] : Double.NaN;
            }
        }
        return out;
    }

    private static final int[] POSITIONS = GalleryParameters.distancePositions();

    /**
     * The decrypted inner product of every slot of one block (index = slot), after the range checks: every coefficient
     * of a v1 result; every transmitted coefficient (the BLOCK_CAPACITY distance positions) of a compact v2 result,
     * whose bound also carries the switch's worst-case error.
     */
    private double[] innerProducts(GalleryResult.BlockResult br, int block) {
        if (br.compact() != null) {
            double[] v = br.compact().decrypt(sk, POSITIONS);
            double bound = MatchKeyOwner.MAX_INNER + NOISE_BOUND + GalleryParameters.COMPACT_SWITCH_ERROR;
            for (int s = 0; s < v.length; s++) {
                if (!(Math.abs(v[s]) <= bound)) throw outOfRange(block, v[s], POSITIONS[s], bound);
            }
            return v;
        }
        Ciphertext ct = br.ciphertext();
        if (Math.abs(ct.scale() - GalleryParameters.RESULT_SCALE) > 1e-9 * GalleryParameters.RESULT_SCALE) {
            throw new IntegrityException("result has an unexpected scale");
        }
        double[] coeffs = decryptor.decryptCoefficients(ct);
        checkRanges(coeffs, block);
        double[] v = new double[GalleryParameters.BLOCK_CAPACITY];
        for (int s = 0; s < v.length; s++) v[s] = coeffs[POSITIONS[s]];
        return v;
    }

    private static void checkRanges(double[] coeffs, int block) {
        int cols = GalleryParameters.COLUMNS;
        for (int c = 0; c < coeffs.length; c++) {
            boolean inner = (c / cols) % GalleryParameters.PACK == 0; // c = position(s) for some slot s
            double bound = (inner ? MatchKeyOwner.MAX_INNER : MatchKeyOwner.MAX_PARTIAL) + NOISE_BOUND;
            if (!(Math.abs(coeffs[c]) <= bound)) throw outOfRange(block, coeffs[c], c, bound);
        }
    }

    private static IntegrityException outOfRange(int block, double value, int coefficient, double bound) {
        return new IntegrityException(String.format(java.util.Locale.ROOT,
                "gallery block %d: decrypted value %.3g at coefficient %d is outside its range (+-%.3g): the block was not "
                        + "encrypted under this key directory's gallery key, or it or the answer is corrupted; no decision was made",
                block, value, coefficient, bound));
    }

    /**
     * Squared distances 2 - 2<x,p>, one per entry of {@code answer} in entry order. Only blocks holding a listed entry
     * are decrypted.
     *
     * @throws IntegrityException if the result does not hold one ciphertext per covered block, or lists an entry at a slot
     *                       the result reports as not live (an untrusted server's inconsistent answer),
     *                       or a decrypted value is outside its range (see {@link #decryptDistances(byte[], int)})
     */
    public double[] distances(GalleryFrames.Answer answer) {
        double[] out = new double[answer.entries().size()];
        GalleryResult.Contents r = GalleryResult.read(answer.result(), params);
        if (r.blocks().size() != answer.blocks().size()) {
            throw new IntegrityException("gallery answer covers " + answer.blocks().size() + " blocks but holds " + r.blocks().size() + " results");
        }
        // the names must be exactly the live slots: a live slot without a name would hide an identity
        long live = 0;
        for (GalleryResult.BlockResult br : r.blocks()) {
            for (int s = 0; s < GalleryParameters.BLOCK_CAPACITY; s++) if (br.live(s)) live++;
        }
        if (live != out.length) {
            throw new IntegrityException("the gallery answer names " + out.length + " identities but marks " + live
                    + " slots live: garbled answer, no decision was made");
        }
        if (out.length == 0) return out;
        java.util.Map<Integer, Integer> index = new java.util.HashMap<>();
        for (int i = 0; i < answer.blocks().size(); i++) index.put(answer.blocks().get(i), i);
        java.util.Map<Integer, double[]> decrypted = new java.util.HashMap<>();
        for (int k = 0; k < out.length; k++) {
            GalleryPosition at = GalleryPosition.of(answer.entries().get(k).position());
            Integer i = index.get(at.block());
            if (i == null) throw new IntegrityException("gallery answer lists an entry outside the blocks it covers");
            GalleryResult.BlockResult br = r.blocks().get(i);
            if (!br.live(at.slot())) throw new IntegrityException("the server listed a gallery slot it reported as not live");
            double[] inner = decrypted.computeIfAbsent(i, x -> innerProducts(br, answer.blocks().get(x)));
            out[k] = 2 - 2 * inner[at.slot()];
        }
        return out;
    }

    private static int checkDim(float[] e) {
        if (e == null || e.length == 0 || e.length > GalleryParameters.DIMENSION) {
            throw new IllegalArgumentException("embedding must have 1.." + GalleryParameters.DIMENSION + " dimensions");
        }
        double norm2 = 0;
        for (float v : e) {
            if (!Float.isFinite(v)) throw new IllegalArgumentException("embedding values must be finite");
            norm2 += (double) v * v;
        }
        // results have a factor ~4 of headroom below q0/2 for |<x,p>| <= 1: insist on L2-normalised input
        if (norm2 > 1.01) throw new IllegalArgumentException(String.format("embedding must be L2-normalised (norm^2 = %.4f)", norm2));
        return e.length;
    }
}
