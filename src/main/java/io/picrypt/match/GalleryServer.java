package io.picrypt.match;

import io.picrypt.ckks.Ciphertext;
import io.picrypt.ckks.CkksException;
import io.picrypt.ckks.CkksParameters;
import io.picrypt.ckks.Encoder;
import io.picrypt.ckks.Evaluator;
import io.picrypt.ckks.Plaintext;
import io.picrypt.ckks.RelinKey;
import io.picrypt.ckks.GaloisKeys;
import io.picrypt.ckks.ObliviousExpansion;
import io.picrypt.ckks.Serializer;
import io.picrypt.ring.Modulus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.stream.IntStream;

/**
 * The server's side of 1:N identification (no secret key). A {@link Block} holds up to N / PACK = 2048
 * identities as COLUMNS = 128 column ciphertexts: column e encrypts dimensions 4e+d (d < 4) of the
 * identity in slot s at coefficients position(s) + 128 d. A probe arrives as one ciphertext and is
 * expanded (127 key-switched substitutions) into 128 ciphertexts P_e = sum_d p_(4e+d) X^(-128 d);
 * then every block's result is sum_e C_e (x) P_e (tensor products summed
 * lazily in 128 bits, reduced once), whose coefficient position(s) is the encrypted inner product with
 * slot s, relinearized and sent with 2 components. Columns, expanded probes and results live at q0 alone.
 *
 * <p>Deletion is a tombstone: the server cannot zero one coefficient of a column it cannot read, so a
 * deleted slot keeps its (encrypted) contribution, is reported as not live in results, and is never
 * reused; the bytes stay until the block is rebuilt by the key owner (see docs/PROTOCOL.md, "1:N at scale").
 */
public final class GalleryServer {
    private static final Logger log = LoggerFactory.getLogger(GalleryServer.class);
    static final byte[] STORE_MAGIC = {'P', 'C', 'G', 'S'};
    /**
     * Coefficients per task, and blocks sharing one pass over the probe: accumulators of 8 * 6 * 512 longs
     * plus 8 * 3 * 512 = 288 KiB stay in L2 while the columns stream from memory (the products are memory-bound).
     */
    private static final int TILE = 512, GROUP = 8;

    public enum SlotState { FREE, LIVE, DELETED }

    private final CkksParameters params = GalleryParameters.get();
    private final Evaluator ev = new Evaluator(params);
    private final Encoder encoder = new Encoder(params);
    private final ObliviousExpansion expansion = new ObliviousExpansion(params);
    private final GaloisKeys keys;
    private final RelinKey relinKey;

    /** Builds the server from the client's {@link GalleryClient#evaluationKeys()}: exactly the expansion keys and a relinearization key. */
    public GalleryServer(byte[] evaluationKeys) {
        ByteBuffer b = header(evaluationKeys, GalleryClient.EVAL_MAGIC, 4);
        int galoisLength = b.getInt();
        if (galoisLength < 0 || galoisLength > b.remaining()) throw new CkksException("bad Galois key length " + galoisLength);
        byte[] galois = new byte[galoisLength];
        b.get(galois);
        byte[] relin = new byte[b.remaining()];
        b.get(relin);
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
        private record State(Ciphertext[] columns, byte[] slots) {}

        private volatile State state;

        private Block(Ciphertext[] columns, byte[] slots) {
            this.state = new State(columns, slots);
        }

        public int capacity() { return GalleryParameters.BLOCK_CAPACITY; }

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

        /** Slot states, one byte each (0 free, 1 live, 2 deleted): the block's metadata row. */
        public byte[] slotStates() { return state.slots.clone(); }

        /** Column j serialized (seeded while it is still the client's fresh encryption): a store's row per column. */
        public byte[] columnBytes(int j) {
            if (j < 0 || j >= GalleryParameters.COLUMNS) throw new IllegalArgumentException("column " + j + " outside [0, " + GalleryParameters.COLUMNS + ")");
            return Serializer.writeCiphertext(state.columns[j], GalleryParameters.get());
        }

        /** "PCGS" v1 | slot states (BLOCK_CAPACITY bytes) | COLUMNS x (length(u32) | column ciphertext). */
        public byte[] toBytes() {
            State st = state;
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            out.writeBytes(STORE_MAGIC);
            out.write(1);
            out.writeBytes(st.slots);
            for (Ciphertext c : st.columns) {
                byte[] b = Serializer.writeCiphertext(c, GalleryParameters.get());
                out.writeBytes(ByteBuffer.allocate(4).putInt(b.length).array());
                out.writeBytes(b);
            }
            return out.toByteArray();
        }

        private static void checkSlot(int s) {
            if (s < 0 || s >= GalleryParameters.BLOCK_CAPACITY) throw new IllegalArgumentException("slot " + s + " outside [0, " + GalleryParameters.BLOCK_CAPACITY + ")");
        }
    }

    // ------------------------------------------------------------------ blocks

    /** An empty block: transparent zero columns (the server knows they are zero anyway). */
    public Block newBlock() {
        Ciphertext zero = Ciphertext.fromComponents(new long[2][LIMBS()][GalleryParameters.N], GalleryParameters.TEMPLATE_SCALE);
        Ciphertext[] cols = new Ciphertext[GalleryParameters.COLUMNS];
        Arrays.fill(cols, zero); // immutable, shared until the first enrollment replaces it
        return new Block(cols, new byte[GalleryParameters.BLOCK_CAPACITY]);
    }

    private static int LIMBS() { return GalleryParameters.STORE_LEVEL + 1; }

    /** A block from the client's {@link GalleryClient#encryptBlock} bytes: slots 0..count-1 live. */
    public Block importBlock(byte[] bulk) {
        ByteBuffer b = header(bulk, GalleryClient.BLOCK_MAGIC, 4);
        int count = b.getInt();
        if (count < 1 || count > GalleryParameters.BLOCK_CAPACITY) throw new CkksException("bulk block count " + count + " outside [1, " + GalleryParameters.BLOCK_CAPACITY + "]");
        Ciphertext[] cols = readColumns(b);
        byte[] slots = new byte[GalleryParameters.BLOCK_CAPACITY];
        Arrays.fill(slots, 0, count, (byte) SlotState.LIVE.ordinal());
        return new Block(cols, slots);
    }

    /** A block from {@link Block#toBytes()}. */
    public Block readBlock(byte[] stored) {
        ByteBuffer b = header(stored, STORE_MAGIC, GalleryParameters.BLOCK_CAPACITY);
        byte[] slots = new byte[GalleryParameters.BLOCK_CAPACITY];
        b.get(slots);
        checkSlots(slots);
        return new Block(readColumns(b), slots);
    }

    /** A block from its metadata row and its COLUMNS column rows ({@link Block#slotStates()}, {@link Block#columnBytes}). */
    public Block readBlock(byte[] slotStates, List<byte[]> columns) {
        if (slotStates == null || slotStates.length != GalleryParameters.BLOCK_CAPACITY) throw new CkksException("slot states must be " + GalleryParameters.BLOCK_CAPACITY + " bytes");
        byte[] slots = slotStates.clone();
        checkSlots(slots);
        if (columns == null || columns.size() != GalleryParameters.COLUMNS) throw new CkksException("a block has exactly " + GalleryParameters.COLUMNS + " columns");
        Ciphertext[] cols = new Ciphertext[GalleryParameters.COLUMNS];
        for (int j = 0; j < cols.length; j++) cols[j] = validateColumn(columns.get(j));
        return new Block(cols, slots);
    }

    private static void checkSlots(byte[] slots) {
        for (byte s : slots) if (s < 0 || s > 2) throw new CkksException("bad slot state " + s);
    }

    private Ciphertext[] readColumns(ByteBuffer b) {
        long seeded = Serializer.ciphertextBytes(params, 2, GalleryParameters.STORE_LEVEL, true);
        long full = Serializer.ciphertextBytes(params, 2, GalleryParameters.STORE_LEVEL, false);
        Ciphertext[] cols = new Ciphertext[GalleryParameters.COLUMNS];
        for (int j = 0; j < cols.length; j++) {
            if (b.remaining() < 4) throw new CkksException("block truncated at column " + j);
            int len = b.getInt();
            if ((len != seeded && len != full) || b.remaining() < len) throw new CkksException("bad length " + len + " of column " + j);
            byte[] ct = new byte[len];
            b.get(ct);
            cols[j] = validateColumn(ct);
        }
        if (b.hasRemaining()) throw new CkksException(b.remaining() + " trailing bytes after the block's columns");
        return cols;
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

    /** Expands a wire ciphertext into COLUMNS ciphertexts and rescales each to q0 (dropping the expansion noise). */
    private List<Ciphertext> expandAndRescale(Ciphertext ct) {
        List<Ciphertext> x = expansion.expand(ct, GalleryParameters.COLUMNS, keys);
        return IntStream.range(0, x.size()).parallel().mapToObj(j -> ev.rescale(x.get(j))).toList();
    }

    private static ByteBuffer header(byte[] bytes, byte[] magic, int after) {
        if (bytes == null || bytes.length < 5 + after || !Arrays.equals(Arrays.copyOf(bytes, 4), magic) || bytes[4] != 1) {
            throw new CkksException("not a PiCrypt " + new String(magic, java.nio.charset.StandardCharsets.US_ASCII) + " v1 object");
        }
        return ByteBuffer.wrap(bytes, 5, bytes.length - 5);
    }

    // ------------------------------------------------------------------ enrollment and deletion

    /** Expands a {@link GalleryClient#encryptEnrollment} ciphertext and adds x_j X^slot into every column. */
    public void enroll(Block block, int slot, byte[] enrollment) {
        Block.checkSlot(slot);
        Ciphertext ct = validate(enrollment, GalleryParameters.LEVEL, GalleryParameters.ENROLL_WIRE_SCALE, "enrollment");
        checkFree(block.state, slot); // fail before the expensive part
        // the expansion (127 key switches) does not depend on the block: do it outside the block's lock
        List<Ciphertext> x = expandAndRescale(ct);
        long[] shift = new long[GalleryParameters.N];
        shift[GalleryParameters.position(slot)] = 1;
        Plaintext monomial = encoder.encodeIntegers(shift, 1.0, GalleryParameters.STORE_LEVEL); // X^position, exact, scale 1
        List<Ciphertext> shifted = x.parallelStream().map(c -> ev.multiplyPlain(c, monomial)).toList();
        synchronized (block) {
            Block.State st = block.state;
            checkFree(st, slot);
            Ciphertext[] cols = new Ciphertext[GalleryParameters.COLUMNS];
            for (int j = 0; j < cols.length; j++) cols[j] = ev.add(st.columns[j], shifted.get(j));
            byte[] slots = st.slots.clone();
            slots[slot] = (byte) SlotState.LIVE.ordinal();
            block.state = new Block.State(cols, slots);
            log.debug("enrolled slot {}", slot);
        }
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

    /** Validates and expands a probe into COLUMNS ciphertexts sum_d p_(PACK e + d) X^(-d COLUMNS) at 2^40. */
    public List<Ciphertext> expandProbe(byte[] probe) {
        Ciphertext ct = validate(probe, GalleryParameters.LEVEL, GalleryParameters.PROBE_WIRE_SCALE, "probe");
        return expandAndRescale(ct);
    }

    /** One result ciphertext per block, in order (see {@link GalleryResult}). */
    public byte[] identify(List<Block> blocks, byte[] probe) {
        long t0 = System.nanoTime();
        List<Ciphertext> expanded = expandProbe(probe);
        long t1 = System.nanoTime();
        byte[] result = identifyExpanded(blocks, expanded);
        log.debug("identify over {} blocks: expansion {} ms, products {} ms", blocks.size(), (t1 - t0) / 1_000_000, (System.nanoTime() - t1) / 1_000_000);
        return result;
    }

    /** The block products for an already expanded probe (split out so benchmarks can time the two phases). */
    public byte[] identifyExpanded(List<Block> blocks, List<Ciphertext> probe) {
        if (blocks.isEmpty()) throw new IllegalArgumentException("no blocks");
        if (blocks.size() > GalleryResult.MAX_BLOCKS) throw new IllegalArgumentException("too many blocks");
        if (probe.size() != GalleryParameters.COLUMNS) throw new IllegalArgumentException("expanded probe must have " + GalleryParameters.COLUMNS + " ciphertexts");
        for (Ciphertext p : probe) {
            if (p.size() != 2 || p.level() != GalleryParameters.STORE_LEVEL || p.scale() != GalleryParameters.PROBE_SCALE) {
                throw new IllegalArgumentException("not an expanded probe: " + p);
            }
        }
        int limbs = LIMBS(), n = GalleryParameters.N;
        List<Block.State> states = blocks.stream().map(b -> b.state).toList();
        long[][][][] acc = new long[states.size()][3][limbs][n];
        // one task per (limb, tile, group of blocks): the probe's tile is read once per group and stays in cache
        int tiles = n / TILE, groups = (states.size() + GROUP - 1) / GROUP;
        IntStream.range(0, limbs * tiles * groups).parallel().forEach(task -> {
            int i = task % limbs, tile = task / limbs % tiles, group = task / (limbs * tiles);
            int from = group * GROUP, to = Math.min(states.size(), from + GROUP);
            accumulateTile(states.subList(from, to), probe, i, tile * TILE, acc, from);
        });
        // relinearized (one cheap key switch at q0 per block) so the response carries 2 components, not 3
        List<Ciphertext> results = IntStream.range(0, states.size()).parallel()
                .mapToObj(b -> ev.relinearize(Ciphertext.fromComponents(acc[b], GalleryParameters.RESULT_SCALE), relinKey)).toList();
        List<byte[]> bitmaps = states.stream().map(GalleryServer::liveBitmap).toList();
        return GalleryResult.write(bitmaps, results, params);
    }

    /**
     * acc[b] on one limb and tile for blocks from..: c0 = sum x0 y0, c2 = sum x1 y1,
     * c1 = sum (x0+x1)(y0+y1) - c0 - c2 (3 multiplications instead of 4). Each sum runs as an unsigned
     * 128-bit integer over LAZY_CHUNK columns (LAZY_CHUNK (2q)^2 < q 2^64, see GalleryParameters), then is
     * reduced and added into a reduced accumulator.
     */
    private void accumulateTile(List<Block.State> group, List<Ciphertext> probe, int limb, int off, long[][][][] out, int from) {
        int g = group.size();
        long[] acc = new long[g * 6 * TILE]; // per block: aHi, aLo, bHi, bLo, kHi, kLo
        long[] red = new long[g * 3 * TILE]; // per block: c0, c2, k reduced
        Modulus m = params.ring().modulus(limb);
        long q = m.value();
        for (int chunk = 0; chunk < GalleryParameters.COLUMNS; chunk += GalleryParameters.LAZY_CHUNK) {
            int chunkEnd = Math.min(GalleryParameters.COLUMNS, chunk + GalleryParameters.LAZY_CHUNK);
            for (int j = chunk; j < chunkEnd; j++) {
                long[] y0 = probe.get(j).component(0)[limb], y1 = probe.get(j).component(1)[limb];
                for (int b = 0; b < g; b++) {
                    Ciphertext col = group.get(b).columns[j];
                    long[] x0 = col.component(0)[limb], x1 = col.component(1)[limb];
                    int base = b * 6 * TILE;
                    for (int t = 0; t < TILE; t++) {
                        int k = off + t;
                        long u0 = x0[k], u1 = x1[k], v0 = y0[k], v1 = y1[k];
                        int a = base + t;
                        long lo = u0 * v0, s = acc[a + TILE] + lo;
                        acc[a] += Math.multiplyHigh(u0, v0) + (Long.compareUnsigned(s, lo) < 0 ? 1 : 0);
                        acc[a + TILE] = s;
                        lo = u1 * v1;
                        s = acc[a + 3 * TILE] + lo;
                        acc[a + 2 * TILE] += Math.multiplyHigh(u1, v1) + (Long.compareUnsigned(s, lo) < 0 ? 1 : 0);
                        acc[a + 3 * TILE] = s;
                        long us = u0 + u1, vs = v0 + v1;
                        lo = us * vs;
                        s = acc[a + 5 * TILE] + lo;
                        acc[a + 4 * TILE] += Math.multiplyHigh(us, vs) + (Long.compareUnsigned(s, lo) < 0 ? 1 : 0);
                        acc[a + 5 * TILE] = s;
                    }
                }
            }
            for (int b = 0; b < g; b++) {
                int base = b * 6 * TILE, rb = b * 3 * TILE;
                for (int t = 0; t < TILE; t++) {
                    for (int w = 0; w < 3; w++) {
                        int a = base + 2 * w * TILE + t;
                        long r = red[rb + w * TILE + t] + m.reduce128(acc[a], acc[a + TILE]);
                        red[rb + w * TILE + t] = r >= q ? r - q : r;
                        acc[a] = 0;
                        acc[a + TILE] = 0;
                    }
                }
            }
        }
        for (int b = 0; b < g; b++) {
            long[] c0 = out[from + b][0][limb], c1 = out[from + b][1][limb], c2 = out[from + b][2][limb];
            int rb = b * 3 * TILE;
            for (int t = 0; t < TILE; t++) {
                long r0 = red[rb + t], r2 = red[rb + TILE + t], rk = red[rb + 2 * TILE + t];
                c0[off + t] = r0;
                c2[off + t] = r2;
                c1[off + t] = m.sub(m.sub(rk, r0), r2);
            }
        }
    }

    private static byte[] liveBitmap(Block.State st) {
        byte[] bm = new byte[GalleryParameters.BLOCK_CAPACITY / 8];
        for (int s = 0; s < st.slots.length; s++) if (st.slots[s] == SlotState.LIVE.ordinal()) bm[s >>> 3] |= (byte) (1 << (s & 7));
        return bm;
    }

    /** Bytes the block occupies in {@link Block#toBytes()} form. */
    public static long storedBytes(Block block) {
        long total = 5 + GalleryParameters.BLOCK_CAPACITY;
        for (Ciphertext c : block.state.columns) {
            total += 4 + Serializer.ciphertextBytes(GalleryParameters.get(), 2, GalleryParameters.STORE_LEVEL, c.isSeeded());
        }
        return total;
    }

    static List<Ciphertext> columnsForTest(Block b) { return new ArrayList<>(Arrays.asList(b.state.columns)); }
}
