package io.picrypt.ckks;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.LongBuffer;
import java.util.Arrays;
import java.util.List;

/**
 * An immutable list of {@link #count()} 2-component ciphertexts at one level and one scale whose words live in one
 * direct buffer outside the Java heap (native byte order): the 1:N gallery's column data, so that a million identities
 * (8 KiB of column words each) do not need an 8 GB heap. Words are stored by tiles of w = min(TILE, n) coefficients,
 * the product kernel's tile: word (((i * n / w + k / w) * count + j) * 2 + c) * w + k % w is coefficient k (NTT form) of
 * limb i of component c of ciphertext j, so the kernel's task (one limb, one tile) reads each list as one contiguous
 * run of count * 2 * w words: sequential pages, which matters because direct memory is not on transparent huge pages
 * (4 KiB pages: one tile per page in a column-major layout, a TLB miss per tile; measured 25% more CPU). The seeds of still-seeded ciphertexts (32 bytes each) stay on the heap
 * so a fresh block still serializes as (c0, seed); c1 is stored expanded, since the products read it.
 *
 * <p>Memory: the buffer is reserved against {@code -XX:MaxDirectMemorySize} (default: the maximum heap size) and freed
 * by its Cleaner once this object is unreachable and a GC has noticed; an allocation that would pass the limit first
 * runs {@code System.gc()} and waits for pending cleaners (so {@code -XX:+DisableExplicitGC} must not be used), and only
 * then throws {@link OutOfMemoryError} "Cannot reserve ... direct buffer memory". Reads are thread-safe.
 */
public final class OffHeapCiphertexts {
    /** Coefficients per tile of the layout (ProductSum's tile: 512 words = 4 KiB). */
    static final int TILE = 512;

    private final LongBuffer words;
    private final int count, limbs, n, w;
    private final double scale;
    private final byte[][] seeds; // per ciphertext: the seed c1 was expanded from, or null

    private OffHeapCiphertexts(int count, int limbs, int n, double scale, byte[][] seeds) {
        long bytes = 16L * count * limbs * n;
        if (count < 1 || limbs < 1 || n < 1) throw new CkksException("an off-heap list needs at least one ciphertext, limb and coefficient");
        if (bytes > Integer.MAX_VALUE - 8) throw new CkksException(bytes + " bytes is more than one direct buffer holds (2 GiB)");
        this.words = ByteBuffer.allocateDirect((int) bytes).order(ByteOrder.nativeOrder()).asLongBuffer(); // zeroed
        this.count = count;
        this.limbs = limbs;
        this.n = n;
        this.w = Math.min(TILE, n);
        if (n % w != 0) throw new CkksException("ring degree " + n + " is not a multiple of " + w);
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
        OffHeapCiphertexts out = new OffHeapCiphertexts(cts.size(), level + 1, n, c0.scale, seeds);
        for (int j = 0; j < cts.size(); j++) {
            for (int c = 0; c < 2; c++) for (int i = 0; i <= level; i++) out.write(j, c, i, cts.get(j).comps[c][i]);
        }
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
     * Copies tile {@code tile} (coefficients [tile * TILE, (tile + 1) * TILE)) of limb i of ciphertexts j..j+k-1 into
     * dst[0, 2 k TILE): c0 of j, c1 of j, c0 of j+1, ... (one contiguous run; the products' operands).
     */
    void copyTiles(int j, int k, int i, int tile, long[] dst) {
        words.get(offset(j, 0, i, tile), dst, 0, 2 * k * w);
    }

    /** Index of the first word {@link #copyTiles} copies for (j, i, tile). */
    int tileOffset(int j, int i, int tile) {
        return offset(j, 0, i, tile);
    }

    /** One word by index (the kernel reads a word per cache line of the next run ahead of its copy: a prefetch by load). */
    long word(int index) {
        return words.get(index);
    }

    private void read(int j, int c, int i, long[] dst) {
        for (int t = 0; t < n / w; t++) words.get(offset(j, c, i, t), dst, t * w, w);
    }

    private void write(int j, int c, int i, long[] src) {
        for (int t = 0; t < n / w; t++) words.put(offset(j, c, i, t), src, t * w, w);
    }

    private int offset(int j, int c, int i, int tile) {
        return (((i * (n / w) + tile) * count + j) * 2 + c) * w;
    }

    private void checkIndex(int j) {
        if (j < 0 || j >= count) throw new IndexOutOfBoundsException("ciphertext " + j + " outside [0, " + count + ")");
    }

    @Override
    public String toString() {
        return "OffHeapCiphertexts(count=" + count + ", level=" + level() + ", scale=2^" + String.format("%.2f", Math.log(scale) / Math.log(2)) + ", " + offHeapBytes() + " bytes off-heap)";
    }

    // ---- for the ckks layer's copy-on-write updates (ObliviousExpansion.addShifted); kept at the end of the class

    /** A new zeroed, unseeded list of this one's shape (count, level, ring degree, scale), for a writer to fill before sharing it. */
    OffHeapCiphertexts unseededBlank() {
        return new OffHeapCiphertexts(count, limbs, n, scale, new byte[count][]);
    }

    /** Copies coefficients 0..n-1 of limb i of component c of ciphertext j into dst[0, n), tile by tile. */
    void readLimb(int j, int c, int i, long[] dst) {
        read(j, c, i, dst);
    }

    /**
     * Writes src[0, n) as limb i of component c of ciphertext j, tile by tile. Only for a list no reader has seen yet
     * (a {@link #unseededBlank()} being filled): published lists are immutable.
     */
    void writeLimb(int j, int c, int i, long[] src) {
        write(j, c, i, src);
    }
}
