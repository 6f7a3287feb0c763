package io.picrypt.face;

import java.util.Locale;

/**
 * What the face pipeline does with a face of poor quality, applied inside {@link FacePipeline}'s embedding entry
 * points, so enroll, verify, identify, import, eval and the web page all behave alike. Each check either refuses
 * the photo ({@link FaceException} with reason {@link FaceException.Reason#LOW_QUALITY}), warns (the embedding
 * carries the warning in {@link FaceQuality#warnings()} for the caller to show), or is off.
 *
 * <p>Defaults: {@link #DEFAULT}, then the embedding model's manifest entry ({@code "quality": {...}}), then the
 * {@code PICRYPT_QUALITY} environment variable or {@code -Dpicrypt.quality} (same {@code key=value,...} syntax as
 * {@link #with}). How the limits were set from data: docs/BENCHMARKS.md, "Quality gate".
 *
 * @param size          action for a face whose inter-eye distance is below {@code minEyeDistance}
 * @param minEyeDistance smallest distance between the two eye centres, in pixels of the photo
 * @param blur          action for a face whose {@link FaceQuality#sharpness()} is below {@code minSharpness}
 * @param minSharpness  variance of the Laplacian of the aligned grey face (0..~5000; see {@link FaceQuality})
 * @param pose          action for a face whose |{@link FaceQuality#yaw()}| exceeds {@code maxYaw}
 * @param maxYaw        largest |yaw| accepted, as the landmark yaw ratio in [0, 1] (0 frontal, 1 profile)
 * @param occlusion     action for a face whose {@link FaceQuality#lowerFaceTexture()} is below {@code minLowerFaceTexture}
 * @param minLowerFaceTexture smallest accepted lower-face / upper-face texture ratio (a covered mouth and chin is smooth)
 */
public record QualityPolicy(Action size, double minEyeDistance, Action blur, double minSharpness, Action pose, double maxYaw,
                            Action occlusion, double minLowerFaceTexture) {
    /** What to do when a check fails. */
    public enum Action { REFUSE, WARN, OFF }

    /**
     * Built-in defaults, set from the dev sets (docs/BENCHMARKS.md, "Quality gate"): faces with fewer than 16 px
     * between the eyes are refused; blur, strong yaw and a covered lower face are warned about.
     */
    public static final QualityPolicy DEFAULT = new QualityPolicy(Action.REFUSE, 16, Action.WARN, 20, Action.WARN, 0.6,
            Action.WARN, 0.25);

    /** Every check off: the pipeline as it was before the gate (for measurements). */
    public static final QualityPolicy OFF = new QualityPolicy(Action.OFF, 0, Action.OFF, 0, Action.OFF, 1, Action.OFF, 0);

    public QualityPolicy {
        if (size == null || blur == null || pose == null || occlusion == null) throw new IllegalArgumentException("quality actions must not be null");
        if (!(minEyeDistance >= 0) || !(minSharpness >= 0) || !(maxYaw >= 0) || !(minLowerFaceTexture >= 0)) {
            throw new IllegalArgumentException("quality limits must be non-negative numbers");
        }
    }

    /**
     * This policy changed by {@code spec}: comma-separated {@code key=value} with keys {@code size}, {@code blur},
     * {@code pose}, {@code occlusion} (values refuse, warn, off), {@code min_eye} (px), {@code min_sharpness},
     * {@code max_yaw} (0..1), {@code min_lower_texture}, or the single word {@code off} (every check off).
     *
     * @throws IllegalArgumentException on an unknown key or a bad value (the message names both)
     */
    public QualityPolicy with(String spec) {
        if (spec == null || spec.isBlank()) return this;
        if (spec.strip().equalsIgnoreCase("off")) return OFF;
        Action sz = size, bl = blur, po = pose, oc = occlusion;
        double eye = minEyeDistance, sh = minSharpness, yaw = maxYaw, lt = minLowerFaceTexture;
        for (String kv : spec.split(",")) {
            String[] p = kv.split("=", 2);
            if (p.length != 2) throw new IllegalArgumentException("quality setting '" + kv.strip() + "' is not key=value");
            String k = p[0].strip().toLowerCase(Locale.ROOT), v = p[1].strip();
            switch (k) {
                case "size" -> sz = action(k, v);
                case "blur" -> bl = action(k, v);
                case "pose" -> po = action(k, v);
                case "occlusion" -> oc = action(k, v);
                case "min_eye" -> eye = number(k, v);
                case "min_sharpness" -> sh = number(k, v);
                case "max_yaw" -> yaw = number(k, v);
                case "min_lower_texture" -> lt = number(k, v);
                default -> throw new IllegalArgumentException("unknown quality setting '" + k
                        + "' (size, blur, pose, occlusion, min_eye, min_sharpness, max_yaw, min_lower_texture)");
            }
        }
        return new QualityPolicy(sz, eye, bl, sh, po, yaw, oc, lt);
    }

    /** This policy changed by {@code -Dpicrypt.quality}, else by {@code $PICRYPT_QUALITY} (if set). */
    public QualityPolicy withEnvironment() {
        String s = System.getProperty("picrypt.quality");
        if (s == null) s = System.getenv("PICRYPT_QUALITY");
        try {
            return with(s);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("PICRYPT_QUALITY / -Dpicrypt.quality: " + e.getMessage(), e);
        }
    }

    private static Action action(String k, String v) {
        return switch (v.toLowerCase(Locale.ROOT)) {
            case "refuse" -> Action.REFUSE;
            case "warn" -> Action.WARN;
            case "off" -> Action.OFF;
            default -> throw new IllegalArgumentException("quality " + k + " must be refuse, warn or off, not '" + v + "'");
        };
    }

    private static double number(String k, String v) {
        double d;
        try {
            d = Double.parseDouble(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("quality " + k + " must be a number, not '" + v + "'");
        }
        if (!(d >= 0) || Double.isInfinite(d)) throw new IllegalArgumentException("quality " + k + " must be a non-negative number, not " + v);
        return d;
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "size=%s,min_eye=%s,blur=%s,min_sharpness=%s,pose=%s,max_yaw=%s,occlusion=%s,min_lower_texture=%s",
                lc(size), minEyeDistance, lc(blur), minSharpness, lc(pose), maxYaw, lc(occlusion), minLowerFaceTexture);
    }

    private static String lc(Action a) { return a.name().toLowerCase(Locale.ROOT); }
}
