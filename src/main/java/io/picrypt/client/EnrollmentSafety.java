package io.picrypt.client;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.IntFunction;

/**
 * The enrollment-safety rules, applied where the client still holds every embedding in clear (before
 * anything is encrypted or uploaded), so the web UI and the CLI ({@code enroll}, {@code enroll --add},
 * {@code enroll --gallery}, {@code import}) follow the same rule:
 * <ol>
 *   <li><b>One enrollment, one person.</b> The photos of one enrollment are fused into one template (their
 *       normalised mean). If any two of them are not the same person by the product's own decision rule
 *       (squared distance 2 - 2 cos above the threshold), the mean would be a blend of two people that
 *       verifies neither well: refused with {@link Kind#MIXED_PHOTOS} unless {@link Overrides#mixedPhotos()}.</li>
 *   <li><b>A name keeps its face.</b> Replacing (or adding to) a name's 1:1 templates with a face that matches
 *       none of them, or importing a name into the gallery whose 1:1 templates show another face, is refused
 *       with {@link Kind#NEW_FACE} unless {@link Overrides#newFace()}. The comparison is an ordinary encrypted
 *       verification of the new mean against the name's templates (the server sees one more probe ciphertext).</li>
 * </ol>
 * A name with no templates has nothing to compare with: rule 2 passes.
 */
public final class EnrollmentSafety {
    private EnrollmentSafety() {}

    /** Which rule refused. */
    public enum Kind {
        /** two photos of one enrollment are different people by the threshold */
        MIXED_PHOTOS,
        /** the new face matches none of the name's existing templates */
        NEW_FACE
    }

    /** Explicit overrides: a user who knows better (e.g. a twin, a childhood photo) may enroll anyway. */
    public record Overrides(boolean mixedPhotos, boolean newFace) {
        public static final Overrides NONE = new Overrides(false, false);
        public static final Overrides ALL = new Overrides(true, true);
    }

    /** Two photos of one enrollment and their squared distance. Indices are 0-based. */
    public record Pair(int first, int second, double distance) {}

    /**
     * An enrollment refused by a rule; nothing was uploaded. {@link #pairs()} lists the disagreeing photo
     * pairs (MIXED_PHOTOS); {@link #distance()} is the smallest distance to the existing templates (NEW_FACE,
     * else NaN).
     */
    public static final class Refused extends RuntimeException {
        private final Kind kind;
        private final List<Pair> pairs;
        private final double distance;
        private final double threshold;

        Refused(Kind kind, String message, List<Pair> pairs, double distance, double threshold) {
            super(message);
            this.kind = kind;
            this.pairs = List.copyOf(pairs);
            this.distance = distance;
            this.threshold = threshold;
        }

        public Kind kind() { return kind; }

        public List<Pair> pairs() { return pairs; }

        public double distance() { return distance; }

        public double threshold() { return threshold; }
    }

    /**
     * Rule 1. Every pair of photos whose squared distance is above {@code threshold} is listed.
     *
     * @param vectors L2-normalised embeddings, one per photo, all of one dimension
     * @param label   a user-facing name of photo i ("photo 2", a file name)
     * @return notes for the user when the rule was overridden (else empty)
     * @throws Refused MIXED_PHOTOS when a pair disagrees and the override is off
     */
    public static List<String> checkSamePerson(List<float[]> vectors, IntFunction<String> label, double threshold, Overrides overrides) {
        List<Pair> bad = new ArrayList<>();
        for (int i = 0; i < vectors.size(); i++) {
            for (int j = i + 1; j < vectors.size(); j++) {
                double d = squaredDistance(vectors.get(i), vectors.get(j));
                if (d > threshold) bad.add(new Pair(i, j, d));
            }
        }
        if (bad.isEmpty()) return List.of();
        List<String> lines = new ArrayList<>();
        for (Pair p : bad) {
            lines.add(String.format(Locale.ROOT, "%s and %s are not the same person (distance %.2f > threshold %.2f)",
                    label.apply(p.first()), label.apply(p.second()), p.distance(), threshold));
        }
        if (overrides.mixedPhotos()) {
            return lines.stream().map(l -> l + "; enrolled anyway, as asked").toList();
        }
        throw new Refused(Kind.MIXED_PHOTOS, "these photos show different people, so one template would blend them: "
                + String.join("; ", lines) + ". Enroll each person separately, or override if they really are one person",
                bad, Double.NaN, threshold);
    }

    /**
     * Rule 2: compares {@code embedding} with {@code name}'s 1:1 templates by an encrypted verification.
     *
     * @param what what is about to happen, for the message ("replace", "add to", "import into the gallery")
     * @return notes for the user when the rule was overridden (else empty)
     * @throws Refused NEW_FACE when templates exist, none matches, and the override is off
     */
    public static List<String> checkMatchesExisting(MatchSession session, String name, float[] embedding, String what, Overrides overrides) {
        MatchSession.Verification v;
        try {
            v = session.verifyEmbedding(name, embedding);
        } catch (ClientException e) {
            if (e.status() == 404) return List.of(); // no templates yet: nothing to compare with
            throw e;
        }
        if (v.match()) return List.of();
        String line = String.format(Locale.ROOT, "the new face does not match the %d existing template(s) of '%s' (closest distance %.2f > threshold %.2f)",
                v.templates(), name, v.distance(), v.threshold());
        if (overrides.newFace()) return List.of(line + "; done anyway, as asked");
        throw new Refused(Kind.NEW_FACE, line + ": not done, so as not to " + what + " this name with somebody else's face. "
                + "Check the name, or override if it really is the same person", List.of(), v.distance(), v.threshold());
    }

    /** Squared Euclidean distance; for unit vectors 2 - 2 cos, in [0, 4]. */
    static double squaredDistance(float[] a, float[] b) {
        if (a.length != b.length) throw new IllegalArgumentException("embeddings of different sizes");
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            double d = a[i] - b[i];
            s += d * d;
        }
        return s;
    }
}
