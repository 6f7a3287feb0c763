package io.picrypt.ckks;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.LongBuffer;
import java.util.Arrays;
import java.util.List;

/**
 * An immutable list of {@link #count()} 2-component ciphertexts at one level and one scale whose words live in one
 * direct buffer outside the Java heap (native byte order): the 1:N gallery's column data, so that a million identities
 * (8 KiB of column words each) do not need an 8 GB heap. Words are stored by coefficient (row-major): word
 * ((i * n + k) * count + j) * 2 + c is coefficient k (NTT form) of limb i of component c of ciphertext j, so the 2 *
 * count words of one coefficient (a "row") are contiguous, and so are consecutive rows. The product kernel
 * ({@link ProductSum}) reads a block's rows for a range of coefficients as one sequential run and sums over the
 * ciphertexts of a row with its accumulators in registers (measured: 1.3-1.7x less CPU per multiply-add than the earlier
 * layout by tiles of 512 coefficients per ciphertext, whose kernel had to keep its sums in memory; docs/BENCHMARKS.md).
 * Sequential runs also matter because direct memory is not on transparent huge pages (4 KiB pages: a column-major
 * layout costs a TLB miss per page and measured 25% more CPU). The seeds of still-seeded ciphertexts (32 bytes each) stay on the heap
 * so a fresh block still serializes as (c0, seed); c1 is stored expanded, since the products read it.
 *
 * <p>Memory: the buffer is reserved against {@code -XX:MaxDirectMemorySize} (default: the maximum heap size) and freed
 * by its Cleaner once this object is unreachable and a GC has noticed; an allocation that would pass the limit first
 * runs {@code System.gc()} and waits for pending cleaners (so {@code -XX:+DisableExplicitGC} must not be used), and only
 * then throws {@link OutOfMemoryError} "Cannot reserve ... direct buffer memory". Reads are thread-safe: the buffer is
 * only accessed by absolute gets and puts, which never touch its position (in JDK 17 a bulk one is one memory copy); the
 * parallel fills ({@link #of}, the enrollment update) write disjoint rows from fork-join tasks, and
 * {@link io.picrypt.ring.Parallel#forEach} returns only after every task (a happens-before edge), so a list is
 * fully written before it is returned.
 */
public final class OffHeapCiphertexts {
    /** Rows per tile of the transposing copies ({@link #forEachRowTile}): 32 rows of 128 ciphertexts = 64 KiB. */
    static final int TRANSPOSE_ROWS = 32;

    private final LongBuffer words;
    private final int count, limbs, n;
    private final double scale;
    private final byte[][] seeds; // per ciphertext: the seed c1 was expanded from, or null
    private long[][] pairTerms;   // ProductSum's list-only terms, on the heap (3 words per limb and coefficient), or null
    private long[] pairModuli;    // the moduli they were computed for

    private OffHeapCiphertexts(int count, int limbs, int n, double scale, byte[][] seeds) {
        long bytes = 16L * count * limbs * n;
        if (count < 1 || limbs < 1 || n < 1) throw new CkksException("an off-heap list needs at least one ciphertext, limb and coefficient");
        if (bytes > Integer.MAX_VALUE - 8) throw new CkksException(bytes + " bytes is more than one direct buffer holds (2 GiB)");
        this.words = ByteBuffer.allocateDirect((int) bytes).order(ByteOrder.nativeOrder()).asLongBuffer(); // zeroed
        this.count = count;
        this.limbs = limbs;
        this.n = n;
        this.scale = scale;
        this.seeds = seeds;
    }

    /**
     * Copies ciphertexts off the heap.
     *
     * @param cts one or more 2-component ciphertexts at one level, one ring degree and exactly one scale
     * @throws CkksException if the list is empty, a ciphertext has 3 components, or levels, degrees or scales differ
     */
    public static OffHeapCiphertexts of(List<Ciphertext> cts) {
        if (cts.isEmpty()) throw new CkksException("an off-heap list needs at least one ciphertext");
        Ciphertext c0 = cts.get(0);
        int level = c0.level(), n = c0.comps[0][0].length;
        byte[][] seeds = new byte[cts.size()][];
        for (int j = 0; j < cts.size(); j++) {
            Ciphertext c = cts.get(j);
            if (c.size() != 2 || c.level() != level || c.comps[0][0].length != n) {
                throw new CkksException("an off-heap list holds 2-component ciphertexts at one level (" + level + ") and ring degree, got " + c);
            }
            if (c.scale != c0.scale) throw new CkksException("an off-heap list holds ciphertexts at one scale, got " + c + " after " + c0);
            seeds[j] = c.seed == null ? null : c.seed.clone();
        }
        int count = cts.size();
        OffHeapCiphertexts out = new OffHeapCiphertexts(count, level + 1, n, c0.scale, seeds);
        // each source array is read in runs of a tile's rows, the buffer written in order
        out.forEachRowTile((i, k0, nr, tile, stride) -> {
            for (int j = 0; j < count; j++) for (int c = 0; c < 2; c++) {
                long[] src = cts.get(j).comps[c][i];
                for (int r = 0, x = 2 * j + c; r < nr; r++, x += stride) tile[x] = src[k0 + r];
            }
            out.writeRows(i, k0, nr, tile, stride);
        });
        return out;
    }

    /** {@link #of(List)} of an array. */
    public static OffHeapCiphertexts of(Ciphertext... cts) {
        return of(Arrays.asList(cts));
    }

    /**
     * {@code count} transparent encryptions of zero (all words 0, not seeded) at the given level and scale.
     *
     * @throws CkksException if count < 1 or the level is outside [0, maxLevel]
     */
    public static OffHeapCiphertexts zeros(CkksParameters params, int count, int level, double scale) {
        if (level < 0 || level > params.maxLevel()) throw new CkksException("level " + level + " outside [0, " + params.maxLevel() + "]");
        return new OffHeapCiphertexts(count, level + 1, params.n(), scale, new byte[count][]);
    }

    public int count() { return count; }

    public int level() { return limbs - 1; }

    public double scale() { return scale; }

    /** Ring degree: coefficients per limb. */
    public int ringDegree() { return n; }

    /** Whether ciphertext j still carries the seed of its c1 (serialized as (c0, seed)). */
    public boolean isSeeded(int j) {
        checkIndex(j);
        return seeds[j] != null;
    }

    /** Bytes of the direct buffer outside the heap: 16 * count * limbs * n. */
    public long offHeapBytes() { return 16L * count * limbs * n; }

    /** Ciphertext j copied onto the heap (for serialization and enrollment math): 2 components, seed kept. */
    public Ciphertext ciphertext(int j) {
        checkIndex(j);
        long[][][] comps = new long[2][limbs][n];
        for (int c = 0; c < 2; c++) for (int i = 0; i < limbs; i++) read(j, c, i, comps[c][i]);
        return new Ciphertext(comps, scale, seeds[j] == null ? null : seeds[j].clone());
    }

    /**
     * Every ciphertext copied onto the heap, in order (for serialization): as {@link #ciphertext} for each j, by one
     * transposing pass over the buffer in order (a strided read per ciphertext would miss the cache on every word).
     */
    public List<Ciphertext> ciphertexts() {
        long[][][][] comps = new long[count][2][limbs][n];
        forEachRowTile((i, k0, nr, tile, stride) -> {
            copyRows(i, k0, nr, tile, stride);
            for (int j = 0; j < count; j++) for (int c = 0; c < 2; c++) {
                long[] dst = comps[j][c][i];
                for (int r = 0, x = 2 * j + c; r < nr; r++, x += stride) dst[k0 + r] = tile[x];
            }
        });
        List<Ciphertext> out = new java.util.ArrayList<>(count);
        for (int j = 0; j < count; j++) out.add(new Ciphertext(comps[j], scale, seeds[j] == null ? null : seeds[j].clone()));
        return out;
    }

    /** Index of the first word of row k (coefficient k of every ciphertext, c0 then c1) of limb i. */
    int rowOffset(int i, int k) {
        return (i * n + k) * count * 2;
    }

    /** Copies {@code rows} consecutive rows of limb i from row k (rows * 2 * count words, one sequential run) into dst[0, ...). */
    void copyRows(int i, int k, int rows, long[] dst) {
        words.get(rowOffset(i, k), dst, 0, rows * 2 * count);
    }

    /** What a transposing copy does with one tile: rows [k0, k0 + rows) of limb i, in scratch rows {@code stride} words apart. */
    interface RowTile {
        void accept(int i, int k0, int rows, long[] tile, int stride);
    }

    /**
     * Runs {@code body} over every tile of {@link #TRANSPOSE_ROWS} rows of every limb, in parallel, each with its own scratch
     * tile (not filled: the body copies rows in or out itself). The scratch rows are 2 count words plus one cache line
     * apart: unpadded, a ciphertext's run down a tile steps by 2 count words (2 KiB for 128 ciphertexts), which maps every
     * word of the run to the same couple of L1 sets. The transposes between ciphertexts and rows ({@link #of},
     * {@link #ciphertexts()}, ObliviousExpansion.addShifted) are bodies of this.
     */
    void forEachRowTile(RowTile body) {
        int rows = Math.min(TRANSPOSE_ROWS, n), tiles = (n + rows - 1) / rows, stride = 2 * count + 8;
        io.picrypt.ring.Parallel.forEach(tiles * limbs, task -> {
            int i = task / tiles, k0 = task % tiles * rows, nr = Math.min(rows, n - k0);
            body.accept(i, k0, nr, new long[nr * stride], stride);
        });
    }

    /** {@link #copyRows} into rows {@code stride} words apart in dst. */
    void copyRows(int i, int k, int rows, long[] dst, int stride) {
        for (int r = 0; r < rows; r++) words.get(rowOffset(i, k + r), dst, r * stride, 2 * count);
    }

    /**
     * Writes {@code rows} rows of limb i from row k out of src, rows {@code stride} words apart. Only for a list no reader
     * has seen yet (a {@link #unseededBlank()} or a list {@link #of} is filling): published lists are immutable.
     */
    void writeRows(int i, int k, int rows, long[] src, int stride) {
        for (int r = 0; r < rows; r++) words.put(rowOffset(i, k + r), src, r * stride, 2 * count);
    }

    private void read(int j, int c, int i, long[] dst) {
        int stride = 2 * count;
        for (int k = 0, x = rowOffset(i, 0) + 2 * j + c; k < n; k++, x += stride) dst[k] = words.get(x);
    }

    private void checkIndex(int j) {
        if (j < 0 || j >= count) throw new IndexOutOfBoundsException("ciphertext " + j + " outside [0, " + count + ")");
    }

    @Override
    public String toString() {
        return "OffHeapCiphertexts(count=" + count + ", level=" + level() + ", scale=2^" + String.format("%.2f", Math.log(scale) / Math.log(2)) + ", " + offHeapBytes() + " bytes off-heap)";
    }

    // ---- for the ckks layer's copy-on-write updates (ObliviousExpansion.addShifted); kept at the end of the class

    /** The product kernel's list-only terms ({@link ProductSum#prepare}) if computed for these moduli, else null. Callers hold this list's lock. */
    long[][] pairTerms(long[] moduli) {
        return pairTerms != null && Arrays.equals(pairModuli, moduli) ? pairTerms : null;
    }

    /** Keeps the product kernel's list-only terms (derived from the immutable words, so valid for this list's lifetime). Callers hold this list's lock. */
    void setPairTerms(long[] moduli, long[][] terms) {
        pairModuli = moduli.clone();
        pairTerms = terms;
    }

    /** A new zeroed, unseeded list of this one's shape (count, level, ring degree, scale), for a writer to fill before sharing it. */
    OffHeapCiphertexts unseededBlank() {
        return new OffHeapCiphertexts(count, limbs, n, scale, new byte[count][]);
    }

}
