package io.picrypt.integrity;

import io.picrypt.ckks.CkksException;
import io.picrypt.ckks.SecretKey;
import io.picrypt.match.GalleryKeyOwner;
import io.picrypt.match.GalleryParameters;
import io.picrypt.match.GalleryProjection;
import io.picrypt.match.GalleryEvaluator;
import io.picrypt.match.MatchKeyOwner;
import io.picrypt.match.MatchEvaluator;
import io.picrypt.match.SyntheticEmbeddings;
import io.picrypt.store.CorruptedDataException;
import io.picrypt.store.EnrollmentStore;
import io.picrypt.store.SqliteStore;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

/**
 * 1,000 random corruptions of stored templates and gallery blocks (bit flips, byte runs, truncations, extensions,
 * ciphertexts swapped between names and between keysets' rows, with and without their digests), each followed by
 * 1:1 verify and 1:N identify with a genuine and an impostor probe, through the real store and the match/gallery
 * layer: no corruption may cause a MATCH; every case ends as an error or the uncorrupted decision. A second pass
 * feeds the corrupted bytes straight to the circuits (a server that skips its digest check, or bytes corrupted
 * before they were accepted) and counts what the client's own checks catch, against what the client before
 * issue 10 would have decided.
 */
class CorruptionFuzzTest {
    static final double THRESHOLD = 1.30;
    static final int NAMES = 8, GALLERY = 40;
    static final String A = "ks_a", B = "ks_b";

    @TempDir
    static Path dir;
    static SqliteStore store;
    static Connection raw;
    static MatchKeyOwner ownerA;
    static io.picrypt.ckks.Decryptor oldDecryptor;
    static GalleryKeyOwner galleryA;
    static final MatchEvaluator match = new MatchEvaluator();
    static GalleryEvaluator galleryEvaluatorA;
    static final List<float[]> people = new ArrayList<>();
    static float[] genuine, impostor;
    static final int TARGET = 3;
    static byte[] genuineProbe, impostorProbe;
    static List<io.picrypt.ckks.Ciphertext> genuineExpanded, impostorExpanded;

    enum Kind { BIT_FLIPS, BYTE_RUN, TRUNCATE, EXTEND, SWAP_NAMES, SWAP_NAMES_WITH_DIGEST, SWAP_KEYSETS, SWAP_KEYSETS_WITH_DIGEST }

    enum Outcome { REFUSED_BY_DIGEST, REFUSED_BY_SERVER_PARSER, DETECTED_BY_CLIENT, CORRECT_DECISION }

    @BeforeAll
    static void setUp() throws Exception {
        SplittableRandom r = new SplittableRandom(2026);
        store = SqliteStore.open(dir);
        raw = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve(SqliteStore.FILE_NAME));
        try (var st = raw.createStatement()) {
            st.execute("PRAGMA synchronous=OFF"); // the test's own corrupting writes need no durability
        }
        SecretKey skA = MatchKeyOwner.generateSecretKey(), skB = MatchKeyOwner.generateSecretKey();
        SecretKey gA = GalleryKeyOwner.generateSecretKey(), gB = GalleryKeyOwner.generateSecretKey();
        ownerA = new MatchKeyOwner(skA);
        oldDecryptor = new io.picrypt.ckks.Decryptor(io.picrypt.match.MatchParameters.get(), skA);
        MatchKeyOwner ownerB = new MatchKeyOwner(skB);
        // identities and probes are model-sized (1:1) embeddings, projected into the gallery with one basis
        galleryA = new GalleryKeyOwner(gA, GalleryProjection.synthetic(1));
        GalleryKeyOwner galleryB = new GalleryKeyOwner(gB, GalleryProjection.synthetic(1));
        for (String ks : List.of(A, B)) store.createKeyset(new EnrollmentStore.Keyset(ks, new byte[]{1}, "fp", Instant.now()));
        for (int i = 0; i < NAMES; i++) people.add(SyntheticEmbeddings.unit(r));
        genuine = SyntheticEmbeddings.near(people.get(TARGET), 0.4, r);
        impostor = SyntheticEmbeddings.unit(r);
        for (int i = 0; i < NAMES; i++) {
            store.putTemplate(A, "n" + i, ownerA.encryptTemplate(people.get(i)), true, 32);
            // keyset B: same names, other people, other key (a keyset swap must not pass for A's data)
            store.putTemplate(B, "n" + i, ownerB.encryptTemplate(SyntheticEmbeddings.unit(r)), true, 32);
        }
        List<float[]> blockA = new ArrayList<>(people), blockB = new ArrayList<>();
        while (blockA.size() < GALLERY) blockA.add(SyntheticEmbeddings.unit(r));
        for (int i = 0; i < GALLERY; i++) blockB.add(SyntheticEmbeddings.unit(r));
        galleryEvaluatorA = new GalleryEvaluator(galleryA.evaluationKeys());
        GalleryEvaluator galleryEvaluatorB = new GalleryEvaluator(galleryB.evaluationKeys());
        List<String> names = new ArrayList<>();
        for (int i = 0; i < GALLERY; i++) names.add("g" + i);
        store.addGalleryBlock(A, galleryEvaluatorA.importBlock(galleryA.encryptBlock(blockA)).toBytes(), names);
        store.addGalleryBlock(B, galleryEvaluatorB.importBlock(galleryB.encryptBlock(blockB)).toBytes(), names);
        genuineProbe = ownerA.encryptProbe(genuine);
        impostorProbe = ownerA.encryptProbe(impostor);
        genuineExpanded = galleryEvaluatorA.expandProbe(galleryA.encryptProbe(genuine));
        impostorExpanded = galleryEvaluatorA.expandProbe(galleryA.encryptProbe(impostor));
    }

    @AfterAll
    static void tearDown() throws SQLException {
        raw.close();
        store.close();
    }

    /** The uncorrupted decisions: genuine probe matches n3 (and g3) only, the impostor nobody. */
    static boolean shouldMatch(boolean genuineProbe, String name) {
        return genuineProbe && (name.equals("n" + TARGET) || name.equals("g" + TARGET));
    }

    @Test
    void aThousandCorruptionsNeverCauseAMatch() throws Exception {
        SplittableRandom r = new SplittableRandom(10);
        Map<Kind, Map<Outcome, Integer>> table = new EnumMap<>(Kind.class);
        int cases = 0;
        int templateCases = 600, galleryCases = 400;
        for (int c = 0; c < templateCases; c++, cases++) {
            Kind kind = Kind.values()[r.nextInt(Kind.values().length)];
            String name = "n" + r.nextInt(NAMES);
            Row orig = templateRow(A, name);
            try {
                corruptTemplate(kind, name, orig, r);
                Outcome o = templatesAfterCorruption(name);
                table.computeIfAbsent(kind, k -> new EnumMap<>(Outcome.class)).merge(o, 1, Integer::sum);
            } finally {
                restoreTemplates();
            }
        }
        for (int c = 0; c < galleryCases; c++, cases++) {
            Kind kind = Kind.values()[r.nextInt(Kind.values().length)];
            if (kind == Kind.SWAP_NAMES || kind == Kind.SWAP_NAMES_WITH_DIGEST) kind = Kind.BIT_FLIPS; // one block per keyset
            Row orig = blockRow(A);
            try {
                corruptBlock(kind, orig, r);
                Outcome o = galleryAfterCorruption();
                table.computeIfAbsent(kind, k -> new EnumMap<>(Outcome.class)).merge(o, 1, Integer::sum);
            } finally {
                writeBlock(A, orig);
            }
        }
        System.out.println("corruption outcomes (store digests on): " + table);
        assertEquals(1000, cases);
        // sanity: the uncorrupted store still decides correctly afterwards
        assertEquals(Outcome.CORRECT_DECISION, templatesAfterCorruption("n" + TARGET));
        assertEquals(Outcome.CORRECT_DECISION, galleryAfterCorruption());
    }

    /**
     * The same corruptions handed straight to the circuits, as a server that skipped its digest check would (or bytes
     * corrupted before the server accepted them): the client's range checks alone. Swaps between names of one keyset
     * are left out: 1:1 templates carry no name-bound check (docs/PROTOCOL.md "Integrity"), only the server's digest
     * binds them to their name.
     */
    @Test
    void clientChecksAloneCatchCorruptionsTheOldClientTurnedIntoDecisions() throws Exception {
        SplittableRandom r = new SplittableRandom(77);
        Kind[] kinds = {Kind.BIT_FLIPS, Kind.BYTE_RUN, Kind.TRUNCATE, Kind.EXTEND, Kind.SWAP_KEYSETS};
        int falseMatches = 0, oldWrong = 0, detected = 0, decided = 0, refused = 0, cases = 400;
        List<byte[]> others = new ArrayList<>();
        for (int i = 0; i < NAMES; i++) others.add(templateRow(A, "n" + i).bytes);
        byte[] targetCt = templateRow(A, "n" + TARGET).bytes, foreign = templateRow(B, "n" + TARGET).bytes;
        for (int c = 0; c < cases; c++) {
            Kind kind = kinds[r.nextInt(kinds.length)];
            byte[] bad = kind == Kind.SWAP_KEYSETS ? foreign.clone() : mutate(kind, targetCt, r);
            for (boolean g : new boolean[]{true, false}) {
                byte[] probe = g ? genuineProbe : impostorProbe;
                byte[] result;
                try {
                    result = match.verify(List.of(bad), probe);
                } catch (CkksException e) {
                    refused++;
                    continue;
                }
                double old = oldClientDistance(result);
                if ((old <= THRESHOLD) != g) oldWrong++;
                try {
                    double d = ownerA.decryptVerify(result)[0];
                    decided++;
                    if (d <= THRESHOLD && !g) falseMatches++;
                } catch (io.picrypt.match.IntegrityException e) {
                    detected++;
                }
            }
        }
        System.out.printf("client checks alone, %d corrupted 1:1 templates x 2 probes: %d refused by the parser, %d detected by the client, "
                + "%d decided (%d false matches); the client before issue 10 decided wrongly in %d%n", cases, refused, detected, decided, falseMatches, oldWrong);
        assertEquals(0, falseMatches, "false matches from corrupted templates with the digest bypassed");
        assertTrue(oldWrong > 10, "the corruptions must be ones the old client got wrong: " + oldWrong);
    }

    /** What MatchKeyOwner did before issue 10: coefficient 0 of the first result ciphertext, no checks. */
    static double oldClientDistance(byte[] result) {
        var contents = io.picrypt.match.ResultEnvelope.read(result, io.picrypt.match.MatchParameters.get());
        return 2 - 2 * oldDecryptor.decryptCoefficients(contents.ciphertexts().get(0))[0];
    }

    // ------------------------------------------------------------------ the checks of one case

    private Outcome templatesAfterCorruption(String name) {
        List<Outcome> outcomes = new ArrayList<>();
        for (boolean g : new boolean[]{true, false}) {
            byte[] probe = g ? genuineProbe : impostorProbe;
            outcomes.add(decideVerify(g, name, probe));
            outcomes.add(decideIdentify(g, probe));
        }
        return outcomes.stream().min(Enum::compareTo).orElseThrow();
    }

    private Outcome decideVerify(boolean g, String name, byte[] probe) {
        List<byte[]> templates;
        try {
            templates = store.templates(A, name);
        } catch (CorruptedDataException e) {
            return Outcome.REFUSED_BY_DIGEST;
        }
        byte[] result;
        try {
            result = match.verify(templates, probe);
        } catch (CkksException e) {
            return Outcome.REFUSED_BY_SERVER_PARSER;
        }
        try {
            double best = Arrays.stream(ownerA.decryptVerify(result)).min().orElseThrow();
            assertEquals(shouldMatch(g, name), best <= THRESHOLD, "verify " + name + (g ? " genuine" : " impostor") + ": d2 " + best);
            return Outcome.CORRECT_DECISION;
        } catch (io.picrypt.match.IntegrityException e) {
            return Outcome.DETECTED_BY_CLIENT;
        }
    }

    private Outcome decideIdentify(boolean g, byte[] probe) {
        List<EnrollmentStore.Template> all;
        try {
            all = store.allTemplates(A);
        } catch (CorruptedDataException e) {
            return Outcome.REFUSED_BY_DIGEST;
        }
        byte[] result;
        try {
            result = match.verify(all.stream().map(EnrollmentStore.Template::ciphertext).toList(), probe);
        } catch (CkksException e) {
            return Outcome.REFUSED_BY_SERVER_PARSER;
        }
        try {
            // the packed 1:1 circuit over every template (what the removed template identify computed)
            double[] d = ownerA.decryptVerify(result);
            if (d.length != all.size()) throw new io.picrypt.match.IntegrityException("answered for " + d.length + " templates, expected " + all.size());
            for (int i = 0; i < d.length; i++) {
                String name = all.get(i).name();
                assertEquals(shouldMatch(g, name), d[i] <= THRESHOLD, "identify " + name + (g ? " genuine" : " impostor") + ": d2 " + d[i]);
            }
            return Outcome.CORRECT_DECISION;
        } catch (io.picrypt.match.IntegrityException e) {
            return Outcome.DETECTED_BY_CLIENT;
        }
    }

    private Outcome galleryAfterCorruption() {
        List<EnrollmentStore.GalleryBlock> blocks;
        try {
            blocks = store.galleryBlocks(A);
        } catch (CorruptedDataException e) {
            return Outcome.REFUSED_BY_DIGEST;
        }
        List<GalleryEvaluator.Block> parsed;
        try {
            parsed = blocks.stream().map(b -> galleryEvaluatorA.readBlock(b.data())).toList();
        } catch (CkksException e) {
            return Outcome.REFUSED_BY_SERVER_PARSER;
        }
        Outcome worst = Outcome.CORRECT_DECISION;
        for (boolean g : new boolean[]{true, false}) {
            byte[] result = galleryEvaluatorA.identifyExpanded(parsed, g ? genuineExpanded : impostorExpanded);
            try {
                double[] d = galleryA.decryptAllDistances(result);
                for (int s = 0; s < GALLERY; s++) assertEquals(shouldMatch(g, "g" + s), d[s] <= THRESHOLD, "gallery slot " + s + ": d2 " + d[s]);
            } catch (io.picrypt.match.IntegrityException e) {
                worst = Outcome.DETECTED_BY_CLIENT;
            }
        }
        return worst;
    }

    // ------------------------------------------------------------------ corrupting rows

    record Row(long seq, byte[] bytes, byte[] digest) {}

    static final Map<Long, Row> saved = new java.util.HashMap<>();

    static Row templateRow(String ks, String name) throws SQLException {
        try (PreparedStatement p = raw.prepareStatement("SELECT seq, ct, digest FROM templates WHERE keyset_id = ? AND name = ?")) {
            p.setString(1, ks);
            p.setString(2, name);
            try (ResultSet r = p.executeQuery()) {
                assertTrue(r.next());
                return new Row(r.getLong(1), r.getBytes(2), r.getBytes(3));
            }
        }
    }

    static void writeTemplate(Row row, byte[] ct, byte[] digest) throws SQLException {
        saved.putIfAbsent(row.seq, row);
        try (PreparedStatement p = raw.prepareStatement("UPDATE templates SET ct = ?, digest = ? WHERE seq = ?")) {
            p.setBytes(1, ct);
            p.setBytes(2, digest);
            p.setLong(3, row.seq);
            assertEquals(1, p.executeUpdate());
        }
    }

    static void restoreTemplates() throws SQLException {
        for (Row row : saved.values()) {
            try (PreparedStatement p = raw.prepareStatement("UPDATE templates SET ct = ?, digest = ? WHERE seq = ?")) {
                p.setBytes(1, row.bytes);
                p.setBytes(2, row.digest);
                p.setLong(3, row.seq);
                p.executeUpdate();
            }
        }
        saved.clear();
    }

    static void corruptTemplate(Kind kind, String name, Row orig, SplittableRandom r) throws SQLException {
        switch (kind) {
            case SWAP_NAMES, SWAP_NAMES_WITH_DIGEST -> {
                String other = "n" + ((Integer.parseInt(name.substring(1)) + 1 + r.nextInt(NAMES - 1)) % NAMES);
                Row o = templateRow(A, other);
                boolean withDigest = kind == Kind.SWAP_NAMES_WITH_DIGEST;
                writeTemplate(orig, o.bytes, withDigest ? o.digest : orig.digest);
                writeTemplate(o, orig.bytes, withDigest ? orig.digest : o.digest);
            }
            case SWAP_KEYSETS, SWAP_KEYSETS_WITH_DIGEST -> {
                Row o = templateRow(B, name);
                writeTemplate(orig, o.bytes, kind == Kind.SWAP_KEYSETS_WITH_DIGEST ? o.digest : orig.digest);
            }
            default -> writeTemplate(orig, mutate(kind, orig.bytes, r), orig.digest);
        }
    }

    static Row blockRow(String ks) throws SQLException {
        try (PreparedStatement p = raw.prepareStatement("SELECT block, data, digest FROM gallery_blocks WHERE keyset_id = ?")) {
            p.setString(1, ks);
            try (ResultSet r = p.executeQuery()) {
                assertTrue(r.next());
                return new Row(r.getLong(1), r.getBytes(2), r.getBytes(3));
            }
        }
    }

    static void writeBlock(String ks, Row row) throws SQLException {
        try (PreparedStatement p = raw.prepareStatement("UPDATE gallery_blocks SET data = ?, digest = ? WHERE keyset_id = ? AND block = ?")) {
            p.setBytes(1, row.bytes);
            p.setBytes(2, row.digest);
            p.setString(3, ks);
            p.setLong(4, row.seq);
            assertEquals(1, p.executeUpdate());
        }
    }

    static void corruptBlock(Kind kind, Row orig, SplittableRandom r) throws SQLException {
        switch (kind) {
            case SWAP_KEYSETS, SWAP_KEYSETS_WITH_DIGEST -> {
                Row o = blockRow(B);
                writeBlock(A, new Row(orig.seq, o.bytes, kind == Kind.SWAP_KEYSETS_WITH_DIGEST ? o.digest : orig.digest));
            }
            default -> writeBlock(A, new Row(orig.seq, mutate(kind, orig.bytes, r), orig.digest));
        }
    }

    /** A changed copy: 1-3 bit flips, a run of 1-64 bytes XORed with non-zero bytes, a truncation, or 1-16 appended bytes. */
    static byte[] mutate(Kind kind, byte[] b, SplittableRandom r) {
        byte[] out;
        switch (kind) {
            case BIT_FLIPS -> {
                out = b.clone();
                int flips = 1 + r.nextInt(3);
                for (int i = 0; i < flips; i++) {
                    int bit = r.nextInt(out.length * 8);
                    out[bit >>> 3] ^= (byte) (1 << (bit & 7));
                }
            }
            case BYTE_RUN -> {
                out = b.clone();
                int len = 1 + r.nextInt(64), at = r.nextInt(out.length - len);
                for (int i = 0; i < len; i++) out[at + i] ^= (byte) (1 + r.nextInt(255));
            }
            case TRUNCATE -> out = Arrays.copyOf(b, r.nextInt(b.length));
            case EXTEND -> {
                out = Arrays.copyOf(b, b.length + 1 + r.nextInt(16));
                for (int i = b.length; i < out.length; i++) out[i] = (byte) r.nextInt(256);
            }
            default -> throw new IllegalArgumentException(kind.toString());
        }
        if (Arrays.equals(out, b)) out[0] ^= 1;
        return out;
    }
}
