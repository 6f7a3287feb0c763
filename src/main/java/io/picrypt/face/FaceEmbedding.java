package io.picrypt.face;

import java.util.Arrays;

/**
 * An L2-normalised face embedding and where it came from.
 *
 * @param vector    the embedding (e.g. 512 floats), unit length; copied in and out
 * @param face      the face that was embedded
 * @param faceCount how many faces the image contained; {@code > 1} means the largest one was chosen
 * @param model     manifest name of the embedding model (embeddings of different models are not comparable)
 * @param quality   quality measures of the face and the warnings the quality gate raised ({@link FaceQuality#UNKNOWN} if not measured)
 */
public record FaceEmbedding(float[] vector, DetectedFace face, int faceCount, String model, FaceQuality quality) {
    public FaceEmbedding {
        vector = vector.clone();
        if (quality == null) quality = FaceQuality.UNKNOWN;
    }

    public FaceEmbedding(float[] vector, DetectedFace face, int faceCount, String model) {
        this(vector, face, faceCount, model, FaceQuality.UNKNOWN);
    }

    /** Warnings of the quality gate for this face (blurred, turned, lower face covered); empty when none. */
    public java.util.List<String> warnings() { return quality.warnings(); }

    /**
     * Everything the user should be told about this face of the photo {@code label}: that the photo held several faces
     * and the largest was used, then the quality gate's warnings. Empty when none.
     */
    public java.util.List<String> photoWarnings(String label) {
        java.util.List<String> out = new java.util.ArrayList<>();
        if (multipleFaces()) out.add(label + ": " + faceCount + " faces, the largest was used");
        out.addAll(warnings());
        return java.util.List.copyOf(out);
    }

    @Override
    public float[] vector() { return vector.clone(); }

    public int dimension() { return vector.length; }

    /** The image held several faces and the largest was used: callers should tell the user. */
    public boolean multipleFaces() { return faceCount > 1; }

    /** Cosine similarity = dot product of the unit vectors. */
    public double cosine(FaceEmbedding other) { return cosine(vector, other.vector); }

    /** Squared Euclidean distance = 2 - 2 cos: what the encrypted protocol computes. */
    public double squaredDistance(FaceEmbedding other) { return squaredDistance(vector, other.vector); }

    public static double cosine(float[] a, float[] b) {
        if (a.length != b.length) throw new IllegalArgumentException("embeddings of different sizes: " + a.length + " vs " + b.length);
        double s = 0;
        for (int i = 0; i < a.length; i++) s += (double) a[i] * b[i];
        return s;
    }

    public static double squaredDistance(float[] a, float[] b) {
        if (a.length != b.length) throw new IllegalArgumentException("embeddings of different sizes: " + a.length + " vs " + b.length);
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            double d = (double) a[i] - b[i];
            s += d * d;
        }
        return s;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof FaceEmbedding e && Arrays.equals(vector, e.vector) && face.equals(e.face)
                && faceCount == e.faceCount && model.equals(e.model) && quality.equals(e.quality);
    }

    @Override
    public int hashCode() { return Arrays.hashCode(vector) * 31 + face.hashCode(); }

    @Override
    public String toString() {
        return "FaceEmbedding[" + model + ", " + vector.length + "-D, faces=" + faceCount + ", box=" + face.box() + "]";
    }
}
