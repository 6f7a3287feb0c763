package io.picrypt.match;

import io.picrypt.ckks.Ciphertext;
import io.picrypt.ckks.CkksException;
import io.picrypt.ckks.CkksParameters;
import io.picrypt.ckks.CompactRelinearizer;
import io.picrypt.ckks.Evaluator;
import io.picrypt.ckks.FrameReader;
import io.picrypt.ckks.FrameWriter;
import io.picrypt.ckks.RelinKey;
import io.picrypt.ckks.GaloisKeys;
import io.picrypt.ckks.ObliviousExpansion;
import io.picrypt.ckks.OffHeapCiphertexts;
import io.picrypt.ckks.ProductSum;
import io.picrypt.ckks.Serializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.stream.IntStream;

/**
 * Evaluator of 1:N identification: evaluates with public evaluation keys only; never holds a secret key.
 *
 * <p>A {@link Block} holds up to N / PACK = 4096
 * identities as COLUMNS = 128 column ciphertexts: column e encrypts dimensions PACK e + d (d < PACK = 2) of the
 * identity's gallery vector in slot s at coefficients position(s) + 128 d. A probe arrives as one ciphertext and is
 * expanded (127 key-switched substitutions) into 128 ciphertexts P_e = sum_d p_(4e+d) X^(-128 d);
 * then every block's result is sum_e C_e (x) P_e (tensor products, each of its three inner products over e
 * computed with Winograd's pairing, one product per pair of columns: {@link io.picrypt.ckks.ProductSum}; the block's
 * own terms are computed at bulk import, else by the first identify over 8 or more blocks after its columns change), whose coefficient position(s) is the encrypted inner product with
 * slot s, relinearized and sent with 2 components. Columns, expanded probes and results live at q0 alone.
 *
 * <p>Deletion is a tombstone: the server cannot zero one coefficient of a column it cannot read, so a
 * deleted slot keeps its (encrypted) contribution, is reported as not live in results, and is never
 * reused; the bytes stay until the block is rebuilt by the key owner (see docs/PROTOCOL.md, "1:N at scale").
 *
 * <p>Memory: a block's columns (16 MiB, 8 KiB per identity) live outside the Java heap ({@link OffHeapCiphertexts});
 * the heap holds the product kernel's per-block terms once a block is part of an identify over 8 or more blocks, was
 * bulk-imported or was loaded with 7 or more others ({@link #prepare(List)}) (192 KiB: 3 words per coefficient, {@link io.picrypt.ckks.ProductSum#prepare}) and about 3 KB of slot states, seeds and object headers per block. An enrollment writes a new 16 MiB
 * buffer (readers keep their snapshot); the old one is freed once unreachable (see {@link OffHeapCiphertexts}).
 */
public final class GalleryEvaluator {
    private static final Logger log = LoggerFactory.getLogger(GalleryEvaluator.class);
    static final String STORE_MAGIC = "PCGS";
    /**
     * Version of the stored block frame: 2 since gallery vectors have 256 dimensions (PACK 2, 4096 identities per block).
     * Version 1 blocks (512 dimensions, PACK 4, 2048 identities) are refused with {@link OutdatedGalleryException}.
     */
    public static final int STORE_VERSION = 2;
    /** The stored frame of the 512-dimensional layout (picrypt before the 256-dimensional gallery). */
    static final int LEGACY_STORE_VERSION = 1;
    /** Bytes of a stored block that {@link #checkStoredLayout} needs: magic and version. */
    public static final int STORE_HEADER_BYTES = 5;

    public enum SlotState { FREE, LIVE, DELETED }

    private final CkksParameters params = GalleryParameters.get();
    private final Evaluator ev = new Evaluator(params);
    private final ObliviousExpansion expansion = new ObliviousExpansion(params);
    private final GaloisKeys keys;
    private final RelinKey relinKey;
    /**
     * Each block's product sum relinearized and switched down to its compact answer in one pass (the answer's math is
     * ckks's). Built at the first answer: its prepared key (Shoup companions of 4 x N words) costs 17-98 ms (measured
     * under load), which evaluators that only enroll or import never need.
     */
    private volatile CompactRelinearizer answerer;
    private final Object answererLock = new Object();
    /** The product sums' arrays of identify, reused across calls and evaluators (see {@link SumBuffers}). */
    static final SumBuffers SUMS = new SumBuffers(GalleryParameters.get().n(), Runtime.getRuntime().maxMemory());

    /** Builds the server from the client's {@link GalleryKeyOwner#evaluationKeys()}: exactly the expansion keys and a relinearization key. */
    public GalleryEvaluator(byte[] evaluationKeys) {
        FrameReader r = FrameReader.open(evaluationKeys, GalleryKeyOwner.EVAL_MAGIC, 1, "gallery evaluation keys");
        byte[] galois = r.blob("Galois keys", 0, Integer.MAX_VALUE);
        byte[] relin = r.rest();
        this.relinKey = Serializer.readRelinKey(relin, params);
        GaloisKeys k = Serializer.readGaloisKeys(galois, params);
        if (!k.galoisElements().equals(new HashSet<>(GalleryParameters.galoisElements()))) {
            throw new CkksException("evaluation keys must be exactly the expansion keys " + GalleryParameters.galoisElements()
                    + ", got " + k.galoisElements());
        }
        this.keys = k;
        expansion.prepare(k, GalleryParameters.COLUMNS);
    }

    /**
     * Up to BLOCK_CAPACITY identities as COLUMNS column ciphertexts. Reads (identify, serialization) see one consistent
     * snapshot; writers (enroll, delete) are serialized per block and publish a new snapshot.
     */
    public static final class Block {
        private record State(OffHeapCiphertexts columns, byte[] slots) {}

        private volatile State state;

        private Block(OffHeapCiphertexts columns, byte[] slots) {
            this.state = new State(columns, slots);
        }

        public int capacity() { return GalleryParameters.BLOCK_CAPACITY; }

        /**
         * A private copy for a writer: it shares this block's current (immutable) columns and slot states, so it costs
         * nothing, and what is enrolled into or deleted from it does not show in this block.
         */
        public Block copy() {
            State st = state;
            return new Block(st.columns, st.slots);
        }

        public SlotState slot(int s) {
            checkSlot(s);
            return SlotState.values()[state.slots[s]];
        }

        public int liveCount() {
            int c = 0;
            for (byte b : state.slots) if (b == SlotState.LIVE.ordinal()) c++;
            return c;
        }

        /** The first free slot, or -1 when the block is full (deleted slots are not reused). */
        public int firstFreeSlot() {
            byte[] s = state.slots;
            for (int i = 0; i < s.length; i++) if (s[i] == SlotState.FREE.ordinal()) return i;
            return -1;
        }

        /** The current snapshot's columns (tests: whether the product kernel's per-block terms are ready). */
        OffHeapCiphertexts columns() { return state.columns; }

        /** Bytes of column data outside the Java heap (16 MiB: COLUMNS 2-component ciphertexts of N words at q0). */
        public long offHeapBytes() { return state.columns.offHeapBytes(); }

        /** Slot states, one byte each (0 free, 1 live, 2 deleted): the block's metadata row. */
        public byte[] slotStates() { return state.slots.clone(); }

        /** Column j serialized (seeded while it is still the client's fresh encryption): a store's row per column. */
        public byte[] columnBytes(int j) {
            if (j < 0 || j >= GalleryParameters.COLUMNS) throw new IllegalArgumentException("column " + j + " outside [0, " + GalleryParameters.COLUMNS + ")");
            return Serializer.writeCiphertext(state.columns.ciphertext(j), GalleryParameters.get());
        }

        /** "PCGS" v2 | slot states (BLOCK_CAPACITY bytes) | COLUMNS x (length(u32) | column ciphertext). */
        public byte[] toBytes() {
            State st = state;
            List<byte[]> cols = st.columns.ciphertexts().stream().map(c -> Serializer.writeCiphertext(c, GalleryParameters.get())).toList();
            return new FrameWriter(STORE_MAGIC, STORE_VERSION, 5L + st.slots.length + cols.stream().mapToLong(b -> 4L + b.length).sum())
                    .bytes(st.slots).blobs(cols).toByteArray();
        }

        private static void checkSlot(int s) {
            if (s < 0 || s >= GalleryParameters.BLOCK_CAPACITY) throw new IllegalArgumentException("slot " + s + " outside [0, " + GalleryParameters.BLOCK_CAPACITY + ")");
        }
    }

    // ------------------------------------------------------------------ blocks

    /** An empty block: transparent zero columns (the server knows they are zero anyway). */
    public Block newBlock() {
        return new Block(OffHeapCiphertexts.zeros(params, GalleryParameters.COLUMNS, GalleryParameters.STORE_LEVEL, GalleryParameters.TEMPLATE_SCALE),
                new byte[GalleryParameters.BLOCK_CAPACITY]);
    }

    /** A block from the client's {@link GalleryKeyOwner#encryptBlock} bytes: slots 0..count-1 live. */
    public Block importBlock(byte[] bulk) {
        FrameReader r = FrameReader.open(bulk, GalleryKeyOwner.BLOCK_MAGIC, 1, "gallery bulk block");
        int count = r.count("identity count", 1, GalleryParameters.BLOCK_CAPACITY, 0);
        OffHeapCiphertexts cols = readColumns(r);
        byte[] slots = new byte[GalleryParameters.BLOCK_CAPACITY];
        Arrays.fill(slots, 0, count, (byte) SlotState.LIVE.ordinal());
        // bulk import builds large galleries: the product kernel's per-block terms now, not in the first identify (~10 ms of CPU per block)
        ProductSum.prepare(params, cols);
        return new Block(cols, slots);
    }

    /**
     * A block from {@link Block#toBytes()}.
     *
     * @throws OutdatedGalleryException a block of the 512-dimensional layout ("PCGS" v1): never computed on
     */
    public Block readBlock(byte[] stored) {
        FrameReader r = openStored(stored);
        byte[] slots = r.bytes(GalleryParameters.BLOCK_CAPACITY);
        checkSlots(slots);
        return new Block(readColumns(r), slots);
    }

    /** A block from its metadata row and its COLUMNS column rows ({@link Block#slotStates()}, {@link Block#columnBytes}). */
    public Block readBlock(byte[] slotStates, List<byte[]> columns) {
        if (slotStates == null || slotStates.length != GalleryParameters.BLOCK_CAPACITY) throw new CkksException("slot states must be " + GalleryParameters.BLOCK_CAPACITY + " bytes");
        byte[] slots = slotStates.clone();
        checkSlots(slots);
        if (columns == null || columns.size() != GalleryParameters.COLUMNS) throw new CkksException("a block has exactly " + GalleryParameters.COLUMNS + " columns");
        Ciphertext[] cols = new Ciphertext[GalleryParameters.COLUMNS];
        for (int j = 0; j < cols.length; j++) cols[j] = validateColumn(columns.get(j));
        return new Block(OffHeapCiphertexts.of(cols), slots);
    }

    /**
     * Refuses a stored block whose header ({@link #STORE_HEADER_BYTES} bytes or more of it) says it is in an earlier
     * version's layout. Anything else passes here (a frame that is not a stored block at all is the parser's to refuse).
     *
     * @throws OutdatedGalleryException for "PCGS" v1
     */
    public static void checkStoredLayout(byte[] header) {
        if (isOutdated(header)) throw new OutdatedGalleryException();
    }

    /** Whether these first bytes of a stored block are those of "PCGS" v1 (the 512-dimensional layout). */
    public static boolean isOutdated(byte[] header) {
        return header != null && header.length >= STORE_HEADER_BYTES
                && java.util.Arrays.equals(header, 0, 4, STORE_MAGIC.getBytes(java.nio.charset.StandardCharsets.US_ASCII), 0, 4)
                && (header[4] & 0xFF) == LEGACY_STORE_VERSION;
    }

    /** A reader of a stored block: "PCGS" v{@link #STORE_VERSION}, an outdated layout refused by type first. */
    static FrameReader openStored(byte[] stored) {
        checkStoredLayout(stored);
        return FrameReader.open(stored, STORE_MAGIC, STORE_VERSION, "stored gallery block");
    }

    private static void checkSlots(byte[] slots) {
        for (byte s : slots) if (s < 0 || s > 2) throw new CkksException("bad slot state " + s);
    }

    /** COLUMNS x (length(u32) | column ciphertext), seeded or not, and nothing after them. */
    private OffHeapCiphertexts readColumns(FrameReader r) {
        long seeded = Serializer.ciphertextBytes(params, 2, GalleryParameters.STORE_LEVEL, true);
        long full = Serializer.ciphertextBytes(params, 2, GalleryParameters.STORE_LEVEL, false);
        List<byte[]> bytes = r.blobs(GalleryParameters.COLUMNS, "column", seeded, full);
        r.end();
        Ciphertext[] cols = new Ciphertext[GalleryParameters.COLUMNS];
        for (int j = 0; j < cols.length; j++) {
            if (bytes.get(j).length != seeded && bytes.get(j).length != full) throw r.error("bad length " + bytes.get(j).length + " of column " + j);
            cols[j] = validateColumn(bytes.get(j));
        }
        return OffHeapCiphertexts.of(cols);
    }

    private Ciphertext validateColumn(byte[] bytes) {
        return validate(bytes, GalleryParameters.STORE_LEVEL, GalleryParameters.TEMPLATE_SCALE, "column");
    }

    /** A 2-component ciphertext at the given level and scale. */
    private Ciphertext validate(byte[] bytes, int level, double scale, String what) {
        if (bytes == null) throw new CkksException("missing " + what);
        Ciphertext ct = Serializer.readCiphertext(bytes, params);
        if (ct.size() != 2 || ct.level() != level) throw new CkksException(what + " must be a 2-component ciphertext at level " + level);
        if (ct.scale() != scale) throw new CkksException(String.format("%s scale is not 2^%.3f", what, Math.log(scale) / Math.log(2)));
        return ct;
    }

    /**
     * Expands a wire ciphertext (at q0 q1) into COLUMNS ciphertexts at q0: rescaled by q1 after
     * {@link GalleryParameters#EXPANSION_RESCALE_AFTER} of the 7 levels, which drops the input's noise (multiplied by
     * 128 with the message) and runs the last levels' 96 key switches at one prime ({@link ObliviousExpansion#expand(Ciphertext, int, GaloisKeys, int)}).
     */
    private List<Ciphertext> expandToQ0(Ciphertext ct) {
        return expansion.expand(ct, GalleryParameters.COLUMNS, keys, GalleryParameters.EXPANSION_RESCALE_AFTER);
    }

    // ------------------------------------------------------------------ enrollment and deletion

    /** Wall-clock nanoseconds of one enrollment's phases: validation, expansion (127 key switches and a rescale), and the fused X^position + add into the 128 columns. */
    public record EnrollTimings(long validateNanos, long expandNanos, long updateNanos) {
        @Override
        public String toString() {
            return String.format(java.util.Locale.ROOT, "validation %.1f ms, expansion %.1f ms, shift+add %.1f ms",
                    validateNanos / 1e6, expandNanos / 1e6, updateNanos / 1e6);
        }
    }

    /**
     * Expands a {@link GalleryKeyOwner#encryptEnrollment} ciphertext to q0 (rescaled by q1 after
     * {@link GalleryParameters#EXPANSION_RESCALE_AFTER} levels, as probes) and adds x_j X^position(slot) into every
     * column: column_j + expanded_j * X^position, in one pass over the off-heap columns
     * ({@link ObliviousExpansion#addShifted}). Deterministic: enrolling the same bytes into the same block state gives
     * the same columns (a store replays pending enrollments this way).
     *
     * @throws CkksException         malformed enrollment (not a 2-component ciphertext at LEVEL and ENROLL_WIRE_SCALE)
     * @throws IllegalStateException the slot is not free
     */
    public EnrollTimings enroll(Block block, int slot, byte[] enrollment) {
        Block.checkSlot(slot);
        long t0 = System.nanoTime();
        Ciphertext ct = validate(enrollment, GalleryParameters.LEVEL, GalleryParameters.ENROLL_WIRE_SCALE, "enrollment");
        checkFree(block.state, slot); // fail before the expensive part
        REAL_WORK.set(true);
        long t1 = System.nanoTime();
        // the expansion (127 key switches) does not depend on the block: do it outside the block's lock
        List<Ciphertext> x = expandToQ0(ct);
        long t2 = System.nanoTime();
        synchronized (block) {
            Block.State st = block.state;
            checkFree(st, slot);
            // read the old off-heap words, write a new buffer (one pass): readers keep their snapshot of the old one
            OffHeapCiphertexts cols = expansion.addShifted(st.columns, x, GalleryParameters.position(slot));
            byte[] slots = st.slots.clone();
            slots[slot] = (byte) SlotState.LIVE.ordinal();
            // the product kernel's per-block terms for the new columns are left to the next identify over 8 or more
            // blocks (~5-10 ms of CPU there; measured ~+30 ms here under load, where the 0.3 s target is tight)
            block.state = new Block.State(cols, slots);
        }
        EnrollTimings t = new EnrollTimings(t1 - t0, t2 - t1, System.nanoTime() - t2);
        log.debug("enrolled slot {}: {}", slot, t);
        return t;
    }

    private static final java.util.concurrent.atomic.AtomicBoolean WARMED = new java.util.concurrent.atomic.AtomicBoolean();
    /** Set when a real enrollment or probe expansion starts in this process: it compiles the same code, so a warm-up stops. */
    private static final java.util.concurrent.atomic.AtomicBoolean REAL_WORK = new java.util.concurrent.atomic.AtomicBoolean();
    /** Warm-up units run by {@link #warmUpOnce()} (each WARM_OUTPUTS - 1 key switches and a WARM_OUTPUTS-column update). */
    static final int WARM_UNITS = 8, WARM_OUTPUTS = 8;

    /**
     * Once per process, in a background daemon thread: throwaway work on random words with this evaluator's keys, so
     * the JIT has compiled the expansion and update code before the first real enrollment. Small units
     * ({@link #WARM_UNITS} expansions into {@link #WARM_OUTPUTS} ciphertexts and the fused update of as many columns: 56
     * key switches in all, under half of one enrollment's 127) that stop as soon as a real enrollment or identify starts
     * in this process: that work compiles the same code, and a warm-up beside it only takes cores from it. Measured in
     * fresh JVMs (process CPU, load 9-12, docs/BENCHMARKS.md "Single enrollment"): the first enrollment took 1.7-1.9 s
     * without a warm-up, 0.6-0.66 s after this one (1.2-1.4 s of CPU), 0.45-0.52 s after two whole throwaway
     * enrollments (2.4-2.6 s of CPU, the former warm-up). Touches no block, store or state. A server calls it when it
     * loads a gallery.
     */
    public void warmUpOnce() {
        if (REAL_WORK.get() || !WARMED.compareAndSet(false, true)) return;
        Thread t = new Thread(() -> {
            try {
                int done = warmUp(WARM_UNITS, false);
                log.debug("expansion warmed up: {} of {} units", done, WARM_UNITS);
            } catch (RuntimeException e) {
                log.debug("expansion warm-up failed: {}", e.toString());
            }
        }, "gallery-warm-up");
        t.setDaemon(true);
        t.setPriority(Thread.MIN_PRIORITY);
        t.start();
    }

    /** Runs up to {@code units} warm-up units, none after real work has started unless {@code regardless} (tests); returns how many ran. */
    int warmUp(int units, boolean regardless) {
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(1);
        long[][][] comps = new long[2][GalleryParameters.LEVEL + 1][GalleryParameters.N];
        for (long[][] c : comps) {
            for (int i = 0; i < c.length; i++) {
                long q = params.ring().modulus(i).value();
                for (int j = 0; j < c[i].length; j++) c[i][j] = rnd.nextLong(q);
            }
        }
        Ciphertext ct = Ciphertext.fromComponents(comps, GalleryParameters.ENROLL_WIRE_SCALE * GalleryParameters.COLUMNS / WARM_OUTPUTS);
        OffHeapCiphertexts scratch = OffHeapCiphertexts.zeros(params, WARM_OUTPUTS, GalleryParameters.STORE_LEVEL, GalleryParameters.TEMPLATE_SCALE);
        int u = 0;
        for (; u < units && (regardless || !REAL_WORK.get()); u++) {
            // rescaled after the first of its 3 levels: both key-switch widths, the rescale and the update get compiled
            List<Ciphertext> x = expansion.expand(ct, WARM_OUTPUTS, keys, 1);
            expansion.addShifted(scratch, x, GalleryParameters.position(u));
        }
        return u;
    }

    private static void checkFree(Block.State st, int slot) {
        if (st.slots[slot] != SlotState.FREE.ordinal()) throw new IllegalStateException("slot " + slot + " is " + SlotState.values()[st.slots[slot]]);
    }

    /** Tombstones a live slot: excluded from results, never reused (its encrypted contribution stays). */
    public void delete(Block block, int slot) {
        Block.checkSlot(slot);
        synchronized (block) {
            Block.State st = block.state;
            if (st.slots[slot] != SlotState.LIVE.ordinal()) throw new IllegalStateException("slot " + slot + " is not live");
            byte[] slots = st.slots.clone();
            slots[slot] = (byte) SlotState.DELETED.ordinal();
            block.state = new Block.State(st.columns, slots);
        }
    }

    // ------------------------------------------------------------------ identification

    /**
     * Computes the product kernel's per-block terms ({@link ProductSum#prepareAll}) for blocks just loaded, when an
     * identify over them would need them (8 or more blocks): ~10 ms of CPU per block, spent here instead of in the
     * first identify (at 1,000,000 identities ~5 s of CPU).
     */
    public void prepare(List<Block> blocks) {
        ProductSum.prepareAll(params, blocks.stream().map(b -> b.state.columns()).toList());
    }

    /** Validates and expands a probe into COLUMNS ciphertexts sum_d p_(PACK e + d) X^(-d COLUMNS) at 2^40. */
    public List<Ciphertext> expandProbe(byte[] probe) {
        Ciphertext ct = validate(probe, GalleryParameters.LEVEL, GalleryParameters.PROBE_WIRE_SCALE, "probe");
        REAL_WORK.set(true);
        return expandToQ0(ct);
    }

    /** One compact result per block, in order (see {@link GalleryResult}). */
    public byte[] identify(List<Block> blocks, byte[] probe) {
        Profiled p = identifyProfiled(blocks, probe);
        log.debug("identify over {} blocks: {}", blocks.size(), p.timings());
        return p.result();
    }

    /**
     * Wall-clock nanoseconds of the phases of one identify: expansion (and rescale), block products, and the answer
     * (relinearization, switch-down and serialization, fused per block: {@link CompactRelinearizer}).
     */
    public record Timings(long expandNanos, long productsNanos, long answerNanos) {
        @Override
        public String toString() {
            return String.format(java.util.Locale.ROOT, "expansion %d ms, products %d ms, relinearization + compact answer %d ms",
                    expandNanos / 1_000_000, productsNanos / 1_000_000, answerNanos / 1_000_000);
        }
    }

    public record Profiled(byte[] result, Timings timings) {}

    /** {@link #identify} with the time of each phase. */
    public Profiled identifyProfiled(List<Block> blocks, byte[] probe) {
        long t0 = System.nanoTime();
        List<Ciphertext> expanded = expandProbe(probe);
        long t1 = System.nanoTime();
        long[] t2 = new long[1];
        byte[] bytes = productsAndAnswer(blocks, expanded, t2);
        long t3 = System.nanoTime();
        return new Profiled(bytes, new Timings(t1 - t0, t2[0] - t1, t3 - t2[0]));
    }

    /** The block products for an already expanded probe ({@link #identify} = {@link #expandProbe} + this; tests reuse one expansion). */
    public byte[] identifyExpanded(List<Block> blocks, List<Ciphertext> probe) {
        return productsAndAnswer(blocks, probe, new long[1]);
    }

    /** Products into pooled arrays ({@link #SUMS}), then the answer; productsDone[0] = System.nanoTime() between the two. */
    private byte[] productsAndAnswer(List<Block> blocks, List<Ciphertext> probe, long[] productsDone) {
        List<Block.State> states = blocks.stream().map(b -> b.state).toList(); // one snapshot: columns and bitmaps agree
        long[][][][] buffers = SUMS.take(checkedCount(states));
        try {
            List<Ciphertext> sums = sums(states, probe, buffers);
            productsDone[0] = System.nanoTime();
            return answerOf(states, sums);
        } finally {
            SUMS.give(buffers); // the sums are dead once the answer is written
        }
    }

    /**
     * Each block's product sum sum_e C_e (x) P_e: 3-component level-0 ciphertexts at RESULT_SCALE, not relinearized
     * ({@link #answer} turns them into the answer). With {@link #answer}, the two halves of {@link #identifyExpanded}
     * (timed apart by {@code bench gallery}).
     */
    public List<Ciphertext> productSums(List<Block> blocks, List<Ciphertext> probe) {
        return sums(blocks.stream().map(b -> b.state).toList(), probe, null); // the caller keeps them: not pooled
    }

    /**
     * The PCGR v2 answer from {@link #productSums} of the same blocks (live bitmaps read now): each sum relinearized and
     * switched down in one pass ({@link CompactRelinearizer}), on all cores.
     */
    public byte[] answer(List<Block> blocks, List<Ciphertext> sums) {
        return answerOf(blocks.stream().map(b -> b.state).toList(), sums);
    }

    private byte[] answerOf(List<Block.State> states, List<Ciphertext> sums) {
        return GalleryResult.write(states.stream().map(GalleryEvaluator::liveBitmap).toList(), sums, answerer());
    }

    private CompactRelinearizer answerer() {
        CompactRelinearizer a = answerer;
        if (a == null) {
            synchronized (answererLock) {
                a = answerer;
                if (a == null) {
                    answerer = a = new CompactRelinearizer(params, relinKey, GalleryParameters.distancePositions(),
                            GalleryParameters.RESULT_LOG_T0, GalleryParameters.RESULT_LOG_T1);
                }
            }
        }
        return a;
    }

    /**
     * Each block's relinearized level-0 result at RESULT_SCALE (coefficient position(s) = the inner product with slot s):
     * the two-step reference path ({@link Evaluator#relinearize}, then {@link GalleryResult#write(List, List, CkksParameters)}
     * switches down), whose answer bytes {@link #identifyExpanded} equals (tests and compatibility checks).
     */
    public List<Ciphertext> resultCiphertexts(List<Block> blocks, List<Ciphertext> probe) {
        return productSums(blocks, probe).parallelStream().map(s -> ev.relinearize(s, relinKey)).toList();
    }

    private static int checkedCount(List<Block.State> blocks) {
        if (blocks.isEmpty()) throw new IllegalArgumentException("no blocks");
        if (blocks.size() > GalleryResult.MAX_BLOCKS) throw new IllegalArgumentException("too many blocks");
        return blocks.size();
    }

    /**
     * sum_e C_e (x) P_e per block: ckks's tensor-sum kernel (Winograd's pairing from 8 blocks; columns streamed once, all
     * cores), into {@code buffers} ({@link SumBuffers#take}) or, if null, fresh arrays.
     */
    private List<Ciphertext> sums(List<Block.State> blocks, List<Ciphertext> probe, long[][][][] buffers) {
        checkedCount(blocks);
        if (probe.size() != GalleryParameters.COLUMNS) throw new IllegalArgumentException("expanded probe must have " + GalleryParameters.COLUMNS + " ciphertexts");
        for (Ciphertext p : probe) {
            if (p.size() != 2 || p.level() != GalleryParameters.STORE_LEVEL || p.scale() != GalleryParameters.PROBE_SCALE) {
                throw new IllegalArgumentException("not an expanded probe: " + p);
            }
        }
        return Arrays.asList(ProductSum.sums(params, blocks.stream().map(Block.State::columns).toList(), probe, buffers));
    }

    private static byte[] liveBitmap(Block.State st) {
        byte[] bm = new byte[GalleryParameters.BLOCK_CAPACITY / 8];
        for (int s = 0; s < st.slots.length; s++) if (st.slots[s] == SlotState.LIVE.ordinal()) bm[s >>> 3] |= (byte) (1 << (s & 7));
        return bm;
    }

    /** Bytes the block occupies in {@link Block#toBytes()} form. */
    public static long storedBytes(Block block) {
        long total = 5 + GalleryParameters.BLOCK_CAPACITY;
        OffHeapCiphertexts cols = block.state.columns;
        for (int j = 0; j < cols.count(); j++) {
            total += 4 + Serializer.ciphertextBytes(GalleryParameters.get(), 2, GalleryParameters.STORE_LEVEL, cols.isSeeded(j));
        }
        return total;
    }
}
