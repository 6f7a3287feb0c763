package io.picrypt.match;

import io.picrypt.ckks.MalformedFrameException;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The gallery basis: projection, its file form, and the refusals that keep a wrong basis from giving wrong distances. */
class GalleryProjectionTest {
    private static final GalleryProjection B = GalleryProjection.synthetic(7);

    @Test
    void projectsToUnitVectorsAndKeepsVectorsInsideTheSpanExactly() {
        Random r = new Random(1);
        // a vector inside the span: a combination of the rows; its projection's distance to another such vector is the full one
        float[] a = inSpan(r), b = inSpan(r);
        float[] pa = B.project(a), pb = B.project(b);
        assertEquals(GalleryParameters.DIMENSION, pa.length);
        assertEquals(1.0, norm2(pa), 1e-5);
        assertEquals(SyntheticEmbeddings.squaredDistance(a, b), SyntheticEmbeddings.squaredDistance(pa, pb), 1e-4);
        assertEquals(1.0, B.captured(a), 1e-5);
    }

    /** The column-by-column loop still sums every coordinate in column order: the projection is bit-identical to the plain formula. */
    @Test
    void projectionIsBitIdenticalToThePlainRowByRowFormula() {
        float[][] rows = rows();
        Random r = new Random(5);
        for (int t = 0; t < 20; t++) {
            float[] e = SyntheticEmbeddings.unit(r, MatchParameters.DIMENSION);
            double[] p = new double[rows.length];
            double in = 0;
            for (int i = 0; i < rows.length; i++) {
                for (int c = 0; c < e.length; c++) p[i] += (double) rows[i][c] * e[c];
                in += p[i] * p[i];
            }
            float[] want = new float[p.length];
            for (int i = 0; i < p.length; i++) want[i] = (float) (p[i] * (1 / Math.sqrt(in)));
            assertArrayEquals(want, B.project(e));
        }
    }

    @Test
    void refusesEmbeddingsTheBasisCannotRepresent() {
        float[] outside = new float[MatchParameters.DIMENSION];
        // orthogonal to every row: remove the span's component from a random vector
        float[] v = SyntheticEmbeddings.unit(new Random(2));
        float[] in = spanPart(v);
        double n = 0;
        for (int i = 0; i < v.length; i++) n += (outside[i] = v[i] - in[i]) * (double) (v[i] - in[i]);
        for (int i = 0; i < v.length; i++) outside[i] /= (float) Math.sqrt(n);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> B.project(outside));
        assertTrue(e.getMessage().contains("not made by the model"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> B.project(new float[GalleryParameters.DIMENSION]));
        float[] nan = SyntheticEmbeddings.unit(new Random(3));
        nan[5] = Float.NaN;
        assertThrows(IllegalArgumentException.class, () -> B.project(nan));
    }

    @Test
    void fileFormRoundTripsAndPinsTheBasis() {
        byte[] f = B.toBytes();
        GalleryProjection back = GalleryProjection.read(f);
        assertEquals(B.fingerprint(), back.fingerprint());
        float[] e = SyntheticEmbeddings.unit(new Random(4));
        assertArrayEquals(B.project(e), back.project(e));
        assertNotEquals(B.fingerprint(), GalleryProjection.synthetic(8).fingerprint());
        assertEquals(4 + 1 + 32 + 8 + 4 + 4 + 4 * GalleryParameters.DIMENSION * MatchParameters.DIMENSION, f.length);
    }

    @Test
    void aDamagedFileIsRefusedNotUsed() {
        byte[] f = B.toBytes();
        byte[] flipped = f.clone();
        flipped[f.length - 1000] ^= 0x40; // one exponent bit of one value: rows no longer orthonormal
        assertThrows(MalformedFrameException.class, () -> GalleryProjection.read(flipped));
        assertThrows(MalformedFrameException.class, () -> GalleryProjection.read(java.util.Arrays.copyOf(f, f.length - 4)));
        byte[] longer = java.util.Arrays.copyOf(f, f.length + 1);
        assertThrows(MalformedFrameException.class, () -> GalleryProjection.read(longer));
        byte[] nan = f.clone();
        int at = 4 + 1 + 32 + 8 + 8 + 4 * 77;
        nan[at] = (byte) 0x7f; nan[at + 1] = (byte) 0xc0; nan[at + 2] = 0; nan[at + 3] = 0; // byte order of FrameWriter.u32 aside: NaN or not, refused
        assertThrows(MalformedFrameException.class, () -> GalleryProjection.read(nan));
    }

    @Test
    void rowsThatAreNotOrthonormalAreRefused() {
        float[][] rows = new float[GalleryParameters.DIMENSION][MatchParameters.DIMENSION];
        for (int i = 0; i < rows.length; i++) rows[i][i] = 1;
        GalleryProjection.of(rows, new byte[32], 0); // the leading coordinates: fine
        rows[3][4] = 0.01f;
        assertThrows(IllegalArgumentException.class, () -> GalleryProjection.of(rows, new byte[32], 0));
        assertThrows(IllegalArgumentException.class, () -> GalleryProjection.of(new float[GalleryParameters.DIMENSION - 1][MatchParameters.DIMENSION], new byte[32], 0));
    }

    @Test
    void aKeyOwnerWithABasisEncryptsTheProjectionAndRefusesGalleryVectors() {
        var sk = GalleryKeyOwner.generateSecretKey();
        GalleryKeyOwner owner = new GalleryKeyOwner(sk, B);
        assertThrows(IllegalArgumentException.class, () -> owner.encryptProbe(new float[GalleryParameters.DIMENSION]));
        GalleryKeyOwner plain = new GalleryKeyOwner(sk);
        assertThrows(IllegalArgumentException.class, () -> plain.encryptProbe(SyntheticEmbeddings.unit(new Random(5))));
    }

    private static float[] inSpan(Random r) {
        double[] c = new double[MatchParameters.DIMENSION];
        float[] g = SyntheticEmbeddings.unit(r, GalleryParameters.DIMENSION);
        float[][] rows = rows();
        for (int i = 0; i < rows.length; i++) for (int j = 0; j < c.length; j++) c[j] += g[i] * (double) rows[i][j];
        float[] out = new float[c.length];
        for (int j = 0; j < c.length; j++) out[j] = (float) c[j];
        return out;
    }

    private static float[] spanPart(float[] v) {
        float[][] rows = rows();
        double[] c = new double[v.length];
        for (float[] row : rows) {
            double s = 0;
            for (int j = 0; j < v.length; j++) s += row[j] * (double) v[j];
            for (int j = 0; j < v.length; j++) c[j] += s * row[j];
        }
        float[] out = new float[v.length];
        for (int j = 0; j < v.length; j++) out[j] = (float) c[j];
        return out;
    }

    /** The rows, read back from the file form (the class keeps them private). */
    private static float[][] rows() {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(B.toBytes());
        b.position(4 + 1 + 32 + 8 + 8);
        float[][] rows = new float[GalleryParameters.DIMENSION][MatchParameters.DIMENSION];
        for (float[] row : rows) for (int j = 0; j < row.length; j++) row[j] = Float.intBitsToFloat(b.getInt());
        return rows;
    }

    private static double norm2(float[] v) {
        double s = 0;
        for (float x : v) s += x * (double) x;
        return s;
    }
}
