package io.picrypt.face;

import java.util.Locale;

/**
 * Pre- and post-processing choices around the same models, each measured on the dev sets (docs/BENCHMARKS.md,
 * "Accuracy"). The defaults of an embedding model come from its manifest entry ({@code "pipeline": {...}}),
 * because its calibrated threshold was measured with them; {@code picrypt eval --pipeline k=v,...} overrides
 * them for experiments.
 *
 * @param flip          embed the aligned face and its mirror image and use the normalised sum (one more
 *                      embedding-model run per face)
 * @param letterbox     before detection, pad the photo with black to the detector's aspect ratio (4:3), so a
 *                      portrait crop is not stretched anisotropically into the 320x240 input
 * @param margin        before detection, pad every side by this fraction of the photo's size (0..1); faces that
 *                      fill the frame then look like the detector's training faces (face plus surroundings)
 * @param replicate     fill the landmark window and the aligned crop beyond the photo's edge by repeating the
 *                      edge pixels instead of black
 * @param upscaleCubic  bicubic instead of bilinear sampling when the aligned crop enlarges the face (small faces)
 */
public record PipelineTuning(boolean flip, boolean letterbox, double margin, boolean replicate, boolean upscaleCubic) {
    /** The pipeline as it was before issue 13: no flip, no padding before the first detection, black borders, bilinear. */
    public static final PipelineTuning BASELINE = new PipelineTuning(false, false, 0, false, false);

    public PipelineTuning {
        if (!(margin >= 0 && margin <= 1)) throw new IllegalArgumentException("pipeline margin must be in [0, 1], got " + margin);
    }

    /**
     * Applies {@code spec} ("flip=on,letterbox=off,margin=0.1,border=replicate,upscale=cubic"; keys in any order,
     * absent keys keep this tuning's value) and returns the result. IllegalArgumentException on unknown keys or values.
     */
    public PipelineTuning with(String spec) {
        boolean f = flip, l = letterbox, r = replicate, c = upscaleCubic;
        double m = margin;
        if (spec == null || spec.isBlank()) return this;
        for (String kv : spec.split(",")) {
            String[] p = kv.split("=", 2);
            if (p.length != 2) throw new IllegalArgumentException("pipeline setting '" + kv + "' is not key=value");
            String k = p[0].strip().toLowerCase(Locale.ROOT), v = p[1].strip().toLowerCase(Locale.ROOT);
            switch (k) {
                case "flip" -> f = bool(k, v);
                case "letterbox" -> l = bool(k, v);
                case "margin" -> m = number(k, v);
                case "border" -> r = switch (v) {
                    case "replicate" -> true;
                    case "black", "constant" -> false;
                    default -> throw new IllegalArgumentException("pipeline border must be replicate or black, not " + v);
                };
                case "upscale" -> c = switch (v) {
                    case "cubic" -> true;
                    case "linear" -> false;
                    default -> throw new IllegalArgumentException("pipeline upscale must be cubic or linear, not " + v);
                };
                default -> throw new IllegalArgumentException("unknown pipeline setting '" + k + "' (flip, letterbox, margin, border, upscale)");
            }
        }
        return new PipelineTuning(f, l, m, r, c);
    }

    private static boolean bool(String k, String v) {
        return switch (v) {
            case "on", "true", "yes", "1" -> true;
            case "off", "false", "no", "0" -> false;
            default -> throw new IllegalArgumentException("pipeline " + k + " must be on or off, not " + v);
        };
    }

    private static double number(String k, String v) {
        try {
            return Double.parseDouble(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("pipeline " + k + " must be a number, not " + v);
        }
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "flip=%s,letterbox=%s,margin=%s,border=%s,upscale=%s", flip ? "on" : "off",
                letterbox ? "on" : "off", margin, replicate ? "replicate" : "black", upscaleCubic ? "cubic" : "linear");
    }
}
